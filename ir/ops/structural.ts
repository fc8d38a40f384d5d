// Reductions, softmax / logsumexp, running sums (cumsum), data movement (reshape, transpose, slice, concat,
// broadcast), indexing (gather along any axis, embedding row gather) and batched matmul. Axes may be negative
// (counted from the end); shape attributes may be symbolic (`[B,T,64]`).

import { broadcastShapes, dimAdd, dimSub, formatShape, shapeNumel, type Dim, type Shape } from "../dim.ts";
import { isNumeric } from "../dtype.ts";
import type { Attrs, TensorType } from "../graph.ts";
import {
  attrDims, describe, expectFloat, expectInt, expectSameDType, normalizeAxis, tensor, typeError, type OpDef,
} from "./spec.ts";

/** Reduced axes as sorted, non-negative, unique indexes. */
export function reduceAxes(attrs: Attrs, rank: number): number[] {
  const axes = (attrs["axes"] as readonly number[]).map((a) => normalizeAxis(a, rank, "reduce"));
  if (new Set(axes).size !== axes.length) typeError(`reduce: repeated axis in [${axes.join(",")}]`);
  return axes.sort((a, b) => a - b);
}

function reduction(doc: string, floatOnly: boolean): OpDef {
  return {
    doc, arity: 1, attrs: { axes: { kind: "ints" }, keepdims: { kind: "bool", default: false } },
    infer: ([x], attrs) => {
      if (floatOnly) expectFloat(x!, "operand");
      else if (!isNumeric(x!.dtype)) typeError(`operand must be numeric, got ${describe(x!)}`);
      const axes = reduceAxes(attrs, x!.shape.length);
      const keep = attrs["keepdims"] as boolean;
      const shape = x!.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
      return [tensor(x!.dtype, shape)];
    },
  };
}

