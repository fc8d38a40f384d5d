// Helpers for code that builds a new graph from an old one (passes, autodiff, inlining): copy inputs, copy nodes
// through a map from old value ids to new values, declare the same outputs, and find the nodes outputs need.
// Invariant: copies go through GraphBuilder, so rebuilt graphs satisfy the builder's invariants.

import type { GraphBuilder, Value } from "./builder.ts";
import type { Graph, ValueId } from "./graph.ts";

/** Declares `graph`'s inputs on `b`; returns the map from old value ids to new values. */
export function declareInputs(b: GraphBuilder, graph: Graph): Map<ValueId, Value> {
  const map = new Map<ValueId, Value>();
  for (const input of graph.inputs) {
    const type = graph.types[input.id]!;
    map.set(input.id, b.input(input.name, type.dtype, type.shape));
  }
  return map;
}

/** Copies the nodes of `graph` that `keep` selects (by node index), mapping operands and recording results. */
export function copyNodes(b: GraphBuilder, graph: Graph, map: Map<ValueId, Value>, keep: (index: number) => boolean = () => true): void {
  graph.nodes.forEach((node, i) => {
    if (!keep(i)) return;
    const results = b.ops(node.op, node.args.map((a) => map.get(a)!), node.attrs);
    node.results.forEach((id, j) => map.set(id, results[j]!));
  });
}

/** Declares `graph`'s outputs on `b` through the map. */
export function declareOutputs(b: GraphBuilder, graph: Graph, map: Map<ValueId, Value>): void {
  for (const output of graph.outputs) b.output(output.name, map.get(output.id)!);
}

/** Which nodes the outputs need, directly or indirectly; `pinned` nodes are kept (and their operands needed) always. */
export function liveNodes(graph: Graph, pinned: (index: number) => boolean = () => false): boolean[] {
  const live = new Set<ValueId>(graph.outputs.map((o) => o.id));
  const kept = graph.nodes.map(() => false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!pinned(i) && !node.results.some((r) => live.has(r))) continue;
    kept[i] = true;
    for (const a of node.args) live.add(a);
  }
  return kept;
}
