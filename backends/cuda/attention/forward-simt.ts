// Forward attention for f32 with true f32 FMAs on the CUDA cores (no TF32), so f32 training matches the reference
// to 1e-5. Same algorithm as the bf16 kernel (one block per Br query rows, online softmax over the visible key tiles,
// last tile first) in a SIMT layout: each warp owns Br/warps rows, its lanes form 4 row groups x 8 column lanes; a
// lane holds RL rows x KL keys of S (keys cl + 8c) and RL rows x D/8 columns of O (columns cl + 8c). P goes through a
// per-warp slice of shared memory to meet V. Tiles are loaded with 16-byte cp.async into rows padded to D + 4 floats
// (conflict-free column walks).
// Invariants: checkForwardSimt holds; outputs as the bf16 kernel: out [B,Tq,Hq,D] f32 and lse f32 [B,Hq,Tq]
// (+inf for a row that sees no key, whose output row is 0).

import type { KernelParam, KernelSource } from "../../kernel.ts";
import { forwardBytes, describeShape } from "./forward-mma.ts";
import {
  listBytes, listConstant, maskParams, maskShape, ownedDocuments, renderMask, tiles, walkStatements,
} from "./mask.ts";
import { makeKernel } from "./source.ts";
import { badConfig, checkShared, forwardFlops, LOG2E, type AttentionConfig, type AttentionSpec } from "./spec.ts";

/** f32 accumulators (S and O) one thread may hold. */
const MAX_ACCUMULATORS = 128;

/** Floats per padded tile row. */
export function paddedRow(d: number): number {
  return d + 4;
}

function layout(s: AttentionSpec, c: AttentionConfig) {
  const kOffset = c.Br * paddedRow(s.D) * 4;
  const vOffset = kOffset + c.Bc * paddedRow(s.D) * 4;
  const pOffset = vOffset + c.Bc * paddedRow(s.D) * 4;
  const listOffset = pOffset + c.Br * (c.Bc + 4) * 4;
  return { kOffset, vOffset, pOffset, listOffset, bytes: listOffset + listBytes(s) };
}

/** Throws 5306/5307 unless the config fits the SIMT layout, registers and shared memory. */
export function checkForwardSimt(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = "f32 attention forward";
  if (![1, 2, 4, 8, 16].includes(c.warps)) badConfig(kernel, c, "warps must be 1, 2, 4, 8 or 16");
  const rowsPerLane = c.Br / (4 * c.warps);
  if (!Number.isInteger(rowsPerLane) || rowsPerLane < 1 || rowsPerLane > 4) {
    badConfig(kernel, c, "Br must give each of the 4 row groups of a warp 1 to 4 rows (Br = 4 * warps * 1..4)");
  }
  if (c.Bc % 8 !== 0 || c.Bc < 8 || c.Bc > 128) badConfig(kernel, c, "Bc must be a multiple of 8 in [8, 128]");
  const accumulators = rowsPerLane * (c.Bc / 8 + s.D / 8);
  if (accumulators > MAX_ACCUMULATORS) {
    badConfig(kernel, c, `each thread would hold ${accumulators} f32 accumulators (at most ${MAX_ACCUMULATORS})`);
  }
  checkShared(kernel, c, layout(s, c).bytes);
}

