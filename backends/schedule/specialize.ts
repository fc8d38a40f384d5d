// Specialization: replaces a graph's symbolic sizes (B, T, ...) by numbers, so every shape is static. The GPU
// targets compile one program per (micro_batch_size, sequence_len): batches are padded to T, and the static shapes
// let the schedule bake sizes into kernels and plan memory before anything runs.
// Invariants: the result verifies; it means what the input means for inputs of those sizes; every symbol must be
// given a size (an unbound one is an error naming it).

import { GraphBuilder } from "../../ir/builder.ts";
import { dimSymbols, evalDim, type Dim } from "../../ir/dim.ts";
import type { AttrValue, Attrs, Graph, Module, ValueId } from "../../ir/graph.ts";
import { opDef } from "../../ir/ops/index.ts";
import type { Value } from "../../ir/builder.ts";

/** Sizes for symbolic dims, e.g. {B: 4, T: 4096}. */
export type Sizes = Readonly<Record<string, number>>;

function concrete(dim: Dim, sizes: Sizes, where: string): number {
  const missing = dimSymbols(dim).find((s) => sizes[s] === undefined);
  if (missing !== undefined) throw new Error(`specialize ${where}: no size given for '${missing}'`);
  return evalDim(dim, sizes);
}

function concreteAttrs(op: Parameters<typeof opDef>[0], attrs: Attrs, sizes: Sizes, where: string): Attrs {
  const specs = opDef(op).attrs;
  const out: Record<string, AttrValue> = {};
  for (const [key, value] of Object.entries(attrs)) {
    const kind = specs[key]!.kind;
    if (kind === "dim") out[key] = concrete(value as Dim, sizes, where);
    else if (kind === "dims") out[key] = (value as Dim[]).map((d) => concrete(d, sizes, where));
    else out[key] = value;
  }
  return out;
}

/** `graph` with every symbolic size replaced by its value in `sizes`. */
export function specializeGraph(graph: Graph, sizes: Sizes): Graph {
  const b = new GraphBuilder(graph.name);
  const map = new Map<ValueId, Value>();
  for (const input of graph.inputs) {
    const t = graph.types[input.id]!;
    map.set(input.id, b.input(input.name, t.dtype, t.shape.map((d) => concrete(d, sizes, `input ${input.name}`))));
  }
  graph.nodes.forEach((node, i) => {
    const attrs = concreteAttrs(node.op, node.attrs, sizes, `node ${i} (${node.op})`);
    const results = b.ops(node.op, node.args.map((a) => map.get(a)!), attrs);
    node.results.forEach((id, k) => map.set(id, results[k]!));
  });
  for (const output of graph.outputs) b.output(output.name, map.get(output.id)!);
  return b.build();
}

export function specializeModule(module: Module, sizes: Sizes): Module {
  return { graphs: module.graphs.map((g) => specializeGraph(g, sizes)) };
}
