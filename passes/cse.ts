// Pass `cse`: common-subexpression elimination. Every op is pure, so two nodes with the same op, the same operands
// and the same attributes compute the same values; the later one is replaced by the earlier one.
// Runs after train-step construction (autodiff repeats transposes, casts and constants). Expects a verified graph;
// guarantees a verified graph with no two identical nodes, outputs and inputs unchanged.
//
//   %0 = exp %x ; %1 = exp %x ; %2 = add %0, %1   ->   %0 = exp %x ; %1 = add %0, %0

import { GraphBuilder, type Value } from "../ir/builder.ts";
import type { Graph } from "../ir/graph.ts";
import { declareInputs, declareOutputs } from "../ir/rebuild.ts";
import type { Pass } from "./pass.ts";

function run(graph: Graph): Graph {
  const b = new GraphBuilder(graph.name);
  const map = declareInputs(b, graph);
  const seen = new Map<string, Value[]>();
  for (const node of graph.nodes) {
    const args = node.args.map((a) => map.get(a)!);
    const key = JSON.stringify([node.op, args.map((a) => a.id), Object.entries(node.attrs).sort()]);
    const results = seen.get(key) ?? b.ops(node.op, args, node.attrs);
    seen.set(key, results);
    node.results.forEach((id, i) => map.set(id, results[i]!));
  }
  declareOutputs(b, graph, map);
  return b.build();
}

export const cse: Pass = {
  name: "cse",
  summary: "Merge identical nodes (same op, operands and attributes).",
  description: "All trainc ops are pure, so a repeated computation is replaced by its first occurrence.",
  run,
};
