// Removes nodes whose results no output needs. The importer emits IR while walking the ONNX graph, before it knows
// which values matter (a value may only feed a Shape, which reads its type); pruning afterwards keeps the graph to
// real computation. Inputs are kept even when unused: they are the model's interface.
// Invariant: the result computes the same outputs with the nodes in the same relative order.

import { GraphBuilder, type Value } from "../../../ir/builder.ts";
import type { Graph, ValueId } from "../../../ir/graph.ts";

/** The graph without dead nodes (the same object when every node is live). */
export function pruneDeadNodes(graph: Graph): Graph {
  const live = new Set<ValueId>(graph.outputs.map((o) => o.id));
  const keep = new Array<boolean>(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.results.some((r) => live.has(r))) continue;
    keep[i] = true;
    for (const a of node.args) live.add(a);
  }
  if (keep.every(Boolean)) return graph;
  const b = new GraphBuilder(graph.name);
  const map = new Map<ValueId, Value>();
  for (const input of graph.inputs) {
    const type = graph.types[input.id]!;
    map.set(input.id, b.input(input.name, type.dtype, type.shape));
  }
  graph.nodes.forEach((node, i) => {
    if (!keep[i]) return;
    const results = b.ops(node.op, node.args.map((a) => map.get(a)!), node.attrs);
    node.results.forEach((id, j) => map.set(id, results[j]!));
  });
  for (const output of graph.outputs) b.output(output.name, map.get(output.id)!);
  return b.build();
}
