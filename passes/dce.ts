// Pass `dce`: dead-code elimination. Removes every node whose results no output needs, directly or indirectly.
// Runs last in the graph pipeline, after rewrites that leave unused nodes behind. Inputs are kept even when unused
// (the graph's signature is its contract with the host program). Guarantees: outputs unchanged, no dead nodes.
//
//   %0 = exp %x ; %1 = neg %x ; return y = %1   ->   %0 = neg %x ; return y = %0

import type { Graph, ValueId } from "../ir/graph.ts";
import { finishRebuild, startRebuild, type Pass } from "./pass.ts";

function run(graph: Graph): Graph {
  const live = new Set<ValueId>(graph.outputs.map((o) => o.id));
  const keep = new Set<number>();
  for (let n = graph.nodes.length - 1; n >= 0; n--) {
    const node = graph.nodes[n]!;
    if (!node.results.some((r) => live.has(r))) continue;
    keep.add(n);
    for (const a of node.args) live.add(a);
  }
  const { b, map } = startRebuild(graph);
  graph.nodes.forEach((node, n) => {
    if (!keep.has(n)) return;
    const results = b.ops(node.op, node.args.map((a) => map.get(a)!), node.attrs);
    node.results.forEach((id, i) => map.set(id, results[i]!));
  });
  return finishRebuild(graph, b, map);
}

export const dce: Pass = {
  name: "dce",
  summary: "Remove nodes that no output depends on.",
  description: "Walks back from the outputs and keeps only the nodes they need; graph inputs are always kept.",
  run,
};
