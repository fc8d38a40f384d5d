// Pass `dce`: dead-code elimination. Removes every node whose results no output needs, directly or indirectly.
// Runs last in the graph pipeline, after rewrites that leave unused nodes behind. Inputs are kept even when unused
// (the graph's signature is its contract with the host program). Guarantees: outputs unchanged, no dead nodes.
//
//   %0 = exp %x ; %1 = neg %x ; return y = %1   ->   %0 = neg %x ; return y = %0

import { GraphBuilder } from "../ir/builder.ts";
import type { Graph } from "../ir/graph.ts";
import { copyNodes, declareInputs, declareOutputs, liveNodes } from "../ir/rebuild.ts";
import type { Pass } from "./pass.ts";

function run(graph: Graph): Graph {
  const live = liveNodes(graph);
  const b = new GraphBuilder(graph.name);
  const map = declareInputs(b, graph);
  copyNodes(b, graph, map, (i) => live[i]!);
  declareOutputs(b, graph, map);
  return b.build();
}

export const dce: Pass = {
  name: "dce",
  summary: "Remove nodes that no output depends on.",
  description: "Walks back from the outputs and keeps only the nodes they need; graph inputs are always kept.",
  run,
};
