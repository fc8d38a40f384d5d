// Small IR-building helpers shared by the VJP rules: arithmetic shorthands, zeros, the reduction that undoes
// broadcasting, keepdims shapes, and element counts that may be symbolic.
// Invariant: every helper only appends nodes to the builder it is given and returns values of the documented type.

import type { GraphBuilder, Value } from "../builder.ts";
import { shapeNumel, type Dim, type Shape } from "../dim.ts";
import type { DType } from "../dtype.ts";
import type { TensorType } from "../graph.ts";

/** The one cotangent of a single-result op (autodiff calls a rule only when some result has a cotangent). */
export function onlyDy(dys: readonly (Value | undefined)[]): Value {
  const dy = dys[0];
  if (dy === undefined || dys.length !== 1) throw new Error(`single-result VJP called with ${dys.length} cotangents`);
  return dy;
}

/** x + y (broadcasting). */
export function add(b: GraphBuilder, x: Value, y: Value): Value {
  return b.op("add", [x, y]);
}

/** x - y (broadcasting). */
export function sub(b: GraphBuilder, x: Value, y: Value): Value {
  return b.op("sub", [x, y]);
}

/** x * y (broadcasting). */
export function mul(b: GraphBuilder, x: Value, y: Value): Value {
  return b.op("mul", [x, y]);
}

/** x / y (broadcasting). */
export function div(b: GraphBuilder, x: Value, y: Value): Value {
  return b.op("div", [x, y]);
}

/** -x. */
export function neg(b: GraphBuilder, x: Value): Value {
  return b.op("neg", [x]);
}

/** A scalar constant with the dtype of `like`. */
export function scalarLike(b: GraphBuilder, value: number, like: Value): Value {
  return b.scalar(value, like.type.dtype);
}

/** x * c for a number c, in x's dtype. */
export function scale(b: GraphBuilder, x: Value, c: number): Value {
  return mul(b, x, scalarLike(b, c, x));
}

/** A tensor of zeros of the given type (shape may be symbolic). */
export function zeros(b: GraphBuilder, type: TensorType): Value {
  return b.op("constant", [], { dtype: type.dtype, shape: [...type.shape], value: 0 });
}

/** 0 or 1 in `dtype` from a bool mask. */
export function indicator(b: GraphBuilder, mask: Value, dtype: DType): Value {
  return b.op("cast", [mask], { dtype });
}

/** `shape` with the listed axes set to 1 (the keepdims form of a reduction's result). */
export function keepdimsShape(shape: Shape, axes: readonly number[]): Dim[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Reshapes `v` to `shape` unless it already has it. */
export function reshapeTo(b: GraphBuilder, v: Value, shape: Shape): Value {
  const same = v.type.shape.length === shape.length && v.type.shape.every((d, i) => d === shape[i]);
  return same ? v : b.op("reshape", [v], { shape: [...shape] });
}

/**
 * Undoes NumPy broadcasting: sums `dy` (shaped like a broadcast result) over the axes that broadcasting created or
 * expanded from 1, with keepdims, then reshapes to `shape`. Returns `dy` itself when nothing was broadcast.
 */
export function sumToShape(b: GraphBuilder, dy: Value, shape: Shape): Value {
  const lead = dy.type.shape.length - shape.length;
  const axes: number[] = [];
  dy.type.shape.forEach((d, i) => {
    if (d !== 1 && (i < lead || shape[i - lead] === 1)) axes.push(i);
  });
  const summed = axes.length === 0 ? dy : b.op("reduce_sum", [dy], { axes, keepdims: true });
  return reshapeTo(b, summed, shape);
}

/** The number of elements in a block of `dims` as a scalar of `dtype`: a constant, or a `size` for symbolic sizes. */
export function countOf(b: GraphBuilder, dims: readonly Dim[], dtype: DType): Value {
  const count = shapeNumel(dims);
  return typeof count === "number" ? b.scalar(count, dtype) : b.op("size", [], { dim: count, dtype });
}
