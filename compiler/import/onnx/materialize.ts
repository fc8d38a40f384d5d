// Known tensors -> IR values, for the rare case a real op needs an import-time value as data. Concrete data becomes
// one `constant` (a splat when every element is equal). A symbolic size such as T or B*T-1 becomes one `size` node,
// which the interpreter and backends evaluate once the sizes are bound; scalars are joined with concat when a
// tensor mixes several.
// Invariant: the emitted value has exactly the known tensor's dtype, shape and (once sizes are bound) elements.

import type { Value } from "../../../ir/builder.ts";
import type { Dim } from "../../../ir/dim.ts";
import type { DType } from "../../../ir/dtype.ts";
import type { Attrs } from "../../../ir/graph.ts";
import type { OpName } from "../../../ir/ops/index.ts";
import { concreteValues, type Known } from "./known.ts";

export type Emit = (op: OpName, args: readonly Value[], attrs?: Attrs) => Value;

/** The IR value holding a known tensor. */
export function materialize(emit: Emit, k: Known): Value {
  const values = concreteValues(k);
  if (values) return constantOf(emit, k.dtype, k.shape, values);
  const scalars = k.data.map((d) => dimScalar(emit, d, k.dtype));
  if (k.shape.length === 0) return scalars[0]!;
  const pieces = scalars.map((s) => emit("reshape", [s], { shape: [1] }));
  const flat = pieces.length === 1 ? pieces[0]! : emit("concat", pieces, { axis: 0 });
  return k.shape.length === 1 ? flat : emit("reshape", [flat], { shape: k.shape });
}

function constantOf(emit: Emit, dtype: DType, shape: readonly number[], values: readonly number[]): Value {
  const splat = values.length > 0 && values.every((x) => Object.is(x, values[0]));
  return emit("constant", [], splat ? { dtype, shape, value: values[0]! } : { dtype, shape, values });
}

/** A scalar IR value equal to `dim` once its sizes are bound. */
function dimScalar(emit: Emit, dim: Dim, dtype: DType): Value {
  return typeof dim === "number" ? constantOf(emit, dtype, [], [dim]) : emit("size", [], { dim, dtype });
}
