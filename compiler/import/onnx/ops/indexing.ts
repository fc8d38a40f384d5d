// ONNX Slice and Gather -> IR slice / reshape / gather / embedding. Slice follows ONNX: negative starts and ends count
// from the end, out-of-range bounds clamp, several axes at once; on runtime data only positive steps are supported.
// Gather with known indices becomes a slice (a scalar or a contiguous run; negative indices wrapped at import time,
// against symbolic sizes too) or a `gather` with constant indices; with runtime indices it is an `embedding` when it
// looks up rows of a float [V, C] table along axis 0 (the token embedding), otherwise a `gather`.
// Invariants: bounds at or beyond ±(2^31 - 1) mean "to the end" / "from the start" (exporters write INT64_MAX);
// symbolic sizes are assumed to be at least 2 where a bound must be compared with them (see compareDims); runtime
// Gather indices must be non-negative (the interpreter rejects out-of-range ones, it does not wrap negative ones).

import type { Value } from "../../../../ir/builder.ts";
import { dimAdd, type Dim } from "../../../../ir/dim.ts";
import { isFloat } from "../../../../ir/dtype.ts";
import { gatherShape } from "../../../../ir/ops/structural.ts";
import { runtime, shapeOfValue, type NodeContext, type OnnxValue } from "../context.ts";
import { E_UNRESOLVED_SHAPE, E_UNSUPPORTED_FORM } from "../errors.ts";
import { compareDims, concreteValues, known, takeAlong, type Known } from "../known.ts";
import { axisOf, type Handler } from "./common.ts";
import { reshapeTo } from "./layout.ts";

const END = 2 ** 31 - 1;

/** An ONNX slice bound resolved against `size` for a positive step: in [0, size]. */
function bound(v: Dim, size: Dim): Dim {
  if (typeof v === "number") {
    if (v >= END) return size;
    if (v <= -END) return 0;
    if (v < 0) {
      const r = dimAdd(size, v);
      return typeof r === "number" ? Math.max(0, r) : compareDims(r, 0) === -1 ? 0 : r;
    }
    if (typeof size === "number") return Math.min(v, size);
  }
  const c = compareDims(v, size);
  return c !== undefined && c >= 0 ? size : v;
}

/** Indices an ONNX slice selects on a concrete axis (any nonzero step). */
function sliceIndices(start: number, end: number, step: number, n: number): number[] {
  const norm = (v: number) => (v < 0 ? v + n : v);
  const out: number[] = [];
  if (step > 0) {
    const s = Math.min(Math.max(norm(start), 0), n);
    const e = Math.min(Math.max(norm(end), 0), n);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    const s = Math.min(Math.max(norm(start), 0), n - 1);
    const e = Math.min(Math.max(norm(end), -1), n - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

function sliceAxis(ctx: NodeContext, x: OnnxValue, axis: number, start: Dim, end: Dim, step: number): OnnxValue {
  if (step === 0) return ctx.fail(E_UNSUPPORTED_FORM, "slice step 0", "the model file is invalid; re-export it");
  const size = shapeOfValue(x)[axis]!;
  if (x.kind === "known") {
    if (typeof start !== "number" || typeof end !== "number") {
      return ctx.fail(E_UNRESOLVED_SHAPE, `slice bounds ${start}..${end} of an import-time tensor are symbolic`,
        "export with static shapes for this computation");
    }
    return takeAlong(x, axis, sliceIndices(start, end, step, size as number));
  }
  if (step < 0) {
    return ctx.fail(E_UNSUPPORTED_FORM, `slice with negative step ${step} on a run-time tensor (axis ${axis})`,
      "trainc's slice only steps forward; rewrite the model without reversing slices (e.g. use torch.flip before export)");
  }
  const s = bound(start, size);
  let e = bound(end, size);
  if (compareDims(e, s) === -1) e = s;
  return runtime(ctx.slice(x.value, axis, s, e, step));
}

const slice: Handler = (ctx) => {
  let out = ctx.need(0);
  const rank = shapeOfValue(out).length;
  const starts = ctx.known(1, "starts").data;
  const ends = ctx.known(2, "ends").data;
  const axes = ctx.input(3) ? ctx.ints(3, "axes") : starts.map((_, i) => i);
  const steps = ctx.input(4) ? ctx.ints(4, "steps") : starts.map(() => 1);
  axes.forEach((a, i) => {
    out = sliceAxis(ctx, out, axisOf(ctx, a, rank), starts[i]!, ends[i]!, steps[i]!);
  });
  return [out];
};

/** Whether a Gather of run-time ids is an embedding lookup: rows (axis 0) of a float [V, C] table. */
function isEmbedding(data: Value, axis: number): boolean {
  return axis === 0 && data.type.shape.length === 2 && isFloat(data.type.dtype);
}

/** Gather with import-time indices from runtime data: one slice when they form a contiguous run, else a gather. */
function gatherKnownIndices(ctx: NodeContext, data: Value, indices: Known, axis: number): OnnxValue {
  const size = data.type.shape[axis]!;
  const raw = concreteValues(indices) ?? ctx.fail(E_UNRESOLVED_SHAPE, "gather indices are symbolic", "export static indices");
  const idx = raw.map((i) => (i < 0 ? dimAdd(size, i) : i));
  const first = idx[0];
  const contiguous = idx.length > 0 && idx.every((d, i) => d === dimAdd(first!, i));
  if (contiguous) {
    const part = ctx.slice(data, axis, first!, dimAdd(first!, idx.length));
    return reshapeTo(ctx, runtime(part), gatherShape(data.type.shape, axis, indices.shape));
  }
  return runtime(ctx.emit("gather", [data, ctx.runtime(known(indices.dtype, indices.shape, idx))], { axis }));
}

const gather: Handler = (ctx) => {
  const data = ctx.need(0);
  const indices = ctx.need(1);
  const dataShape = shapeOfValue(data);
  const axis = axisOf(ctx, ctx.attrInt("axis", 0), dataShape.length);
  if (data.kind === "known" && indices.kind === "known") {
    const n = data.shape[axis]!;
    const idx = (concreteValues(indices) ?? ctx.fail(E_UNRESOLVED_SHAPE, "gather indices are symbolic",
      "export static indices")).map((i) => (i < 0 ? i + n : i));
    const picked = takeAlong(data, axis, idx);
    return [known(data.dtype, gatherShape(data.shape, axis, indices.shape) as number[], picked.data)];
  }
  const table = ctx.runtime(data);
  if (indices.kind === "known") return [gatherKnownIndices(ctx, table, indices, axis)];
  if (isEmbedding(table, axis)) return [runtime(ctx.emit("embedding", [table, indices.value]))];
  return [runtime(ctx.emit("gather", [table, indices.value], { axis }))];
};

export const INDEXING_HANDLERS: Readonly<Record<string, Handler>> = {
  Slice: slice,
  Gather: gather,
};
