// The two small kernels around the main backward kernel. `attn_bwd_prep` runs first: delta = rowsum(dout * out) per
// (batch, head, query) in f32 (the softmax-gradient term FA2 precomputes) and zeroes the f32 dq accumulator the main
// kernel adds into. `attn_bwd_dq` runs last for bf16 / f16: dq = half(scale * accumulator). (For f32 the accumulator is dq
// itself and the main kernel applies the scale.) Both are memory-bound and move 16 bytes per access: in the prep a
// group of LANES lanes (a power of two) covers one row in 16-byte chunks and sums its dot product by shuffles, and
// every thread zeroes 16-byte chunks of the accumulator, taken as a flat array; in the epilogue each thread converts
// four floats.
// Invariants: delta is f32 [B,Hq,Tq]; the accumulator is f32 in q's layout [B,Tq,Hq,D], or with dqBlocked in blocks
// (dqAccumulatorShape: [B,Hq,ceil(Tq/64),D/64] blocks of 64 rows x 64 columns, each in the fragment order of a
// warpgroup's wgmma accumulator); D is a multiple of 8 (checkSpec), so a row is whole 16-byte chunks of either dtype.

import type { KernelParam, KernelSource } from "../../kernel.ts";
import { isHalf } from "../half.ts";
import { makeKernel } from "./source.ts";
import { elementBytes, queryElements, rowElements, type AttentionConfig, type AttentionSpec } from "./spec.ts";

const PREP_WARPS = 8;
const CONVERT_THREADS = 256;

/** Name of the f32 dq accumulator buffer: scratch for bf16 / f16, dq itself for f32. */
export function dqAccumulator(s: AttentionSpec): string {
  return isHalf(s.dtype) ? "dq_accum" : "dq";
}

/** Rows and columns of a block of the blocked accumulator (dqBlocked). */
export const DQ_BLOCK = 64;

/**
 * The accumulator's shape: q's layout [B,Tq,Hq,D], or with dqBlocked [B,Hq,ceil(Tq/64),D/64,64 * 64]: blocks of 64
 * query rows x 64 columns, each in the order a warpgroup holds a wgmma accumulator, so that each thread stores its
 * registers of an n8 tile as one 16-byte chunk and a warp's chunks are 512 contiguous bytes. Element (r, c) of a block
 * is float nt * 512 + t * 4 + e, with warpgroup thread t = 32 * (r / 16) + 4 * (r % 8) + c % 8 / 2, n8 tile nt = c / 8
 * and register e = 2 * (r % 16 / 8) + c % 2 (mma.sync's C layout, per warp its 16 rows). Rows past Tq are padding.
 */
export function dqAccumulatorShape(s: AttentionSpec, c: AttentionConfig | undefined): number[] {
  if (!c?.dqBlocked) return [s.B, s.Tq, s.Hq, s.D];
  return [s.B, s.Hq, Math.ceil(s.Tq / DQ_BLOCK), s.D / DQ_BLOCK, DQ_BLOCK * DQ_BLOCK];
}

/** Floats of the dq_accum scratch buffer: room for either layout (the blocked one pads each head's rows to 64). */
export function dqScratchFloats(s: AttentionSpec): number {
  return s.B * s.Hq * Math.ceil(s.Tq / DQ_BLOCK) * DQ_BLOCK * s.D;
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
  return `  const int lane = static_cast<int>(threadIdx.x) % 32, sub = lane % LANES;
  const long long row = (static_cast<long long>(blockIdx.x) * WARPS + static_cast<int>(threadIdx.x) / 32) *
      (32 / LANES) + lane / LANES;
  const bool valid = row < ROWS;
  const uint4 zero = {0u, 0u, 0u, 0u};
  uint4* acc = reinterpret_cast<uint4*>(${dqAccumulator(s)});
  for (long long z = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; z < ZERO_CHUNKS;
       z += static_cast<long long>(gridDim.x) * blockDim.x) {
    acc[z] = zero;
  }
  float sum = 0.0f;
  if (valid) {
    const uint4* o = reinterpret_cast<const uint4*>(out) + row * CHUNKS;
    const uint4* g = reinterpret_cast<const uint4*>(dout) + row * CHUNKS;
    for (int c = sub; c < CHUNKS; c += LANES) sum += chunk_dot(o[c], g[c]);
  }
#pragma unroll
  for (int mask = LANES / 2; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
  if (valid && sub == 0) {
    const long long b = row / (TQ * HQ);
    const int i = static_cast<int>(row / HQ % TQ), h = static_cast<int>(row % HQ);
    delta[(b * HQ + h) * TQ + i] = sum;
  }`;
}

