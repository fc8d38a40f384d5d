// The two small kernels around the main backward kernel. `attn_bwd_prep` runs first: delta = rowsum(dout * out) per
// (batch, head, query) in f32 (the softmax-gradient term FA2 precomputes) and zeroes the f32 dq accumulator the main
// kernel adds into. `attn_bwd_dq` runs last for bf16 / f16: dq = half(scale * accumulator). (For f32 the accumulator is dq
// itself and the main kernel applies the scale.) Both are memory-bound and move 16 bytes per access: in the prep a
// group of LANES lanes (a power of two) covers one row in 16-byte chunks and sums its dot product by shuffles; in the
// epilogue each thread converts four floats.
// Invariants: delta is f32 [B,Hq,Tq]; the accumulator is f32 [B,Tq,Hq,D] in q's layout; D is a multiple of 8
// (checkSpec), so a row is whole 16-byte chunks of either dtype.

import type { KernelParam, KernelSource } from "../../kernel.ts";
import { isHalf } from "../half.ts";
import { makeKernel } from "./source.ts";
import { elementBytes, queryElements, rowElements, type AttentionSpec } from "./spec.ts";

const PREP_WARPS = 8;
const CONVERT_THREADS = 256;

/** Name of the f32 dq accumulator buffer: scratch for bf16 / f16, dq itself for f32. */
export function dqAccumulator(s: AttentionSpec): string {
  return isHalf(s.dtype) ? "dq_accum" : "dq";
}

/** The prep kernel's row split: 16-byte chunks per row, lanes per row (a power of two, at most 32). */
function prepShape(s: AttentionSpec): { chunks: number; lanes: number } {
  const chunks = s.D * elementBytes(s) / 16;
  let lanes = 1;
  while (lanes < chunks && lanes < 32) lanes *= 2;
  return { chunks, lanes };
}

/** Device code: the dot product of two 16-byte chunks of `dtype` elements, in f32. */
function chunkDot(s: AttentionSpec): string {
  if (s.dtype === "f32") {
    return `// Sum of the products of the four f32 pairs of a and b.
__device__ __forceinline__ float chunk_dot(const uint4& a, const uint4& b) {
  return __uint_as_float(a.x) * __uint_as_float(b.x) + __uint_as_float(a.y) * __uint_as_float(b.y) +
         __uint_as_float(a.z) * __uint_as_float(b.z) + __uint_as_float(a.w) * __uint_as_float(b.w);
}`;
  }
  return `// Sum of the products of the eight 16-bit pairs of a and b, in f32.
__device__ __forceinline__ float chunk_dot(const uint4& a, const uint4& b) {
  const unsigned wa[4] = {a.x, a.y, a.z, a.w}, wb[4] = {b.x, b.y, b.z, b.w};
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    sum = fmaf(half_to_f32(static_cast<unsigned short>(wa[i])), half_to_f32(static_cast<unsigned short>(wb[i])), sum);
    sum = fmaf(half_to_f32(static_cast<unsigned short>(wa[i] >> 16)),
               half_to_f32(static_cast<unsigned short>(wb[i] >> 16)), sum);
  }
  return sum;
}`;
}

function prepBody(s: AttentionSpec): string {
  // The f32 accumulator row is zeroStores times the bytes of an input row; lanes zero it in contiguous runs.
  const zeroStores = isHalf(s.dtype) ? 2 : 1;
  return `  const int lane = static_cast<int>(threadIdx.x) % 32, sub = lane % LANES;
  const long long row = (static_cast<long long>(blockIdx.x) * WARPS + static_cast<int>(threadIdx.x) / 32) *
      (32 / LANES) + lane / LANES;
  const bool valid = row < ROWS;
  const uint4 zero = {0u, 0u, 0u, 0u};
  float sum = 0.0f;
  if (valid) {
    const uint4* o = reinterpret_cast<const uint4*>(out) + row * CHUNKS;
    const uint4* g = reinterpret_cast<const uint4*>(dout) + row * CHUNKS;
    uint4* acc = reinterpret_cast<uint4*>(${dqAccumulator(s)}) + row * CHUNKS * ${zeroStores};
    for (int c = sub; c < CHUNKS; c += LANES) {
      sum += chunk_dot(o[c], g[c]);
${Array.from({ length: zeroStores }, (_, i) => `      acc[c${i ? ` + ${i} * CHUNKS` : ""}] = zero;`).join("\n")}
    }
  }
#pragma unroll
  for (int mask = LANES / 2; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
  if (valid && sub == 0) {
    const long long b = row / (TQ * HQ);
    const int i = static_cast<int>(row / HQ % TQ), h = static_cast<int>(row % HQ);
    delta[(b * HQ + h) * TQ + i] = sum;
  }`;
}

