// Pass `packing-masks`: lowers the document rule of packed rows to what the fused kernels read. An `attention` (or
// `attention_grad`) node whose documents operand is segment_ids (documents from position_ids restarts, as packing
// collates them) gets document_ranges of those ids instead: each position's [start, end), the per-position form of
// varlen kernels' cu_seqlens. A kernel then visits only the key tiles of its queries' documents, with no id compares
// across tiles. One document_ranges is built per segment_ids value and shared by every layer.
//   %seg = segment_ids %pos ; %o = attention %q, %k, %v, %seg {scale = s}  ->
//     %seg = segment_ids %pos ; %r = document_ranges %seg ; %o = attention %q, %k, %v, %r {scale = s}
// Other documents operands (ids from elsewhere, which may repeat out of order) are left as they are: only the unfused
// lowering runs them (the fused kernels refuse ids, 5310: backends/schedule/documents.ts). Next-token
// targets across documents are already dropped where the train step builds the loss (ir/train-step/loss.ts).
// Runs on the forward graph after attention-lowering (the unfused reference builds its mask from the ids) and before
// train-step, so attention_grad gets the ranges from autodiff.
// Expects a verified graph; guarantees a verified graph computing exactly what it did: segment_ids never decrease
// along a row, so the run of equal ids holding a position is exactly the positions with its id.

import { GraphBuilder, type Value } from "../ir/builder.ts";
import type { Graph } from "../ir/graph.ts";
import { attentionDocuments } from "../ir/ops/model.ts";
import { declareInputs, declareOutputs } from "../ir/rebuild.ts";
import type { Pass } from "./pass.ts";


function run(graph: Graph): Graph {
  const b = new GraphBuilder(graph.name);
  const map = declareInputs(b, graph);
  const fromSegmentIds = new Set(graph.nodes.filter((n) => n.op === "segment_ids").map((n) => n.results[0]!));
  const ranges = new Map<number, Value>();
  for (const node of graph.nodes) {
    const at = node.op === "attention" || node.op === "attention_grad" ? attentionDocuments(node) : undefined;
    const args = node.args.map((a) => {
      if (a !== at || !fromSegmentIds.has(a)) return map.get(a)!;
      const known = ranges.get(a) ?? b.op("document_ranges", [map.get(a)!]);
      ranges.set(a, known);
      return known;
    });
    const results = b.ops(node.op, args, node.attrs);
    node.results.forEach((id, i) => map.set(id, results[i]!));
  }
  declareOutputs(b, graph, map);
  return b.build();
}

export const packingMasks: Pass = {
  name: "packing-masks",
  summary: "Give attention each position's document range instead of segment ids.",
  description: "Attention whose documents are segment_ids (position_ids restarts of packed rows) takes " +
    "document_ranges of them: [start, end) per position, the varlen form the fused kernels walk. Runs on the " +
    "forward graph after attention-lowering and before train-step.",
  run,
};
