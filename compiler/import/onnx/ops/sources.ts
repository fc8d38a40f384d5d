// ONNX ops that make values: Constant, ConstantOfShape, Range, and Trilu (triangular masking, the usual source of
// causal masks). Small results with concrete shapes are known at import time; a symbolic length makes them IR
// values: Range -> iota (* delta + start), ConstantOfShape -> a splat `constant`, Trilu -> iota-based comparison and
// `where`.
// Invariant: a known tensor built here holds at most FOLD_LIMIT elements; bigger ones are emitted, so import time
// and memory stay small for large masks.

import { dimDivExact, dimSub, type Dim } from "../../../../ir/dim.ts";
import type { DType } from "../../../../ir/dtype.ts";
import { dtypeOfValue, runtime, shapeOfValue, type NodeContext, type OnnxValue } from "../context.ts";
import { E_MALFORMED, E_UNRESOLVED_SHAPE, E_UNSUPPORTED_FORM } from "../errors.ts";
import { numel } from "../../../../ir/tensor.ts";
import { concreteValues, FOLD_LIMIT, known, unravel } from "../known.ts";
import type { Handler } from "./common.ts";

const constant: Handler = (ctx) => {
  const tensor = ctx.attrTensor("value");
  if (tensor) return [tensor];
  const f = ctx.hasAttr("value_float") ? ctx.attrFloat("value_float", 0) : undefined;
  if (f !== undefined) return [known("f32", [], [Math.fround(f)])];
  if (ctx.hasAttr("value_int")) return [known("i64", [], [ctx.attrInt("value_int", 0)])];
  const floats = ctx.attrFloats("value_floats");
  if (floats) return [known("f32", [floats.length], floats.map(Math.fround))];
  const ints = ctx.attrInts("value_ints");
  if (ints) return [known("i64", [ints.length], ints)];
  return ctx.fail(E_UNSUPPORTED_FORM, "only tensor, float, int, floats and ints constants are supported",
    "export without sparse or string constants");
};

const constantOfShape: Handler = (ctx) => {
  const shape = ctx.known(0, "shape").data;
  const fill = ctx.attrTensor("value") ?? known("f32", [], [0]);
  const value = fill.data[0] as number;
  if (shape.every((d) => typeof d === "number") && numel(shape as number[]) <= FOLD_LIMIT) {
    return [known(fill.dtype, shape as number[], new Array<Dim>(numel(shape as number[])).fill(value))];
  }
  return [runtime(ctx.emit("constant", [], { dtype: fill.dtype, shape, value }))];
};

function scalarOf(ctx: NodeContext, i: number, what: string): Dim {
  const k = ctx.known(i, what);
  if (k.data.length !== 1) ctx.fail(E_MALFORMED, `Range ${what} must be a scalar`, "the model file is invalid; re-export it");
  return k.data[0]!;
}

const range: Handler = (ctx) => {
  const [start, limit, delta] = [scalarOf(ctx, 0, "start"), scalarOf(ctx, 1, "limit"), scalarOf(ctx, 2, "delta")];
  const dtype = dtypeOfValue(ctx.need(0));
  if (typeof start === "number" && typeof limit === "number" && typeof delta === "number") {
    const count = Math.max(0, Math.ceil((limit - start) / delta));
    if (count <= FOLD_LIMIT) return [known(dtype, [count], Array.from({ length: count }, (_, i) => start + i * delta))];
    return [iotaRange(ctx, dtype, count, start, delta)];
  }
  if (typeof delta !== "number") return ctx.fail(E_UNRESOLVED_SHAPE, `Range delta ${delta} is symbolic`, "export a static step");
  const count = dimDivExact(dimSub(limit, start), delta) ?? ctx.fail(E_UNRESOLVED_SHAPE,
    `the length of Range(${start}, ${limit}, ${delta}) is not a whole number of steps for every size`,
    "export with a static length or a step that divides it");
  if (typeof start !== "number") {
    return ctx.fail(E_UNRESOLVED_SHAPE, `Range start ${start} is symbolic`, "export with a static start");
  }
  return [iotaRange(ctx, dtype, count, start, delta)];
};

/** start + delta * [0, 1, ..., count-1] as IR values. */
function iotaRange(ctx: NodeContext, dtype: DType, count: Dim, start: number, delta: number): OnnxValue {
  let v = ctx.emit("iota", [], { dtype, shape: [count], axis: 0 });
  if (delta !== 1) v = ctx.emit("mul", [v, ctx.runtime(known(dtype, [], [delta]))]);
  if (start !== 0) v = ctx.emit("add", [v, ctx.runtime(known(dtype, [], [start]))]);
  return runtime(v);
}

/** Trilu keeps elements with col - row >= k (upper) or col - row <= k (lower), zeroing the rest. */
const trilu: Handler = (ctx) => {
  const x = ctx.need(0);
  const upper = ctx.attrInt("upper", 1) === 1;
  const kv = ctx.input(1) ? concreteValues(ctx.known(1, "diagonal offset k")) : [0];
  const k = kv?.[0] ?? ctx.fail(E_UNRESOLVED_SHAPE, "the diagonal offset k is symbolic", "export a static k");
  const keep = (row: number, col: number) => (upper ? col - row >= k : col - row <= k);
  const shape = shapeOfValue(x);
  if (x.kind === "known") {
    const [rows, cols] = [shape.length - 2, shape.length - 1];
    const data = x.data.map((d, f) => {
      const idx = unravel(f, x.shape);
      return keep(idx[rows]!, idx[cols]!) ? d : 0;
    });
    return [known(x.dtype, x.shape, data)];
  }
  const plane = shape.slice(-2);
  const row = ctx.emit("iota", [], { dtype: "i64", shape: plane, axis: 0 });
  const col = ctx.emit("iota", [], { dtype: "i64", shape: plane, axis: 1 });
  const diff = k === 0 ? col : ctx.emit("sub", [col, ctx.runtime(known("i64", [], [k]))]);
  const mask = ctx.emit(upper ? "ge" : "le", [diff, row]);
  const zero = ctx.runtime(known(x.value.type.dtype, [], [0]));
  return [runtime(ctx.emit("where", [mask, x.value, zero]))];
};

export const SOURCE_HANDLERS: Readonly<Record<string, Handler>> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  Trilu: trilu,
};