/** The result shape of gather: data's shape with the gathered axis replaced by the indices' shape. */
export function gatherShape(data: Shape, axis: number, indices: Shape): Dim[] {
  return [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
}

/** Size of a [start, end) slice with a positive step; symbolic only when step is 1. */
export function sliceLength(start: Dim, end: Dim, step: number): Dim {
  const span = dimSub(end, start);
  if (step === 1) return span;
  if (typeof span !== "number") typeError(`slice with step ${step} needs concrete bounds, got ${start}..${end}`);
  return Math.max(0, Math.ceil(span / step));
}

export const STRUCTURAL_OPS = {
  reduce_sum: reduction("Sum over `axes`.", false),
  reduce_max: reduction("Maximum over `axes`.", false),
  reduce_mean: reduction("Mean over `axes`.", true),
  softmax: {
    doc: "exp(x - max) / sum(exp(x - max)) along `axis`.", arity: 1, attrs: { axis: { kind: "int", default: -1 } },
    infer: ([x], attrs) => {
      expectFloat(x!, "operand");
      normalizeAxis(attrs["axis"] as number, x!.shape.length, "softmax");
      return [x!];
    },
  },
  logsumexp: {
    doc: "log(sum(exp(x))) along `axis`, computed stably.", arity: 1,
    attrs: { axis: { kind: "int", default: -1 }, keepdims: { kind: "bool", default: false } },
    infer: ([x], attrs) => {
      expectFloat(x!, "operand");
      const axis = normalizeAxis(attrs["axis"] as number, x!.shape.length, "logsumexp");
      const keep = attrs["keepdims"] as boolean;
      return [tensor(x!.dtype, x!.shape.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d])))];
    },
  },
  cumsum: {
    doc: "Running sum along `axis` (ONNX CumSum): out[i] = sum of x[j] over j <= i, or j < i when exclusive; with " +
      "reverse, over j >= i (j > i when exclusive). Numeric dtypes.",
    arity: 1,
    attrs: { axis: { kind: "int" }, exclusive: { kind: "bool", default: false }, reverse: { kind: "bool", default: false } },
    infer: ([x], attrs) => {
      if (!isNumeric(x!.dtype)) typeError(`cumsum operand must be numeric, got ${describe(x!)}`);
      normalizeAxis(attrs["axis"] as number, x!.shape.length, "cumsum");
      return [x!];
    },
  },
  reshape: {
    doc: "Same elements in row-major order, new shape (element counts must match).", arity: 1,
    attrs: { shape: { kind: "dims" } },
    infer: ([x], attrs) => {
      const shape = attrDims(attrs, "shape");
      if (shapeNumel(shape) !== shapeNumel(x!.shape)) {
        typeError(`reshape ${describe(x!)} to ${formatShape(shape)}: element counts differ`);
      }
      return [tensor(x!.dtype, shape)];
    },
  },
  transpose: {
    doc: "Permutes axes: out.shape[i] = x.shape[perm[i]].", arity: 1, attrs: { perm: { kind: "ints" } },
    infer: ([x], attrs) => {
      const perm = attrs["perm"] as readonly number[];
      const rank = x!.shape.length;
      const sorted = [...perm].sort((a, b) => a - b);
      if (perm.length !== rank || sorted.some((p, i) => p !== i)) {
        typeError(`transpose: perm [${perm.join(",")}] is not a permutation of ${rank} axes`);
      }
      return [tensor(x!.dtype, perm.map((p) => x!.shape[p]!))];
    },
  },
  slice: {
    doc: "Elements start, start+step, ... < end along `axis` (0 <= start <= end <= size).", arity: 1,
    attrs: { axis: { kind: "int" }, start: { kind: "dim" }, end: { kind: "dim" }, step: { kind: "int", default: 1 } },
    infer: ([x], attrs) => {
      const axis = normalizeAxis(attrs["axis"] as number, x!.shape.length, "slice");
      const start = attrs["start"] as Dim;
      const end = attrs["end"] as Dim;
      const step = attrs["step"] as number;
      if (step < 1) typeError(`slice: step must be positive, got ${step}`);
      const size = x!.shape[axis]!;
      for (const [what, v] of [["start", start], ["end", end]] as const) {
        if (typeof v === "number" && (v < 0 || (typeof size === "number" && v > size))) {
          typeError(`slice: ${what} ${v} is outside 0..${size} on axis ${axis}`);
        }
      }
      const shape = [...x!.shape];
      shape[axis] = sliceLength(start, end, step);
      return [tensor(x!.dtype, shape)];
    },
  },
  concat: {
    doc: "Joins operands along `axis`; other sizes must match.", arity: [1, Infinity], attrs: { axis: { kind: "int" } },
    infer: (args, attrs) => {
      const first = args[0]!;
      const axis = normalizeAxis(attrs["axis"] as number, first.shape.length, "concat");
      let total: Dim = 0;
      for (const [i, a] of args.entries()) {
        expectSameDType(first, a, "concat");
        const same = a.shape.length === first.shape.length && a.shape.every((d, j) => j === axis || d === first.shape[j]);
        if (!same) typeError(`concat: operand ${i} ${describe(a)} does not match ${describe(first)} off axis ${axis}`);
        total = dimAdd(total, a.shape[axis]!);
      }
      const shape = [...first.shape];
      shape[axis] = total;
      return [tensor(first.dtype, shape)];
    },
  },
  broadcast: {
    doc: "Expands to `shape` by NumPy broadcasting rules.", arity: 1, attrs: { shape: { kind: "dims" } },
    infer: ([x], attrs) => {
      const shape = attrDims(attrs, "shape");
      const out = broadcastShapes(x!.shape, shape);
      if (!out || out.length !== shape.length || out.some((d, i) => d !== shape[i])) {
        typeError(`broadcast: ${describe(x!)} does not broadcast to ${formatShape(shape)}`);
      }
      return [tensor(x!.dtype, shape)];
    },
  },
  gather: {
    doc: "numpy.take: data indexed along `axis` by the integer tensor `indices`, out[a..., i..., b...] = " +
      "data[a..., indices[i...], b...], shape data.shape[:axis] + indices.shape + data.shape[axis+1:]. Indices must " +
      "lie in [0, size) (negative ones are not wrapped). Any dtype.",
    arity: 2, attrs: { axis: { kind: "int" } },
    infer: ([data, indices], attrs) => {
      expectInt(indices!, "gather indices");
      const axis = normalizeAxis(attrs["axis"] as number, data!.shape.length, "gather");
      return [tensor(data!.dtype, gatherShape(data!.shape, axis, indices!.shape))];
    },
  },
  embedding: {
    doc: "Row gather: out[..., :] = weight[ids[...], :]; weight is [V, C], ids are integers in [0, V).", arity: 2,
    attrs: {},
    infer: ([w, ids]) => {
      expectFloat(w!, "weight");
      expectInt(ids!, "ids");
      if (w!.shape.length !== 2) typeError(`embedding weight must be [V, C], got ${describe(w!)}`);
      return [tensor(w!.dtype, [...ids!.shape, w!.shape[1]!])];
    },
  },
  matmul: {
    doc: "Batched a @ b over the last two axes (each optionally transposed); leading axes broadcast.", arity: 2,
    attrs: { transpose_a: { kind: "bool", default: false }, transpose_b: { kind: "bool", default: false } },
    infer: ([a, b], attrs) => {
      expectSameDType(a!, b!, "matmul");
      expectFloat(a!, "lhs");
      if (a!.shape.length < 2 || b!.shape.length < 2) typeError(`matmul needs rank >= 2, got ${describe(a!)} @ ${describe(b!)}`);
      const [m, ka] = lastTwo(a!, attrs["transpose_a"] as boolean);
      const [kb, n] = lastTwo(b!, attrs["transpose_b"] as boolean);
      if (ka !== kb) typeError(`matmul: contraction sizes differ, ${describe(a!)} @ ${describe(b!)} (${ka} vs ${kb})`);
      const batch = broadcastShapes(a!.shape.slice(0, -2), b!.shape.slice(0, -2));
      if (!batch) typeError(`matmul: batch axes of ${describe(a!)} and ${describe(b!)} do not broadcast`);
      return [tensor(a!.dtype, [...batch, m, n])];
    },
  },
} as const satisfies Record<string, OpDef>;

function lastTwo(t: TensorType, transposed: boolean): [Dim, Dim] {
  const r = t.shape.length;
  const rows = t.shape[r - 2]!;
  const cols = t.shape[r - 1]!;
  return transposed ? [cols, rows] : [rows, cols];
}
