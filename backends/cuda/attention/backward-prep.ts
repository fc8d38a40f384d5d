// The two small kernels around the main backward kernel. `attn_bwd_prep` runs first: delta = rowsum(dout * out) per
// (batch, head, query) in f32 (the softmax-gradient term FA2 precomputes) and zeroes the f32 dq accumulator the main
// kernel adds into. `attn_bwd_dq` runs last for bf16: dq = bf16(scale * accumulator). (For f32 the accumulator is dq
// itself and the main kernel applies the scale.) Both are memory-bound; one warp per row, one thread per 2 elements.
// Invariants: delta is f32 [B,Hq,Tq]; the accumulator is f32 [B,Tq,Hq,D] in q's layout; D is even.

import type { KernelParam, KernelSource } from "../../kernel.ts";
import { makeKernel } from "./source.ts";
import { elementBytes, queryElements, rowElements, type AttentionSpec } from "./spec.ts";

const PREP_WARPS = 8;
const CONVERT_THREADS = 256;

/** Name of the f32 dq accumulator buffer: scratch for bf16, dq itself for f32. */
export function dqAccumulator(s: AttentionSpec): string {
  return s.dtype === "bf16" ? "dq_accum" : "dq";
}

function prepBody(s: AttentionSpec): string {
  const load = (buf: string) => s.dtype === "bf16"
    ? `bf16_to_f32(reinterpret_cast<const unsigned short*>(${buf})[base + d])` : `${buf}[base + d]`;
  return `  const long long row = static_cast<long long>(blockIdx.x) * WARPS + static_cast<int>(threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x) % 32;
  if (row >= ROWS) return;
  const long long base = row * D;
  float sum = 0.0f;
  for (int d = lane; d < D; d += 32) {
    sum = fmaf(${load("dout")}, ${load("out")}, sum);
    ${dqAccumulator(s)}[base + d] = 0.0f;
  }
#pragma unroll
  for (int mask = 16; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
  if (lane == 0) {
    const long long b = row / (TQ * HQ);
    const int i = static_cast<int>(row / HQ % TQ), h = static_cast<int>(row % HQ);
    delta[(b * HQ + h) * TQ + i] = sum;
  }`;
}

/** The kernel that computes delta and zeroes the dq accumulator. */
export function renderBackwardPrep(s: AttentionSpec): KernelSource {
  const rows = s.B * s.Tq * s.Hq;
  const params: KernelParam[] = [
    { name: "out", dtype: s.dtype, access: "read" },
    { name: "dout", dtype: s.dtype, access: "read" },
    { name: "delta", dtype: "f32", access: "write" },
    { name: dqAccumulator(s), dtype: "f32", access: "write" },
  ];
  return makeKernel({
    prefix: "attn_bwd_prep",
    summary: `attention backward prologue (${s.dtype}): delta = rowsum(dout * out), dq accumulator = 0; ` +
      `B=${s.B} Tq=${s.Tq} Hq=${s.Hq} D=${s.D}`,
    params,
    constants: [["int", "TQ", s.Tq], ["int", "HQ", s.Hq], ["int", "D", s.D], ["int", "WARPS", PREP_WARPS],
      ["long long", "ROWS", rows]],
    primitives: s.dtype === "bf16" ? ["bf16_to_f32", "shfl_xor"] : ["shfl_xor"],
    helpers: "",
    body: prepBody(s),
    grid: [Math.ceil(rows / PREP_WARPS), 1, 1],
    threads: PREP_WARPS * 32,
    minBlocks: 1,
    sharedBytes: 0,
    flops: 2 * queryElements(s),
    bytes: 2 * queryElements(s) * elementBytes(s) + rowElements(s) * 4 + queryElements(s) * 4,
  });
}

/** The kernel that turns the bf16 path's f32 dq accumulator into dq (bf16), applying the softmax scale. */
export function renderBackwardDq(s: AttentionSpec): KernelSource {
  const pairs = queryElements(s) / 2;
  return makeKernel({
    prefix: "attn_bwd_dq",
    summary: `attention backward epilogue: dq = bf16(scale * dq_accum); B=${s.B} Tq=${s.Tq} Hq=${s.Hq} D=${s.D}`,
    params: [
      { name: "dq_accum", dtype: "f32", access: "read" },
      { name: "dq", dtype: "bf16", access: "write" },
    ],
    constants: [["long long", "PAIRS", pairs], ["float", "SCALE", s.scale]],
    primitives: ["pack_bf16"],
    helpers: "",
    body: `  const long long p =
      static_cast<long long>(blockIdx.x) * ${CONVERT_THREADS} + static_cast<int>(threadIdx.x);
  if (p >= PAIRS) return;
  reinterpret_cast<unsigned*>(dq)[p] = pack_bf16(SCALE * dq_accum[2 * p], SCALE * dq_accum[2 * p + 1]);`,
    grid: [Math.ceil(pairs / CONVERT_THREADS), 1, 1],
    threads: CONVERT_THREADS,
    minBlocks: 1,
    sharedBytes: 0,
    flops: queryElements(s),
    bytes: queryElements(s) * 6,
  });
}