const HELPERS = `// Starts async copies of rows [row0, row0 + ROWS) of one head (rows \`stride\` floats apart) into a
// tile with rows LD floats apart; rows at or past \`limit\` are zero-filled.
template <int ROWS>
__device__ __forceinline__ void load_rows(float* tile, const float* src, int row0, int limit, long long stride) {
  for (int c = static_cast<int>(threadIdx.x); c < ROWS * (D / 4); c += THREADS) {
    const int row = c / (D / 4), part = c % (D / 4);
    const bool ok = row0 + row < limit;
    cp_async16(tile + row * LD + part * 4, ok ? src + (row0 + row) * stride + part * 4 : src, ok);
  }
}

// S = Q K^T for this lane's RL rows (from \`row\`) and KL keys (cl + 8c).
__device__ __forceinline__ void qk(const float* sQ, const float* sK, float (&s)[RL][KL], int row, int cl) {
#pragma unroll
  for (int r = 0; r < RL; ++r) {
#pragma unroll
    for (int c = 0; c < KL; ++c) s[r][c] = 0.0f;
  }
#pragma unroll 4
  for (int d = 0; d < D; ++d) {
    float qv[RL], kv[KL];
#pragma unroll
    for (int r = 0; r < RL; ++r) qv[r] = sQ[(row + r) * LD + d];
#pragma unroll
    for (int c = 0; c < KL; ++c) kv[c] = sK[(cl + 8 * c) * LD + d];
#pragma unroll
    for (int r = 0; r < RL; ++r) {
#pragma unroll
      for (int c = 0; c < KL; ++c) s[r][c] = fmaf(qv[r], kv[c], s[r][c]);
    }
  }
}

// Online softmax over the tile for each row; writes P to this warp's rows of sP and rescales O.
__device__ __forceinline__ void softmax_update(float (&s)[RL][KL], float (&m)[RL], float (&l)[RL],
                                               float (&o)[RL][D / 8], float* sP, int row, int cl) {
#pragma unroll
  for (int r = 0; r < RL; ++r) {
    float mx = -INFINITY;
#pragma unroll
    for (int c = 0; c < KL; ++c) mx = fmaxf(mx, s[r][c]);
#pragma unroll
    for (int mask = 1; mask < 8; mask <<= 1) mx = fmaxf(mx, shfl_xor(mx, mask));
    const float m_new = fmaxf(m[r], mx * SCALE_LOG2);
    const float base = m_new == -INFINITY ? 0.0f : m_new;
    const float corr = exp2f(m[r] - base);
    m[r] = m_new;
    float sum = 0.0f;
#pragma unroll
    for (int c = 0; c < KL; ++c) {
      const float p = exp2f(fmaf(s[r][c], SCALE_LOG2, -base));
      sP[(row + r) * PLD + cl + 8 * c] = p;
      sum += p;
    }
    l[r] = l[r] * corr + sum;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) o[r][c] *= corr;
  }
}

// O += P V for this lane's rows and columns cl + 8c.
__device__ __forceinline__ void pv(const float* sP, const float* sV, float (&o)[RL][D / 8], int row, int cl) {
#pragma unroll 4
  for (int j = 0; j < BC; ++j) {
    float vv[D / 8];
#pragma unroll
    for (int c = 0; c < D / 8; ++c) vv[c] = sV[j * LD + cl + 8 * c];
#pragma unroll
    for (int r = 0; r < RL; ++r) {
      const float p = sP[(row + r) * PLD + j];
#pragma unroll
      for (int c = 0; c < D / 8; ++c) o[r][c] = fmaf(p, vv[c], o[r][c]);
    }
  }
}`;

function maskHelper(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "forward");
  return `// Sets the scores of pairs that are not visible to -inf (lane rows from query i0, tile at key k0). A row's
// document is [doc_start, doc_end); causal rows need no end (j <= i < end).
__device__ __forceinline__ void mask_tile(float (&s)[RL][KL], int i0, int k0, int cl${docs.params("[RL]")}) {
#pragma unroll
  for (int r = 0; r < RL; ++r) {
#pragma unroll
    for (int c = 0; c < KL; ++c) {
      const int i = i0 + r, j = k0 + cl + 8 * c;
      if (!(visible(i, j)${docs.inside("[r]")})) s[r][c] = -INFINITY;
    }
  }
}`;
}

