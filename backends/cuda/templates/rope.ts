// Rotary embeddings: rope_tables (cos and sin tables [B, T, dim] from positions) and rope (x*cos + rotate_half(x)*sin
// on [B, T, H, D]), as ir/interpret/model.ts and ir/rope.ts define them.
// rope_tables: the inverse frequencies depend only on attributes for default, linear, yarn and llama3, so they are
// computed here by ir/rope.ts and baked in; angles pos * inv_freq, cos and sin are computed in double as the
// interpreter does, scaled by the attention scaling and rounded once. dynamic and longrope also depend on the batch's
// seq_len = max(position) + 1: every block of a small grid reduces the positions itself, then builds this batch's
// table in shared memory (longrope: picks the short or long one, both baked; dynamic: HF's NTK formula, with every
// float32 rounding that ir/rope.ts does, in the same order). A result the schedule does not use is not written.
// rope: one thread rotates VEC consecutive pairs (d, d + D/2) of one head, with aligned vector loads.

import { ropeFrequencies } from "../../../ir/rope.ts";
import { elementBytes, numel, writtenResult, type Anchor } from "./anchor.ts";
import { doubleLiteral, doubleTable, grid1d, makeKernel, mathType, vectorWidth } from "./source.ts";

const f = Math.fround;

/** Blocks of a rope_tables grid that must reduce the positions first: at most two per SM of an H200. */
const BATCH_BLOCKS = 264;

const WRITE_PAIR = `// Writes cos and sin of one angle, times the attention scaling, to columns k and k + HALF of a row.
template <typename T>
__device__ __forceinline__ void write_pair(T* cos_out, T* sin_out, long long row, int k, double angle) {
  double s, c;
  sincos(angle, &s, &c);
  if (WRITE_COS) {
    narrow(cos_out[row * DIM + k], c * SCALING);
    narrow(cos_out[row * DIM + k + HALF], c * SCALING);
  }
  if (WRITE_SIN) {
    narrow(sin_out[row * DIM + k], s * SCALING);
    narrow(sin_out[row * DIM + k + HALF], s * SCALING);
  }
}`;

const STATIC_BODY = `  const long long i = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (i >= ROWS * HALF) return;
  const long long row = i / HALF;
  const int k = static_cast<int>(i % HALF);
  write_pair(cos_out, sin_out, row, k, static_cast<double>(pos[row]) * INV_FREQ[k]);`;

const BATCH_BODY = `  __shared__ double inv_freq[HALF];
  __shared__ long long warp_top[8];
  long long top = -1;  // the batch's largest position (every block reads them all)
  for (long long r = threadIdx.x; r < ROWS; r += 256) top = trainc_max(top, static_cast<long long>(pos[r]));
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) top = trainc_max(top, __shfl_xor_sync(0xffffffffu, top, o));
  if (threadIdx.x % 32 == 0) warp_top[threadIdx.x / 32] = top;
  __syncthreads();
#pragma unroll
  for (int w = 0; w < 8; ++w) top = trainc_max(top, warp_top[w]);
  for (int k = threadIdx.x; k < HALF; k += 256) inv_freq[k] = batch_inv_freq(top + 1, k);
  __syncthreads();
  for (long long i = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x; i < ROWS * HALF;
       i += static_cast<long long>(gridDim.x) * 256) {
    const long long row = i / HALF;
    const int k = static_cast<int>(i % HALF);
    write_pair(cos_out, sin_out, row, k, static_cast<double>(pos[row]) * inv_freq[k]);
  }`;

type Attrs = Anchor["node"]["attrs"];

function originalMax(attrs: Attrs): number {
  return (attrs["original_max_position_embeddings"] ?? attrs["max_position_embeddings"]) as number;
}

/** Device code choosing this batch's frequencies, for the rope types that depend on seq_len. */
function batchFrequencies(attrs: Attrs, dim: number): string {
  if (attrs["rope_type"] === "longrope") {
    const original = originalMax(attrs);
    return `constexpr long long ORIGINAL = ${original};  // original_max_position_embeddings
${doubleTable("SHORT_INV_FREQ", ropeFrequencies(attrs, original).invFreq)}
${doubleTable("LONG_INV_FREQ", ropeFrequencies(attrs, original + 1).invFreq)}
// LongRoPE: long factors past the original context.
__device__ __forceinline__ double batch_inv_freq(long long seq_len, int k) {
  return seq_len > ORIGINAL ? LONG_INV_FREQ[k] : SHORT_INV_FREQ[k];
}`;
  }
  const factor = attrs["factor"] as number;
  const max = attrs["max_position_embeddings"] as number;
  const exponents = Array.from({ length: dim / 2 }, (_, i) => f((2 * i) / dim));
  return `constexpr long long MAX_POSITIONS = ${max};  // max_position_embeddings
constexpr double FACTOR = ${doubleLiteral(f(factor))}, FACTOR_MINUS_1 = ${doubleLiteral(f(factor - 1))};
constexpr double MAX_F = ${doubleLiteral(f(max))}, THETA = ${doubleLiteral(f(attrs["theta"] as number))};
constexpr double GROWTH = ${doubleLiteral(f(dim / (dim - 2)))};  // dim / (dim - 2)
${doubleTable("DEFAULT_INV_FREQ", ropeFrequencies(attrs, 0).invFreq)}
${doubleTable("EXPONENTS", exponents)}
// float32 rounding of one torch tensor step (Math.fround in ir/rope.ts).
__device__ __forceinline__ double fr(double x) { return static_cast<double>(static_cast<float>(x)); }
// Dynamic NTK: default frequencies up to MAX_POSITIONS, then theta grows with seq_len.
__device__ __forceinline__ double batch_inv_freq(long long seq_len, int k) {
  if (seq_len <= MAX_POSITIONS) return DEFAULT_INV_FREQ[k];
  const double ratio = fr(fr(fr(fr(static_cast<double>(seq_len)) * FACTOR) / MAX_F) - FACTOR_MINUS_1);
  const double base = fr(THETA * fr(pow(ratio, GROWTH)));
  return fr(1.0 / fr(pow(base, EXPONENTS[k])));
}`;
}

