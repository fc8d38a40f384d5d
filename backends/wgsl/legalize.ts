// Legalization for the wgsl target: WGSL has no 64-bit integers, so every i64 value becomes i32. Inputs (token ids,
// labels, positions, step counters) are declared i32, and so is the `dtype` attribute of every op that makes values
// (constant, iota, size, cast, ...). Ops take any integer type, so the rest follows from type inference.
// Invariants: a graph with no i64 is returned as it is; names, order and shapes of inputs and outputs are kept; the
// result computes what the input computes for integer values within i32 (ids below 2^31: vocabularies and sequence
// lengths are far smaller).

import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { DType } from "../../ir/dtype.ts";
import type { Attrs, Graph, Module, ValueId } from "../../ir/graph.ts";
import { declareOutputs } from "../../ir/rebuild.ts";

function narrow(dtype: DType): DType {
  return dtype === "i64" ? "i32" : dtype;
}

function narrowAttrs(attrs: Attrs): Attrs {
  return attrs["dtype"] === "i64" ? { ...attrs, dtype: "i32" } : attrs;
}

function legalizeGraph(graph: Graph): Graph {
  const holdsI64 = Object.values(graph.types).some((t) => t.dtype === "i64") ||
    graph.nodes.some((n) => n.attrs["dtype"] === "i64");
  if (!holdsI64) return graph;
  const b = new GraphBuilder(graph.name);
  const map = new Map<ValueId, Value>();
  for (const input of graph.inputs) {
    const t = graph.types[input.id]!;
    map.set(input.id, b.input(input.name, narrow(t.dtype), t.shape));
  }
  for (const node of graph.nodes) {
    const results = b.ops(node.op, node.args.map((a) => map.get(a)!), narrowAttrs(node.attrs));
    node.results.forEach((id, j) => map.set(id, results[j]!));
  }
  declareOutputs(b, graph, map);
  return b.build();
}

/** The module with every graph's i64 values made i32. */
export function legalizeForWgsl(module: Module): Module {
  return { ...module, graphs: module.graphs.map(legalizeGraph) };
}
