// Reductions (sum, max, mean over a set of axes), softmax and logsumexp along one axis. Accumulation is in double
// precision and the result is rounded once into its dtype.
// Layout: the operand is viewed as [outer, mid, inner] with the reduced axes in `mid`; when the reduced axes are not
// adjacent they are first permuted to the end (inner = 1).
// Meaning: reduce_max propagates NaN and fails on an empty axis (6117); a sum over no elements is 0; reduce_mean is
// sum / count. softmax of a row that is all -inf is NaN (as PyTorch); logsumexp of an all -inf row is -inf.

import { numel, type Tensor, type TensorData } from "../tensor.ts";
import { seal, stageOut, type Eval, type EvalContext } from "./context.ts";
import { permute } from "./structural.ts";

interface Layout {
  readonly data: TensorData;
  readonly outer: number;
  readonly mid: number;
  readonly inner: number;
}

/** Views x as [outer, mid, inner] with `axes` (sorted, non-negative) in mid. */
function layout(x: Tensor, axes: readonly number[]): Layout {
  const shape = x.shape;
  const rank = shape.length;
  const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1);
  if (axes.length === 0) return { data: x.data, outer: numel(shape), mid: 1, inner: 1 };
  if (adjacent) {
    const first = axes[0]!;
    const last = axes.at(-1)!;
    return { data: x.data, outer: numel(shape.slice(0, first)), mid: numel(shape.slice(first, last + 1)),
      inner: numel(shape.slice(last + 1)) };
  }
  const kept = [...Array(rank).keys()].filter((a) => !axes.includes(a));
  return { data: permute(x.data, shape, [...kept, ...axes]), outer: numel(kept.map((a) => shape[a]!)),
    mid: numel(axes.map((a) => shape[a]!)), inner: 1 };
}

function reduceAxes(ctx: EvalContext, rank: number): number[] {
  return (ctx.attrs["axes"] as readonly number[]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/** Sums over `mid` into a Float64Array of outer*inner. */
function sums(l: Layout): Float64Array {
  const acc = new Float64Array(l.outer * l.inner);
  const { data, mid, inner } = l;
  for (let o = 0; o < l.outer; o++) {
    const base = o * inner;
    for (let m = 0; m < mid; m++) {
      const src = (o * mid + m) * inner;
      for (let i = 0; i < inner; i++) acc[base + i] += data[src + i]!;
    }
  }
  return acc;
}

const reduceSum: Eval = ([x], ctx) => {
  const acc = sums(layout(x!, reduceAxes(ctx, x!.shape.length)));
  const out = stageOut(ctx);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]!;
  return [seal(ctx.out[0]!, out)];
};

const reduceMean: Eval = ([x], ctx) => {
  const l = layout(x!, reduceAxes(ctx, x!.shape.length));
  const acc = sums(l);
  const out = stageOut(ctx);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! / l.mid;
  return [seal(ctx.out[0]!, out)];
};

const reduceMax: Eval = ([x], ctx) => {
  const l = layout(x!, reduceAxes(ctx, x!.shape.length));
  if (l.mid === 0 && l.outer * l.inner > 0) ctx.fail(6117, "reduce_max over an empty axis", "reduce a non-empty axis");
  const acc = new Float64Array(l.outer * l.inner).fill(-Infinity);
  const { data, mid, inner } = l;
  for (let o = 0; o < l.outer; o++) {
    const base = o * inner;
    for (let m = 0; m < mid; m++) {
      const src = (o * mid + m) * inner;
      for (let i = 0; i < inner; i++) acc[base + i] = Math.max(acc[base + i]!, data[src + i]!);
    }
  }
  const out = stageOut(ctx);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]!;
  return [seal(ctx.out[0]!, out)];
};

/** Per (outer, inner) line along `axis`: its max, and the sum of exp(x - max). */
function lineStats(l: Layout): { max: Float64Array; sum: Float64Array } {
  const { data, mid, inner } = l;
  const max = new Float64Array(l.outer * inner).fill(-Infinity);
  const sum = new Float64Array(l.outer * inner);
  for (let o = 0; o < l.outer; o++) {
    const base = o * inner;
    for (let m = 0; m < mid; m++) {
      const src = (o * mid + m) * inner;
      for (let i = 0; i < inner; i++) max[base + i] = Math.max(max[base + i]!, data[src + i]!);
    }
    for (let m = 0; m < mid; m++) {
      const src = (o * mid + m) * inner;
      for (let i = 0; i < inner; i++) sum[base + i] += Math.exp(data[src + i]! - max[base + i]!);
    }
  }
  return { max, sum };
}

function axisLayout(x: Tensor, ctx: EvalContext): Layout {
  const rank = x.shape.length;
  const axis = ctx.int("axis") < 0 ? ctx.int("axis") + rank : ctx.int("axis");
  return layout(x, [axis]);
}

/** Softmax of contiguous rows (axis innermost): one exp per element, kept in double until the division. */
function softmaxRows(data: TensorData, rows: number, n: number, out: TensorData): void {
  const e = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, data[base + j]!);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += e[j] = Math.exp(data[base + j]! - max);
    for (let j = 0; j < n; j++) out[base + j] = e[j]! / sum;
  }
}

const softmax: Eval = ([x], ctx) => {
  const l = axisLayout(x!, ctx);
  const out = stageOut(ctx);
  const { data, mid, inner } = l;
  if (inner === 1) {
    softmaxRows(data, l.outer, mid, out);
    return [seal(ctx.out[0]!, out)];
  }
  const { max, sum } = lineStats(l);
  for (let o = 0; o < l.outer; o++) {
    for (let m = 0; m < mid; m++) {
      const at = (o * mid + m) * inner;
      for (let i = 0; i < inner; i++) out[at + i] = Math.exp(data[at + i]! - max[o * inner + i]!) / sum[o * inner + i]!;
    }
  }
  return [seal(ctx.out[0]!, out)];
};

const logsumexp: Eval = ([x], ctx) => {
  const { max, sum } = lineStats(axisLayout(x!, ctx));
  const out = stageOut(ctx);
  for (let i = 0; i < out.length; i++) {
    const m = max[i]!;
    out[i] = Number.isFinite(m) ? m + Math.log(sum[i]!) : m;
  }
  return [seal(ctx.out[0]!, out)];
};

/** Evaluations of the reductions, softmax and logsumexp. */
export const REDUCE_EVALS = {
  reduce_sum: reduceSum,
  reduce_max: reduceMax,
  reduce_mean: reduceMean,
  softmax,
  logsumexp,
};