/** The kernel that computes delta and zeroes the dq accumulator. */
export function renderBackwardPrep(s: AttentionSpec): KernelSource {
  const rows = s.B * s.Tq * s.Hq;
  const shape = prepShape(s);
  const rowsPerBlock = PREP_WARPS * (32 / shape.lanes);
  const params: KernelParam[] = [
    { name: "out", dtype: s.dtype, access: "read" },
    { name: "dout", dtype: s.dtype, access: "read" },
    { name: "delta", dtype: "f32", access: "write" },
    { name: dqAccumulator(s), dtype: "f32", access: "write" },
  ];
  return makeKernel({
    prefix: "attn_bwd_prep",
    dtype: s.dtype,
    summary: `attention backward prologue (${s.dtype}): delta = rowsum(dout * out), dq accumulator = 0; ` +
      `B=${s.B} Tq=${s.Tq} Hq=${s.Hq} D=${s.D}`,
    params,
    constants: [["int", "TQ", s.Tq], ["int", "HQ", s.Hq], ["int", "CHUNKS", shape.chunks], ["int", "LANES", shape.lanes],
      ["int", "WARPS", PREP_WARPS], ["long long", "ROWS", rows]],
    primitives: isHalf(s.dtype) ? ["half_to_f32", "shfl_xor"] : ["shfl_xor"],
    helpers: chunkDot(s),
    body: prepBody(s),
    grid: [Math.ceil(rows / rowsPerBlock), 1, 1],
    threads: PREP_WARPS * 32,
    minBlocks: 1,
    sharedBytes: 0,
    flops: 2 * queryElements(s),
    bytes: 2 * queryElements(s) * elementBytes(s) + rowElements(s) * 4 + queryElements(s) * 4,
  });
}

/** The kernel that turns the 16-bit path's f32 dq accumulator into dq (bf16 / f16), applying the softmax scale. */
export function renderBackwardDq(s: AttentionSpec): KernelSource {
  const quads = queryElements(s) / 4;
  return makeKernel({
    prefix: "attn_bwd_dq",
    dtype: s.dtype,
    summary: `attention backward epilogue: dq = ${s.dtype}(scale * dq_accum); B=${s.B} Tq=${s.Tq} Hq=${s.Hq} D=${s.D}`,
    params: [
      { name: "dq_accum", dtype: "f32", access: "read" },
      { name: "dq", dtype: s.dtype, access: "write" },
    ],
    constants: [["long long", "QUADS", quads], ["float", "SCALE", s.scale]],
    primitives: ["pack_half"],
    helpers: "",
    body: `  const long long p =
      static_cast<long long>(blockIdx.x) * ${CONVERT_THREADS} + static_cast<int>(threadIdx.x);
  if (p >= QUADS) return;
  const float4 a = reinterpret_cast<const float4*>(dq_accum)[p];
  reinterpret_cast<uint2*>(dq)[p] = {pack_half(SCALE * a.x, SCALE * a.y), pack_half(SCALE * a.z, SCALE * a.w)};`,
    grid: [Math.ceil(quads / CONVERT_THREADS), 1, 1],
    threads: CONVERT_THREADS,
    minBlocks: 1,
    sharedBytes: 0,
    flops: queryElements(s),
    bytes: queryElements(s) * 6,
  });
}
