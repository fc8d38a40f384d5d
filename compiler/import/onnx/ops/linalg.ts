// ONNX MatMul, Gemm and CumSum -> IR matmul. MatMul follows numpy.matmul: a rank-1 left operand is [1,K] and a
// rank-1 right operand is [K,1] for the product, and the added axis is removed afterwards; leading axes broadcast.
// Gemm is alpha * A' B' + beta * C with optional transposes, C broadcast to [M,N]. CumSum (the IR has no scan op) is
// a product with a 0/1 triangular matrix built from iota comparisons: out[..., j] = sum_i x[..., i] * tri[i, j].
// Invariants: no scaling node is emitted for alpha = 1 or beta = 1; integer CumSum runs in f64, exact below 2^53.

import type { Value } from "../../../../ir/builder.ts";
import { isFloat } from "../../../../ir/dtype.ts";
import { runtime, type NodeContext } from "../context.ts";
import { known } from "../known.ts";
import { axisOf, type Handler } from "./common.ts";
import { reshapeTo } from "./layout.ts";

function scale(ctx: NodeContext, x: Value, factor: number): Value {
  if (factor === 1) return x;
  return ctx.emit("mul", [x, ctx.runtime(known(x.type.dtype, [], [factor]))]);
}

const matmul: Handler = (ctx) => {
  let a = ctx.runtime(ctx.need(0));
  let b = ctx.runtime(ctx.need(1));
  const vectorA = a.type.shape.length === 1;
  const vectorB = b.type.shape.length === 1;
  if (vectorA) a = ctx.runtime(reshapeTo(ctx, runtime(a), [1, a.type.shape[0]!]));
  if (vectorB) b = ctx.runtime(reshapeTo(ctx, runtime(b), [b.type.shape[0]!, 1]));
  const product = ctx.emit("matmul", [a, b]);
  if (!vectorA && !vectorB) return [runtime(product)];
  const shape = product.type.shape;
  const out = shape.filter((_, i) => !(vectorA && i === shape.length - 2) && !(vectorB && i === shape.length - 1));
  return [reshapeTo(ctx, runtime(product), out)];
};

const gemm: Handler = (ctx) => {
  const a = ctx.runtime(ctx.need(0));
  const b = ctx.runtime(ctx.need(1));
  const product = ctx.emit("matmul", [a, b], {
    transpose_a: ctx.attrInt("transA", 0) === 1,
    transpose_b: ctx.attrInt("transB", 0) === 1,
  });
  const y = scale(ctx, product, ctx.attrFloat("alpha", 1));
  const c = ctx.input(2);
  if (!c) return [runtime(y)];
  return [runtime(ctx.emit("add", [y, scale(ctx, ctx.runtime(c), ctx.attrFloat("beta", 1))]))];
};

/** tri[i, j] = 1 where input position i adds into output position j. */
function triangle(ctx: NodeContext, x: Value, axis: number, dtype: Value["type"]["dtype"]): Value {
  const n = x.type.shape[axis]!;
  const from = ctx.emit("iota", [], { dtype: "i64", shape: [n, n], axis: 0 });
  const to = ctx.emit("iota", [], { dtype: "i64", shape: [n, n], axis: 1 });
  const reverse = ctx.attrInt("reverse", 0) === 1;
  const exclusive = ctx.attrInt("exclusive", 0) === 1;
  const test = reverse ? (exclusive ? "gt" : "ge") : exclusive ? "lt" : "le";
  return ctx.emit("cast", [ctx.emit(test, [from, to])], { dtype });
}

const cumsum: Handler = (ctx) => {
  const x = ctx.runtime(ctx.need(0));
  const rank = x.type.shape.length;
  const axis = axisOf(ctx, ctx.ints(1, "axis")[0]!, rank);
  const dtype = x.type.dtype;
  const work = isFloat(dtype) ? dtype : "f64";
  const swap = [...Array(rank).keys()].map((i) => (i === axis ? rank - 1 : i === rank - 1 ? axis : i));
  const last = ctx.emitUnless(axis === rank - 1, "transpose", x, { perm: swap });
  const wide = ctx.emitUnless(work === dtype, "cast", last, { dtype: work });
  const rows = rank === 1 ? ctx.reshape(wide, [1, wide.type.shape[0]!]) : wide;
  const summed = ctx.emit("matmul", [rows, triangle(ctx, x, axis, work)]);
  const flat = rank === 1 ? ctx.reshape(summed, wide.type.shape) : summed;
  const typed = ctx.emitUnless(work === dtype, "cast", flat, { dtype });
  return [runtime(ctx.emitUnless(axis === rank - 1, "transpose", typed, { perm: swap }))];
};

export const LINALG_HANDLERS: Readonly<Record<string, Handler>> = {
  MatMul: matmul,
  Gemm: gemm,
  CumSum: cumsum,
};
