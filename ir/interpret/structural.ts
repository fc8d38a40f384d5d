// Data movement: reshape, transpose, slice, concat, broadcast. Values are copied unchanged (no rounding); packed
// 4-bit tensors move as unpacked codes and are repacked. reshape shares the operand's storage (tensors are immutable).
// Meaning: slice start/end are Dims evaluated with the bound sizes and must satisfy 0 <= start <= end <= size once
// known (6114); the result holds elements start, start+step, ... < end.

import { DTYPES, type DType } from "../dtype.ts";
import type { Dim } from "../dim.ts";
import { packCodes, strides, unpackCodes, numel, type Tensor, type TensorData } from "../tensor.ts";
import { planRows } from "./broadcast.ts";
import type { Eval, EvalContext } from "./context.ts";

/** Elements of t, one per array entry (unpacked codes for nf4/int4). */
export function elements(t: Tensor): TensorData {
  return DTYPES[t.dtype].kind === "packed" ? unpackCodes(t.data as Uint8Array, numel(t.shape)) : t.data;
}

/** A tensor from one-per-entry elements, packing nf4/int4. */
export function fromElements(dtype: DType, shape: readonly number[], data: TensorData): Tensor {
  return { dtype, shape, data: DTYPES[dtype].kind === "packed" ? packCodes(data) : data };
}

/** An empty array of the same kind as `like`. */
export function sameKind(like: TensorData, length: number): TensorData {
  return new (like.constructor as new (n: number) => TensorData)(length);
}

/** Copies a strided view (sizes, source strides, source offset) of src into a new contiguous array. */
export function gather(src: TensorData, sizes: readonly number[], srcStrides: readonly number[], offset = 0): TensorData {
  const total = numel(sizes);
  const out = sameKind(src, total);
  if (total === 0) return out;
  const rank = sizes.length;
  const inner = rank === 0 ? 1 : sizes[rank - 1]!;
  const innerStride = rank === 0 ? 0 : srcStrides[rank - 1]!;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let off = offset;
  for (let o = 0; o < total; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = src[off + j * innerStride]!;
    for (let a = rank - 2; a >= 0; a--) {
      index[a]!++;
      off += srcStrides[a]!;
      if (index[a]! < sizes[a]!) break;
      off -= srcStrides[a]! * sizes[a]!;
      index[a] = 0;
    }
  }
  return out;
}

/** Permutes axes of a contiguous array of shape `shape`: result axis i is source axis perm[i]. */
export function permute(src: TensorData, shape: readonly number[], perm: readonly number[]): TensorData {
  const st = strides(shape);
  return gather(src, perm.map((p) => shape[p]!), perm.map((p) => st[p]!));
}

const transpose: Eval = ([x], ctx) => {
  const perm = ctx.attrs["perm"] as readonly number[];
  return [fromElements(x!.dtype, ctx.out[0]!.shape, permute(elements(x!), x!.shape, perm))];
};

/** Normalized axis of an attribute against a rank. */
export function axisOf(ctx: EvalContext, rank: number): number {
  const axis = ctx.int("axis");
  return axis < 0 ? axis + rank : axis;
}

const slice: Eval = ([x], ctx) => {
  const axis = axisOf(ctx, x!.shape.length);
  const size = x!.shape[axis]!;
  const start = ctx.dim(ctx.attrs["start"] as Dim);
  const end = ctx.dim(ctx.attrs["end"] as Dim);
  if (start > end || end > size) {
    ctx.fail(6114, `slice ${start}..${end} is outside 0..${size} on axis ${axis}`, "check the slice bounds against the input size");
  }
  const st = strides(x!.shape);
  const sizes = [...x!.shape];
  sizes[axis] = ctx.out[0]!.shape[axis]!;
  const stepped = [...st];
  stepped[axis] = st[axis]! * ctx.int("step");
  return [fromElements(x!.dtype, ctx.out[0]!.shape, gather(elements(x!), sizes, stepped, start * st[axis]!))];
};

const concat: Eval = (args, ctx) => {
  const spec = ctx.out[0]!;
  const axis = axisOf(ctx, spec.shape.length);
  const outer = numel(spec.shape.slice(0, axis));
  const inner = numel(spec.shape.slice(axis + 1));
  const rowOut = spec.shape[axis]! * inner;
  const parts = args.map(elements);
  const out = sameKind(parts[0]!, numel(spec.shape));
  let base = 0;
  args.forEach((a, k) => {
    const row = a.shape[axis]! * inner;
    const src = parts[k]!;
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * row, (o + 1) * row), o * rowOut + base);
    base += row;
  });
  return [fromElements(spec.dtype, spec.shape, out)];
};

const broadcast: Eval = ([x], ctx) => {
  const spec = ctx.out[0]!;
  const src = elements(x!);
  const out = sameKind(src, numel(spec.shape));
  const plan = planRows(spec.shape, [x!.shape]);
  const offsets = plan.rowOffsets[0]!;
  const s = plan.innerStrides[0]!;
  for (let r = 0; r < plan.rows; r++) {
    const oo = r * plan.inner, oa = offsets[r]!;
    for (let j = 0; j < plan.inner; j++) out[oo + j] = src[oa + j * s]!;
  }
  return [fromElements(spec.dtype, spec.shape, out)];
};

/** Evaluations of the data-movement ops. */
export const STRUCTURAL_EVALS = {
  reshape: (([x], ctx) => [{ dtype: x!.dtype, shape: ctx.out[0]!.shape, data: x!.data }]) as Eval,
  transpose,
  slice,
  concat,
  broadcast,
};