/** The kernel that computes delta and zeroes the dq accumulator (of the layout backward config \`c\` adds into). */
export function renderBackwardPrep(s: AttentionSpec, c: AttentionConfig): KernelSource {
  const rows = s.B * s.Tq * s.Hq;
  const accumulator = dqAccumulatorShape(s, c).reduce((n, x) => n * x, 1);
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
      ["int", "WARPS", PREP_WARPS], ["long long", "ROWS", rows], ["long long", "ZERO_CHUNKS", accumulator / 4]],
    primitives: isHalf(s.dtype) ? ["half_to_f32", "shfl_xor"] : ["shfl_xor"],
    helpers: chunkDot(s),
    body: prepBody(s),
    grid: [Math.ceil(rows / rowsPerBlock), 1, 1],
    threads: PREP_WARPS * 32,
    minBlocks: 1,
    sharedBytes: 0,
    flops: 2 * queryElements(s),
    bytes: 2 * queryElements(s) * elementBytes(s) + rowElements(s) * 4 + accumulator * 4,
  });
}

/** Epilogue body for q's layout: thread p converts floats 4p..4p+3. */
const ROW_EPILOGUE = `  const long long p =
      static_cast<long long>(blockIdx.x) * ${CONVERT_THREADS} + static_cast<int>(threadIdx.x);
  if (p >= QUADS) return;
  const float4 a = reinterpret_cast<const float4*>(dq_accum)[p];
  reinterpret_cast<uint2*>(dq)[p] = {pack_half(SCALE * a.x, SCALE * a.y), pack_half(SCALE * a.z, SCALE * a.w)};`;

/**
 * Epilogue body for the blocked layout: thread x of a block's 1024 takes the 16-byte chunk of warpgroup thread t
 * (x / 32 * 4 + x % 4) and n8 tile nt (x / 4 % 8), that is rows r and r + 8, columns c and c + 1 (dqAccumulatorShape),
 * so a warp writes two whole rows of the block and reads 64-byte runs.
 */
const BLOCKED_EPILOGUE = `  const long long x =
      static_cast<long long>(blockIdx.x) * ${CONVERT_THREADS} + static_cast<int>(threadIdx.x);
  if (x >= QUADS) return;
  const long long block = x / 1024;
  const int in = static_cast<int>(x % 1024), t = in / 32 * 4 + in % 4, nt = in / 4 % 8;
  const int cb = static_cast<int>(block % (D / 64)), rb = static_cast<int>(block / (D / 64) % Q_BLOCKS);
  const long long bh = block / (D / 64) / Q_BLOCKS;
  const float4 a = reinterpret_cast<const float4*>(dq_accum)[block * 1024 + nt * 128 + t];
  const int r = rb * 64 + 16 * (t / 32) + t % 32 / 4, c = cb * 64 + 8 * nt + 2 * (t % 4);
  half_t* at = dq + ((bh / HQ * TQ + r) * HQ + bh % HQ) * D + c;
  if (r < TQ) *reinterpret_cast<unsigned*>(at) = pack_half(SCALE * a.x, SCALE * a.y);
  if (r + 8 < TQ) *reinterpret_cast<unsigned*>(at + 8 * HQ * D) = pack_half(SCALE * a.z, SCALE * a.w);`;

/**
 * The kernel that turns the 16-bit path's f32 dq accumulator (in the layout of backward config \`c\`) into dq (bf16 /
 * f16), applying the softmax scale.
 */
export function renderBackwardDq(s: AttentionSpec, c: AttentionConfig): KernelSource {
  const quads = dqAccumulatorShape(s, c).reduce((n, x) => n * x, 1) / 4;
  return makeKernel({
    prefix: "attn_bwd_dq",
    dtype: s.dtype,
    summary: `attention backward epilogue: dq = ${s.dtype}(scale * dq_accum${c.dqBlocked ? ", blocked" : ""}); ` +
      `B=${s.B} Tq=${s.Tq} Hq=${s.Hq} D=${s.D}`,
    params: [
      { name: "dq_accum", dtype: "f32", access: "read" },
      { name: "dq", dtype: s.dtype, access: "write" },
    ],
    constants: [["long long", "QUADS", quads], ["float", "SCALE", s.scale],
      ...(c.dqBlocked ? [["int", "TQ", s.Tq], ["int", "HQ", s.Hq], ["int", "D", s.D],
        ["int", "Q_BLOCKS", Math.ceil(s.Tq / DQ_BLOCK)]] as [string, string, number][] : [])],
    primitives: ["pack_half"],
    helpers: "",
    body: c.dqBlocked ? BLOCKED_EPILOGUE : ROW_EPILOGUE,
    grid: [Math.ceil(quads / CONVERT_THREADS), 1, 1],
    threads: CONVERT_THREADS,
    minBlocks: 1,
    sharedBytes: 0,
    flops: queryElements(s),
    bytes: quads * 16 + queryElements(s) * 2,
  });
}