/** rope_tables: cos and sin [B, T, dim] for positions [B, T]. */
export function renderRopeTables(a: Anchor) {
  const pos = a.args[0]!;
  const [cos, sin] = a.results;
  const attrs = a.node.attrs;
  const dim = attrs["dim"] as number;
  const rows = numel(pos.shape);
  const perBatch = attrs["rope_type"] === "dynamic" || attrs["rope_type"] === "longrope";
  const { attentionScaling } = ropeFrequencies(attrs, 0);
  const frequencies = perBatch
    ? batchFrequencies(attrs, dim)
    : doubleTable("INV_FREQ", ropeFrequencies(attrs, 0).invFreq);
  const detail = `constexpr long long ROWS = ${rows};  // positions
constexpr int DIM = ${dim}, HALF = ${dim / 2};
constexpr double SCALING = ${doubleLiteral(attentionScaling)};  // attention scaling folded into cos and sin
constexpr bool WRITE_COS = ${cos!.param !== undefined}, WRITE_SIN = ${sin!.param !== undefined};
${frequencies}

${WRITE_PAIR}`;
  const work = rows * (dim / 2);
  return makeKernel({
    anchor: a, detail,
    summary: `${attrs["rope_type"]} rotary cos/sin tables [${[...pos.shape, dim].join(", ")}] ${cos!.dtype}`,
    helpers: ["convert"],
    roles: [["pos", pos], ["cos_out", cos!], ["sin_out", sin!]],
    body: perBatch ? BATCH_BODY : STATIC_BODY,
    threads: 256,
    grid: perBatch ? [Math.min(BATCH_BLOCKS, grid1d(work, 256)[0]), 1, 1] : grid1d(work, 256),
    flops: 6 * work,
  });
}

/** rope: x [B, T, H, D] rotated by cos, sin [B, T, D]. */
export function renderRope(a: Anchor) {
  const [x, cos, sin] = a.args;
  const [b, t, h, d] = x!.shape as [number, number, number, number];
  const vec = vectorWidth([d / 2], 16 / elementBytes(x!.dtype));
  const detail = `using M = ${mathType(x!.dtype)};
constexpr long long ITEMS = ${b * t * h * (d / 2 / vec)};  // (b, t, h, VEC pairs)
constexpr int H = ${h}, D = ${d}, HALF = ${d / 2};
constexpr int VEC = ${vec};  // pairs per thread`;
  const body = `  const long long i = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (i >= ITEMS) return;
  const int d = static_cast<int>(i % (HALF / VEC)) * VEC;
  const long long head = i / (HALF / VEC);  // (b, t, h)
  const long long bt = head / H;
  M x1[VEC], x2[VEC], c1[VEC], c2[VEC], s1[VEC], s2[VEC], y1[VEC], y2[VEC];
  load_math<VEC>(x1, x + head * D + d);
  load_math<VEC>(x2, x + head * D + HALF + d);
  load_math<VEC>(c1, cos_t + bt * D + d);
  load_math<VEC>(c2, cos_t + bt * D + HALF + d);
  load_math<VEC>(s1, sin_t + bt * D + d);
  load_math<VEC>(s2, sin_t + bt * D + HALF + d);
#pragma unroll
  for (int j = 0; j < VEC; ++j) {
    y1[j] = x1[j] * c1[j] - x2[j] * s1[j];
    y2[j] = x2[j] * c2[j] + x1[j] * s2[j];
  }
  store_math<VEC>(y + head * D + d, y1);
  store_math<VEC>(y + head * D + HALF + d, y2);`;
  return makeKernel({
    anchor: a, detail, body,
    summary: `x*cos + rotate_half(x)*sin on [${x!.shape.join(", ")}] ${x!.dtype}`,
    helpers: ["pack"],
    roles: [["x", x!], ["cos_t", cos!], ["sin_t", sin!], ["y", writtenResult(a, 0)]],
    threads: 256,
    grid: grid1d(b * t * h * (d / 2 / vec), 256),
    flops: 3 * numel(x!.shape),
  });
}