function body(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "forward");
  return `  const int q0 = (NQ - 1 - static_cast<int>(blockIdx.x)) * BR;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int row = warp * (BR / WARPS) + (lane >> 3) * RL, cl = lane & 7;
  unsigned char* smem = shared_base();
  float* sQ = reinterpret_cast<float*>(smem);
  float* sK = reinterpret_cast<float*>(smem + K_OFFSET);
  float* sV = reinterpret_cast<float*>(smem + V_OFFSET);
  float* sP = reinterpret_cast<float*>(smem + P_OFFSET);
  const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + h / GROUP) * D;

  load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
  cp_async_commit();
${walkStatements(s, "q0")}

  float o[RL][D / 8], m[RL], l[RL];
${docs.declare("[RL]") === "" ? "" : `  ${docs.declare("[RL]")}\n`}#pragma unroll
  for (int r = 0; r < RL; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.0f;
${docs.load("[r]", "q0 + row + r", "TQ").map((line) => `    ${line}\n`).join("")}#pragma unroll
    for (int c = 0; c < D / 8; ++c) o[r][c] = 0.0f;
  }

  for (int f = w.hi; f >= w.lo; --f) {
    const int n = tile_at(w, f);
    __syncthreads();
    load_rows<BC>(sK, k + kv_head, n * BC, TK, HK * D);
    load_rows<BC>(sV, v + kv_head, n * BC, TK, HK * D);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    float sc[RL][KL];
    qk(sQ, sK, sc, row, cl);
    if (needs_mask(w, f)) mask_tile(sc, q0 + row, n * BC, cl${docs.args});
    softmax_update(sc, m, l, o, sP, row, cl);
    __syncwarp();
    pv(sP, sV, o, row, cl);
  }

#pragma unroll
  for (int r = 0; r < RL; ++r) {
    float sum = l[r];
#pragma unroll
    for (int mask = 1; mask < 8; mask <<= 1) sum += shfl_xor(sum, mask);
    const int i = q0 + row + r;
    if (i < TQ) {
      if (cl == 0) {
        lse[(static_cast<long long>(b) * HQ + h) * TQ + i] = sum > 0.0f ? (m[r] + log2f(sum)) * LN2 : INFINITY;
      }
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
      for (int c = 0; c < D / 8; ++c) out[q_head + static_cast<long long>(i) * HQ * D + cl + 8 * c] = o[r][c] * inv;
    }
  }`;
}

function params(s: AttentionSpec): KernelParam[] {
  return [
    { name: "q", dtype: "f32", access: "read" },
    { name: "k", dtype: "f32", access: "read" },
    { name: "v", dtype: "f32", access: "read" },
    ...maskParams(s),
    { name: "out", dtype: "f32", access: "write" },
    { name: "lse", dtype: "f32", access: "write" },
  ];
}

/** The f32 forward kernel for a checked spec and config. */
export function renderForwardSimt(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkForwardSimt(s, c);
  const threads = c.warps * 32;
  const at = layout(s, c);
  return makeKernel({
    prefix: "attn_fwd",
    dtype: s.dtype,
    summary: `attention forward, f32 SIMT: ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ${c.warps} warps`,
    params: params(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc], ["int", "WARPS", c.warps],
      ["int", "THREADS", threads], ["int", "RL", c.Br / (4 * c.warps)], ["int", "KL", c.Bc / 8],
      ["int", "LD", paddedRow(s.D)], ["int", "PLD", c.Bc + 4], ["int", "NQ", tiles(s.Tq, c.Br)],
      ["int", "K_OFFSET", at.kOffset], ["int", "V_OFFSET", at.vOffset], ["int", "P_OFFSET", at.pOffset], ...listConstant(s, at.listOffset),
      ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LN2", Math.LN2],
    ],
    primitives: ["shared_base", "cp_async16", "cp_async_commit", "cp_async_wait", "shfl_xor"],
    helpers: [renderMask(maskShape(s, c, "forward")), maskHelper(s), HELPERS].join("\n\n"),
    body: body(s),
    grid: [tiles(s.Tq, c.Br), s.Hq, s.B],
    threads,
    minBlocks: 1,
    sharedBytes: at.bytes,
    flops: forwardFlops(s),
    bytes: forwardBytes(s),
  });
}
