// VJP rules of reductions, softmax / logsumexp, data movement (reshape, transpose, slice, concat, broadcast),
// embedding and matmul.
// Invariants: a reduction's cotangent is reshaped to the keepdims form and broadcast back; slice pads with zeros via
// concat (interleaving zeros first when step > 1); matmul handles both transposes and reduces batch broadcasting
// (for a rank-2 weight, by folding the batch into one matmul).
// Ties of reduce_max share the cotangent equally (as torch's amax).

import type { GraphBuilder, Value } from "../builder.ts";
import { dimAdd, dimMul, dimSub, type Dim } from "../dim.ts";
import { normalizeAxis } from "../ops/spec.ts";
import { reduceAxes } from "../ops/structural.ts";
import {
  countOf, div, indicator, keepdimsShape, mul, onlyDy, reshapeTo, sub, sumToShape, zeros,
} from "./helpers.ts";
import type { Vjp, VjpContext } from "./types.ts";

/** Operand, axes and keepdims shape of a reduction node, and its cotangent in keepdims form. */
function reduced({ b, args, attrs, dys }: VjpContext) {
  const x = args[0]!;
  const axes = reduceAxes(attrs, x.type.shape.length);
  const keep = keepdimsShape(x.type.shape, axes);
  return { x, axes, keep, dy: reshapeTo(b, onlyDy(dys), keep) };
}

function expand(b: GraphBuilder, v: Value, like: Value): Value {
  return b.op("broadcast", [v], { shape: [...like.type.shape] });
}

const reduceSum: Vjp = (ctx) => {
  const { x, dy } = reduced(ctx);
  return [expand(ctx.b, dy, x)];
};

const reduceMean: Vjp = (ctx) => {
  const { b } = ctx;
  const { x, axes, dy } = reduced(ctx);
  const count = countOf(b, axes.map((a) => x.type.shape[a]!), x.type.dtype);
  return [expand(b, div(b, dy, count), x)];
};

const reduceMax: Vjp = (ctx) => {
  const { b } = ctx;
  const { x, axes, keep, dy } = reduced(ctx);
  const mask = indicator(b, b.op("eq", [x, reshapeTo(b, ctx.results[0]!, keep)]), x.type.dtype);
  const ties = b.op("reduce_sum", [mask], { axes, keepdims: true });
  return [mul(b, mask, div(b, dy, ties))];
};

const softmax: Vjp = ({ b, results, attrs, dys }) => {
  const y = results[0]!;
  const dy = onlyDy(dys);
  const inner = b.op("reduce_sum", [mul(b, dy, y)], { axes: [attrs["axis"] as number], keepdims: true });
  return [mul(b, y, sub(b, dy, inner))];
};

const logsumexp: Vjp = ({ b, args, results, attrs, dys }) => {
  const x = args[0]!;
  const axis = normalizeAxis(attrs["axis"] as number, x.type.shape.length, "logsumexp");
  const keep = keepdimsShape(x.type.shape, [axis]);
  const lse = reshapeTo(b, results[0]!, keep);
  return [mul(b, reshapeTo(b, onlyDy(dys), keep), b.op("exp", [sub(b, x, lse)]))];
};

const transpose: Vjp = ({ b, attrs, dys }) => {
  const perm = attrs["perm"] as readonly number[];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [b.op("transpose", [onlyDy(dys)], { perm: inverse })];
};

/** `v` with `before` zeros prepended and `after` zeros appended along `axis` (concrete zero sizes are skipped). */
function padAxis(b: GraphBuilder, v: Value, axis: number, before: Dim, after: Dim): Value {
  const block = (size: Dim) => {
    const shape = [...v.type.shape];
    shape[axis] = size;
    return zeros(b, { dtype: v.type.dtype, shape });
  };
  const parts = [...(before === 0 ? [] : [block(before)]), v, ...(after === 0 ? [] : [block(after)])];
  return parts.length === 1 ? v : b.op("concat", parts, { axis });
}

