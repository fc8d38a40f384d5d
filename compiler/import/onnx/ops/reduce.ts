// ONNX reductions and softmax -> IR: ReduceSum / ReduceMean / ReduceMax (axes from the `axes` input, or from the
// attribute in opsets before 18; keepdims defaults to 1; empty axes reduce everything unless
// noop_with_empty_axes), Softmax and LogSoftmax along `axis` (default -1).
// Invariant: an empty axes list with noop_with_empty_axes = 1 returns the operand unchanged.

import { runtime, shapeOfValue } from "../context.ts";
import { axisOf, type Handler } from "./common.ts";
import type { OpName } from "../../../../ir/ops/index.ts";

function reduction(op: OpName): Handler {
  return (ctx) => {
    const x = ctx.need(0);
    const rank = shapeOfValue(x).length;
    const given = ctx.input(1) ? ctx.ints(1, "axes") : ctx.attrInts("axes") ?? [];
    if (given.length === 0 && ctx.attrInt("noop_with_empty_axes", 0) === 1) return [x];
    const axes = given.length === 0 ? Array.from({ length: rank }, (_, i) => i) : given.map((a) => axisOf(ctx, a, rank));
    const keepdims = ctx.attrInt("keepdims", 1) === 1;
    return [runtime(ctx.emit(op, [ctx.runtime(x)], { axes, keepdims }))];
  };
}

const softmax: Handler = (ctx) => {
  const x = ctx.runtime(ctx.need(0));
  const axis = axisOf(ctx, ctx.attrInt("axis", -1), x.type.shape.length);
  return [runtime(ctx.emit("softmax", [x], { axis }))];
};

/** LogSoftmax(x) = x - logsumexp(x) along the axis. */
const logSoftmax: Handler = (ctx) => {
  const x = ctx.runtime(ctx.need(0));
  const axis = axisOf(ctx, ctx.attrInt("axis", -1), x.type.shape.length);
  const lse = ctx.emit("logsumexp", [x], { axis, keepdims: true });
  return [runtime(ctx.emit("sub", [x, lse]))];
};

export const REDUCE_HANDLERS: Readonly<Record<string, Handler>> = {
  ReduceSum: reduction("reduce_sum"),
  ReduceMean: reduction("reduce_mean"),
  ReduceMax: reduction("reduce_max"),
  Softmax: softmax,
  LogSoftmax: logSoftmax,
};
