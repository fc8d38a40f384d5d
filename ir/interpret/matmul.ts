// Batched matmul: out[..., i, j] = sum_k A[..., i, k] * B[..., k, j] over the last two axes, where A is a (or a's
// last two axes swapped when transpose_a) and B likewise; leading axes broadcast. Products and sums are in double
// precision (k taken two at a time) and the result is rounded once into its dtype.
// Speed: B of each batch is converted to a contiguous double [K, N] panel (transposing it when transpose_b; reused
// while consecutive batch elements share it), so the inner loop is i-k-j over double arrays with hoisted offsets,
// four rows of A and two k at a time.

import type { TensorData } from "../tensor.ts";
import { planRows } from "./broadcast.ts";
import { seal, stageOut, type Eval } from "./context.ts";

/** Offsets (in matrices) of each batch element of one operand, from a broadcast plan over the batch shape. */
function batchOffsets(rows: number, inner: number, offsets: Int32Array, stride: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let j = 0; j < inner; j++) out.push(offsets[r]! + j * stride);
  return out;
}

/** B of one batch as a contiguous double [K, N] panel. */
function panel(b: TensorData, off: number, K: number, N: number, transposed: boolean): Float64Array {
  const out = new Float64Array(K * N);
  if (!transposed) {
    for (let i = 0; i < K * N; i++) out[i] = b[off + i]!;
    return out;
  }
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[k * N + n] = b[off + n * K + k]!;
  return out;
}

/** Rows i..i+3 of A (row-major [M, K], or [K, M] when transposed) as four doubles per k in `rows` (k-major). */
function loadRows(a: TensorData, off: number, i: number, count: number, M: number, K: number, transposed: boolean,
  rows: Float64Array): void {
  rows.fill(0);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < K; k++) rows[k * 4 + r] = transposed ? a[off + k * M + i + r]! : a[off + (i + r) * K + k]!;
  }
}

/** acc[r*N + j] += sum over k of rows[k*4 + r] * bp[k*N + j], for the four rows r. */
function accumulate(acc: Float64Array, rows: Float64Array, bp: Float64Array, K: number, N: number): void {
  const n2 = 2 * N, n3 = 3 * N;
  let k = 0;
  for (; k + 1 < K; k += 2) {
    const x = k * 4;
    const a00 = rows[x]!, a10 = rows[x + 1]!, a20 = rows[x + 2]!, a30 = rows[x + 3]!;
    const a01 = rows[x + 4]!, a11 = rows[x + 5]!, a21 = rows[x + 6]!, a31 = rows[x + 7]!;
    const p0 = k * N, p1 = p0 + N;
    for (let j = 0; j < N; j++) {
      const b0 = bp[p0 + j]!, b1 = bp[p1 + j]!;
      acc[j] += a00 * b0 + a01 * b1;
      acc[N + j] += a10 * b0 + a11 * b1;
      acc[n2 + j] += a20 * b0 + a21 * b1;
      acc[n3 + j] += a30 * b0 + a31 * b1;
    }
  }
  if (k < K) {
    const x = k * 4;
    const a0 = rows[x]!, a1 = rows[x + 1]!, a2 = rows[x + 2]!, a3 = rows[x + 3]!;
    const p0 = k * N;
    for (let j = 0; j < N; j++) {
      const b0 = bp[p0 + j]!;
      acc[j] += a0 * b0;
      acc[N + j] += a1 * b0;
      acc[n2 + j] += a2 * b0;
      acc[n3 + j] += a3 * b0;
    }
  }
}

/** out[oOff + i*N + j] for all i, j: one batch element of C = A @ B with B a [K, N] double panel. */
function gemm(out: TensorData, oOff: number, a: TensorData, aOff: number, transA: boolean, bp: Float64Array,
  M: number, K: number, N: number): void {
  const rows = new Float64Array(K * 4);
  const acc = new Float64Array(N * 4);
  for (let i = 0; i < M; i += 4) {
    const count = Math.min(4, M - i);
    loadRows(a, aOff, i, count, M, K, transA, rows);
    acc.fill(0);
    accumulate(acc, rows, bp, K, N);
    for (let r = 0; r < count; r++) {
      const o = oOff + (i + r) * N;
      for (let j = 0; j < N; j++) out[o + j] = acc[r * N + j]!;
    }
  }
}

const matmul: Eval = ([a, b], ctx) => {
  const transA = ctx.attrs["transpose_a"] as boolean;
  const transB = ctx.attrs["transpose_b"] as boolean;
  const spec = ctx.out[0]!;
  const rank = spec.shape.length;
  const M = spec.shape[rank - 2]!;
  const N = spec.shape[rank - 1]!;
  const K = transA ? a!.shape.at(-2)! : a!.shape.at(-1)!;
  const plan = planRows(spec.shape.slice(0, -2), [a!.shape.slice(0, -2), b!.shape.slice(0, -2)]);
  const offA = batchOffsets(plan.rows, plan.inner, plan.rowOffsets[0]!, plan.innerStrides[0]!);
  const offB = batchOffsets(plan.rows, plan.inner, plan.rowOffsets[1]!, plan.innerStrides[1]!);
  const out = stageOut(ctx);
  let last = -1;
  let bp: Float64Array = new Float64Array(0);
  offA.forEach((ma, batch) => {
    const mb = offB[batch]!;
    if (mb !== last) {
      bp = panel(b!.data, mb * K * N, K, N, transB);
      last = mb;
    }
    gemm(out, batch * M * N, a!.data, ma * M * K, transA, bp, M, K, N);
  });
  return [seal(spec, out)];
};

/** Evaluation of matmul. */
export const MATMUL_EVALS = { matmul };