/** Puts step-1 zeros after each element of `v` along `axis`, dropping the trailing ones: length (n-1)*step+1. */
function interleaveZeros(b: GraphBuilder, v: Value, axis: number, step: number): Value {
  const shape = [...v.type.shape];
  const n = shape[axis] as number;
  const split = [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)];
  const gap = zeros(b, { dtype: v.type.dtype, shape: [...shape.slice(0, axis + 1), step - 1, ...shape.slice(axis + 1)] });
  const spread = b.op("concat", [reshapeTo(b, v, split), gap], { axis: axis + 1 });
  const flat = [...shape];
  flat[axis] = n * step;
  return b.op("slice", [reshapeTo(b, spread, flat)], { axis, start: 0, end: (n - 1) * step + 1 });
}

const slice: Vjp = ({ b, args, attrs, dys }) => {
  const x = args[0]!;
  const dy = onlyDy(dys);
  const axis = normalizeAxis(attrs["axis"] as number, x.type.shape.length, "slice");
  const step = attrs["step"] as number;
  const start = attrs["start"] as Dim;
  if (dy.type.shape[axis] === 0) return [zeros(b, x.type)];
  const spread = step === 1 ? dy : interleaveZeros(b, dy, axis, step);
  const stop = dimAdd(start, spread.type.shape[axis]!);
  return [padAxis(b, spread, axis, start, dimSub(x.type.shape[axis]!, stop))];
};

const concat: Vjp = ({ b, args, attrs, dys }) => {
  const dy = onlyDy(dys);
  const axis = normalizeAxis(attrs["axis"] as number, dy.type.shape.length, "concat");
  let offset: Dim = 0;
  return args.map((a) => {
    const end = dimAdd(offset, a.type.shape[axis]!);
    const part = b.op("slice", [dy], { axis, start: offset, end });
    offset = end;
    return part;
  });
};

function matmul(b: GraphBuilder, x: Value, y: Value, transposeA: boolean, transposeB: boolean): Value {
  return b.op("matmul", [x, y], { transpose_a: transposeA, transpose_b: transposeB });
}

/** [..., M, X] -> [(...)*M, X]: folds batch axes into the rows. */
function foldRows(b: GraphBuilder, v: Value): Value {
  const shape = v.type.shape;
  return reshapeTo(b, v, [shape.slice(0, -1).reduce<Dim>((n, d) => dimMul(n, d), 1), shape.at(-1)!]);
}

// C = op(A) op(B): dA = dC op(B)^T (stored transposed when transpose_a: op(B) dC^T); dB = op(A)^T dC (or dC^T op(A)).
// A rank-2 B (a weight) under a batched, untransposed A gets its gradient from one matmul over the folded rows,
// instead of a batch of products summed afterwards.
const matmulVjp: Vjp = ({ b, args: [a, c], attrs, dys }) => {
  const dy = onlyDy(dys);
  const ta = attrs["transpose_a"] as boolean;
  const tb = attrs["transpose_b"] as boolean;
  const da = ta ? matmul(b, c!, dy, tb, true) : matmul(b, dy, c!, false, !tb);
  const fold = !ta && c!.type.shape.length === 2 && a!.type.shape.length > 2;
  const [lhs, rhs] = fold ? [foldRows(b, a!), foldRows(b, dy)] : [a!, dy];
  const dc = tb ? matmul(b, rhs, lhs, true, ta) : matmul(b, lhs, rhs, !ta, false);
  return [sumToShape(b, da, a!.type.shape), sumToShape(b, dc, c!.type.shape)];
};

const embedding: Vjp = ({ b, args: [weight, ids], dys }) => {
  const grad = b.op("embedding_grad", [ids!, onlyDy(dys)], { num_embeddings: weight!.type.shape[0]! });
  return [grad, undefined];
};

/** VJP rules of the structural ops (ir/ops/structural.ts). */
export const STRUCTURAL_VJPS = {
  reduce_sum: reduceSum,
  reduce_max: reduceMax,
  reduce_mean: reduceMean,
  softmax,
  logsumexp,
  reshape: ({ b, args, dys }) => [reshapeTo(b, onlyDy(dys), args[0]!.type.shape)],
  transpose,
  slice,
  concat,
  broadcast: ({ b, args, dys }) => [sumToShape(b, onlyDy(dys), args[0]!.type.shape)],
  embedding,
  matmul: matmulVjp,
} as const satisfies Record<string, Vjp>;
