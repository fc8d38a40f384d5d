// What a pass is: a named, documented, pure function from a graph to a new graph. The name is the file name, the
// CLI name (`trainc ir --after <name>`), the golden folder (test/ir/<name>/) and the dump header.
// Invariants: no module-level mutable state; the input graph is never modified; the output verifies.

import { GraphBuilder, type Value } from "../ir/builder.ts";
import type { Graph, ValueId } from "../ir/graph.ts";

export interface Pass {
  readonly name: string;
  /** One line for `trainc ir --help` and docs. */
  readonly summary: string;
  /** What it expects and guarantees, and where it runs in the pipeline. */
  readonly description: string;
  readonly run: (graph: Graph) => Graph;
}

/** A builder holding a copy of `graph`'s inputs, and the map from old value ids to new values. */
export function startRebuild(graph: Graph): { b: GraphBuilder; map: Map<ValueId, Value> } {
  const b = new GraphBuilder(graph.name);
  const map = new Map<ValueId, Value>();
  for (const input of graph.inputs) {
    const t = graph.types[input.id]!;
    map.set(input.id, b.input(input.name, t.dtype, t.shape));
  }
  return { b, map };
}

/** Declares `graph`'s outputs on the rebuilt graph and returns it. */
export function finishRebuild(graph: Graph, b: GraphBuilder, map: Map<ValueId, Value>): Graph {
  for (const output of graph.outputs) b.output(output.name, map.get(output.id)!);
  return b.build();
}
