// ONNX data-movement ops -> IR: Shape, Size, Reshape (0 copies a dim unless allowzero, -1 is inferred), Flatten,
// Unsqueeze, Squeeze, Transpose, Expand (bidirectional broadcast), Concat and Split. Shape and Size are always
// known at import time (they read our types); the rest fold on known tensors and otherwise become reshape /
// transpose / broadcast / concat / slice nodes.
// Invariant: no IR node is emitted for a reshape, transpose or broadcast that would not change its operand.

import { broadcastShapes, dimAdd, dimDivExact, shapeEqual, shapeNumel, type Dim, type Shape } from "../../../../ir/dim.ts";
import { runtime, shapeOfValue, type NodeContext, type OnnxValue } from "../context.ts";
import { E_MALFORMED, E_UNRESOLVED_SHAPE } from "../errors.ts";
import { numel } from "../../../../ir/tensor.ts";
import { broadcastKnown, concatKnown, FOLD_LIMIT, known, takeAlong, transposeKnown } from "../known.ts";
import { axisOf, type Handler } from "./common.ts";

/** Gives `x` a new shape: a known tensor keeps its data when the shape is concrete; else an IR reshape. */
export function reshapeTo(ctx: NodeContext, x: OnnxValue, shape: Shape): OnnxValue {
  const concrete = shape.every((d) => typeof d === "number");
  if (x.kind === "known" && concrete && numel(shape as number[]) === x.data.length) {
    return known(x.dtype, shape as number[], x.data);
  }
  return runtime(ctx.reshape(ctx.runtime(x), shape));
}

const shapeOp: Handler = (ctx) => {
  const shape = shapeOfValue(ctx.need(0));
  const rank = shape.length;
  const clamp = (i: number) => Math.min(rank, Math.max(0, i < 0 ? i + rank : i));
  const start = clamp(ctx.attrInt("start", 0));
  const end = clamp(ctx.attrInt("end", rank));
  const dims = shape.slice(start, Math.max(start, end));
  return [known("i64", [dims.length], dims)];
};

const size: Handler = (ctx) => [known("i64", [], [shapeNumel(shapeOfValue(ctx.need(0)))])];

/** The target of an ONNX Reshape: 0 copies the input dim (unless allowzero), one -1 is inferred. */
function reshapeTarget(ctx: NodeContext, input: Shape, spec: readonly Dim[], allowzero: boolean): Dim[] {
  const out = spec.map((d, i) => (d === 0 && !allowzero ? input[i] ?? ctx.fail(E_MALFORMED,
    `shape entry ${i} is 0 (copy) but the input has rank ${input.length}`, "the model file is invalid; re-export it") : d));
  const inferred = out.indexOf(-1);
  if (inferred < 0) return out;
  const rest = shapeNumel(out.filter((_, i) => i !== inferred));
  const total = shapeNumel(input);
  out[inferred] = (rest === 0 ? 0 : dimDivExact(total, rest)) ?? ctx.fail(E_UNRESOLVED_SHAPE,
    `cannot infer the -1 entry of shape [${spec.join(", ")}]: ${total} elements are not a multiple of ${rest}`,
    "export with an explicit shape, or check the model");
  return out;
}

const reshape: Handler = (ctx) => {
  const x = ctx.need(0);
  const spec = ctx.known(1, "target shape");
  return [reshapeTo(ctx, x, reshapeTarget(ctx, shapeOfValue(x), spec.data, ctx.attrInt("allowzero", 0) === 1))];
};

const flatten: Handler = (ctx) => {
  const x = ctx.need(0);
  const shape = shapeOfValue(x);
  const axis = ctx.attrInt("axis", 1);
  const a = axis < 0 ? axis + shape.length : axis;
  if (a < 0 || a > shape.length) ctx.fail(E_MALFORMED, `axis ${axis} is out of range for rank ${shape.length}`, "re-export the model");
  return [reshapeTo(ctx, x, [shapeNumel(shape.slice(0, a)), shapeNumel(shape.slice(a))])];
};

