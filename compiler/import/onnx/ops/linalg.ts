// ONNX MatMul and Gemm -> IR matmul, CumSum -> IR cumsum. MatMul follows numpy.matmul: a rank-1 left operand is
// [1,K] and a rank-1 right operand is [K,1] for the product, and the added axis is removed afterwards; leading axes
// broadcast. Gemm is alpha * A' B' + beta * C with optional transposes, C broadcast to [M,N]. CumSum maps one to one
// (same exclusive and reverse meaning, any numeric dtype; the axis must be known at import time).
// Invariant: no scaling node is emitted for alpha = 1 or beta = 1.

import type { Value } from "../../../../ir/builder.ts";
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

const cumsum: Handler = (ctx) => {
  const x = ctx.runtime(ctx.need(0));
  const axis = axisOf(ctx, ctx.ints(1, "axis")[0]!, x.type.shape.length);
  const exclusive = ctx.attrInt("exclusive", 0) === 1;
  const reverse = ctx.attrInt("reverse", 0) === 1;
  return [runtime(ctx.emit("cumsum", [x], { axis, exclusive, reverse }))];
};

export const LINALG_HANDLERS: Readonly<Record<string, Handler>> = {
  MatMul: matmul,
  Gemm: gemm,
  CumSum: cumsum,
};
