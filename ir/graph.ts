// The IR's data types: a Graph is one SSA function (named inputs, a topologically ordered node list, named outputs);
// a Module is a list of graphs (a train step is `micro_step` + `optimizer_step`).
// Invariants: IR objects are never mutated after creation (passes build new graphs with ir/builder.ts); value ids are
// dense indexes into `types`, inputs first, then node results in node order; every use comes after its definition.

import type { DType } from "./dtype.ts";
import type { Dim, Shape } from "./dim.ts";
import type { OpName } from "./ops/index.ts";

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** An attribute value. Lists hold numbers or Dims (symbolic entries are strings); the op table says which. */
export type AttrValue = number | boolean | string | readonly Dim[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export type ValueId = number;

export interface Node {
  readonly op: OpName;
  readonly args: readonly ValueId[];
  readonly attrs: Attrs;
  readonly results: readonly ValueId[];
}

export interface NamedValue {
  readonly name: string;
  readonly id: ValueId;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly NamedValue[];
  readonly nodes: readonly Node[];
  readonly outputs: readonly NamedValue[];
  /** Type of every value, indexed by ValueId. */
  readonly types: readonly TensorType[];
}

export interface Module {
  readonly graphs: readonly Graph[];
}

/** Names that print without quotes: `%model.layers.0.mlp.up_proj.weight`. */
export const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function findGraph(module: Module, name: string): Graph {
  const graph = module.graphs.find((g) => g.name === name);
  if (!graph) throw new Error(`module has no graph '${name}' (it has: ${module.graphs.map((g) => g.name).join(", ")})`);
  return graph;
}

export function inputId(graph: Graph, name: string): ValueId {
  const input = graph.inputs.find((i) => i.name === name);
  if (!input) throw new Error(`graph '${graph.name}' has no input '${name}'`);
  return input.id;
}

export function outputId(graph: Graph, name: string): ValueId {
  const output = graph.outputs.find((o) => o.name === name);
  if (!output) throw new Error(`graph '${graph.name}' has no output '${name}'`);
  return output.id;
}