const unsqueeze: Handler = (ctx) => {
  const x = ctx.need(0);
  const shape = shapeOfValue(x);
  const axesList = ctx.input(1) ? ctx.ints(1, "axes") : ctx.attrInts("axes") ?? [];
  const rank = shape.length + axesList.length;
  const axes = new Set(axesList.map((a) => axisOf(ctx, a, rank)));
  const out: Dim[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) out.push(axes.has(i) ? 1 : shape[next++]!);
  return [reshapeTo(ctx, x, out)];
};

const squeeze: Handler = (ctx) => {
  const x = ctx.need(0);
  const shape = shapeOfValue(x);
  const given = ctx.input(1) ? ctx.ints(1, "axes") : ctx.attrInts("axes");
  const axes = given ? given.map((a) => axisOf(ctx, a, shape.length)) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) {
    if (shape[a] !== 1) ctx.fail(E_MALFORMED, `cannot squeeze axis ${a} of size ${shape[a]}`, "re-export the model");
  }
  return [reshapeTo(ctx, x, shape.filter((_, i) => !axes.includes(i)))];
};

const transpose: Handler = (ctx) => {
  const x = ctx.need(0);
  const rank = shapeOfValue(x).length;
  const perm = ctx.attrInts("perm") ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (x.kind === "known") return [transposeKnown(x, perm)];
  const identity = perm.every((p, i) => p === i);
  return [runtime(ctx.emitUnless(identity, "transpose", x.value, { perm }))];
};

const expand: Handler = (ctx) => {
  const x = ctx.need(0);
  const target = ctx.known(1, "target shape").data;
  const shape = broadcastShapes(shapeOfValue(x), target) ?? ctx.fail(E_MALFORMED,
    `shape [${shapeOfValue(x).join(", ")}] cannot expand to [${target.join(", ")}]`, "the model file is invalid; re-export it");
  if (x.kind === "known" && shape.every((d) => typeof d === "number") && numel(shape as number[]) <= FOLD_LIMIT) {
    return [broadcastKnown(x, shape as number[])];
  }
  const v = ctx.runtime(x);
  return [runtime(ctx.emitUnless(shapeEqual(v.type.shape, shape), "broadcast", v, { shape }))];
};

const concat: Handler = (ctx) => {
  const parts = Array.from({ length: ctx.arity }, (_, i) => ctx.need(i));
  const rank = shapeOfValue(parts[0]!).length;
  const axis = axisOf(ctx, ctx.attrInt("axis", 0), rank);
  if (parts.every((p) => p.kind === "known")) return [concatKnown(parts, axis)];
  const nonEmpty = parts.filter((p) => shapeOfValue(p)[axis] !== 0);
  if (nonEmpty.length === 1) return [nonEmpty[0]!];
  return [runtime(ctx.concat(nonEmpty.map((p) => ctx.runtime(p)), axis))];
};

/** Split sizes: from the `split` input or attribute, else equal parts (the last one smaller). */
function splitSizes(ctx: NodeContext, dim: Dim, count: number): Dim[] {
  const given = ctx.input(1) ? ctx.ints(1, "split sizes") : ctx.attrInts("split");
  if (given) return given;
  if (typeof dim === "number") {
    const chunk = Math.ceil(dim / count);
    return Array.from({ length: count }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  const part = dimDivExact(dim, count) ?? ctx.fail(E_UNRESOLVED_SHAPE,
    `cannot split size ${dim} into ${count} equal parts at import time`, "export with explicit split sizes");
  return new Array<Dim>(count).fill(part);
}

const split: Handler = (ctx) => {
  const x = ctx.need(0);
  const shape = shapeOfValue(x);
  const axis = axisOf(ctx, ctx.attrInt("axis", 0), shape.length);
  const sizes = splitSizes(ctx, shape[axis]!, ctx.node.outputs.length);
  let start: Dim = 0;
  return sizes.map((len) => {
    const begin = start;
    start = dimAdd(begin, len);
    if (x.kind === "known") {
      return takeAlong(x, axis, Array.from({ length: len as number }, (_, i) => (begin as number) + i));
    }
    return runtime(ctx.slice(x.value, axis, begin, start));
  });
};

export const LAYOUT_HANDLERS: Readonly<Record<string, Handler>> = {
  Shape: shapeOp,
  Size: size,
  Reshape: reshape,
  Flatten: flatten,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Transpose: transpose,
  Expand: expand,
  Concat: concat,
  Split: split,
};
