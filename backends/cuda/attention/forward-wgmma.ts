// FlashAttention-style forward kernel for bf16 on Hopper's warpgroup MMA (wgmma, sm_90a). Same walk as the mma.sync
// kernel (forward-mma.ts): one block owns Br query rows of one (batch, query head) and walks the key tiles it may see
// from the last to the first. What changes:
//   - warpgroup g (4 warps) owns query rows 64g..64g+63, so Br = 64 * warpgroups; S = Q K^T is one wgmma per 16
//     columns of D with both operands read from shared memory (Q and K stored K-major);
//   - P sits in registers in exactly the layout of wgmma's A operand, so O += P V takes A from registers and V
//     (stored N-major) from shared memory: no ldmatrix at all;
//   - the products of consecutive tiles overlap: each iteration issues S[n] = Q K[n]^T, then O += P[n-1] V[n-1], and
//     runs the softmax of S[n] while the second product is still on the tensor cores (O is rescaled after it lands);
//   - K and V are double-buffered: the copies of K for the next tile and V for this one start as the iteration starts
//     and land during it.
// Every tile is in wgmma's 128-byte-swizzle layout (tile.ts `sw128`) on a 1024-byte boundary; cp.async copies that
// wgmma reads are published with fence.proxy.async before the barrier that orders them.
// Invariants: checkForwardWgmma holds; the grid is (ceil(Tq/Br), Hq, B) with blockIdx.x counted from the last query
// tile, as forward-mma.ts; rows past Tq are computed but never stored; keys past Tk are masked (needs_mask); the kernel
// needs sm_90a (wgmma does not exist on sm_90 without the `a`).

import type { KernelSource } from "../../kernel.ts";
import { describeShape, forwardBytes, forwardParams } from "./forward-mma.ts";
import {
  listBytes, listConstant, maskShape, ownedDocuments, renderMask, tiles, walkStatements,
} from "./mask.ts";
import { wgmmaPrimitive, WGMMA_RS, WGMMA_SS } from "./primitives.ts";
import { makeKernel } from "./source.ts";
import { badConfig, checkShared, forwardFlops, LOG2E, type AttentionConfig, type AttentionSpec } from "./spec.ts";
import { renderTileHelpers, SW128_ALIGN, tileBytes, tileStepOk, WGMMA_OPERANDS } from "./tile.ts";

function layout(s: AttentionSpec, c: AttentionConfig) {
  const kOffset = tileBytes(c.Br, s.D);
  const vOffset = kOffset + 2 * tileBytes(c.Bc, s.D);
  const listOffset = vOffset + 2 * tileBytes(c.Bc, s.D);
  return { kOffset, vOffset, listOffset, bytes: listOffset + listBytes(s) };
}

/** f32 accumulators (S and O) plus packed P registers a thread may hold. */
const MAX_REGISTERS = 176;

/** Throws 5306/5307 unless the config fits this kernel: 64 query rows per warpgroup, wgmma widths, registers. */
export function checkForwardWgmma(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = "bf16 attention forward (wgmma)";
  if (c.warps !== 4 && c.warps !== 8) badConfig(kernel, c, "warps must be 4 or 8 (one or two warpgroups)");
  if (c.Br !== 16 * c.warps) badConfig(kernel, c, "Br must be 64 query rows per warpgroup (16 * warps)");
  if (!(WGMMA_SS as readonly number[]).includes(c.Bc)) {
    badConfig(kernel, c, `Bc must be one of ${WGMMA_SS.join(", ")} (the width of S = Q K^T on wgmma)`);
  }
  if (!(WGMMA_RS as readonly number[]).includes(s.D)) badConfig(kernel, c, `head dim must be one of ${WGMMA_RS.join(", ")}`);
  if (c.Bc / 2 + s.D / 2 + c.Bc / 4 > MAX_REGISTERS) {
    badConfig(kernel, c, `each thread would hold ${c.Bc / 2 + s.D / 2 + c.Bc / 4} registers of S, O and P ` +
      `(at most ${MAX_REGISTERS})`);
  }
  if (!tileStepOk(s.D, c.warps * 32, c.Bc)) badConfig(kernel, c, "the block's 16-byte copies must cover Bc rows");
  checkShared(kernel, c, SW128_ALIGN + layout(s, c).bytes);
}

/** Device functions: the masked-score test and the online softmax over one thread's part of S. */
function helpers(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "forward");
  return `// Sets the scores of pairs that are not visible to -inf. The thread holds rows i0 and i0 + 8 (half 0, 1) and, per
// 8-key tile nt, keys k0 + 8nt + 2(lane % 4) + {0, 1}: sc[4 nt + 2 half + e]. A row's document is [doc_start,
// doc_end); causal rows need no end (j <= i < end).
__device__ __forceinline__ void mask_tile(float (&sc)[BC / 2], int i0, int k0, int lane${docs.params("[2]")}) {
#pragma unroll
  for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int i = i0 + (e >> 1) * 8, j = k0 + nt * 8 + (lane & 3) * 2 + (e & 1);
      if (!(visible(i, j)${docs.inside("[e >> 1]")})) sc[4 * nt + e] = -INFINITY;
    }
  }
}

// Online softmax of one tile: folds its scores into m (log2 domain) and this thread's partial sums l, replaces each
// score s by p = 2^(s * scale * log2e - m) in place, and sets corr, the factor O must be scaled by (1 unless the row
// raised its max). Returns whether some row of this thread raised its max.
__device__ __forceinline__ bool softmax_update(float (&sc)[BC / 2], float (&m)[2], float (&l)[2], float (&corr)[2]) {
  bool raised = false;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float mx = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt) mx = fmaxf(mx, fmaxf(sc[4 * nt + 2 * half], sc[4 * nt + 2 * half + 1]));
    mx = fmaxf(mx, shfl_xor(mx, 1));
    mx = fmaxf(mx, shfl_xor(mx, 2));
    const float m_new = fmaxf(m[half], mx * SCALE_LOG2);
    const float base = m_new == -INFINITY ? 0.0f : m_new;
    corr[half] = fast_exp2(m[half] - base);
    raised = raised || m_new != m[half];
    m[half] = m_new;
    float sum = 0.0f;
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        float& p = sc[4 * nt + 2 * half + e];
        p = fast_exp2(fmaf(p, SCALE_LOG2, -base));
        sum += p;
      }
    }
    l[half] = l[half] * corr[half] + sum;
  }
  return raised;
}

// P as the A fragments of O += P V: k-step t covers keys 16t..16t+15 (8-key tiles 2t and 2t + 1).
__device__ __forceinline__ void pack_probabilities(const float (&sc)[BC / 2], unsigned (&pk)[BC / 16][4]) {
#pragma unroll
  for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      pk[nt / 2][half + 2 * (nt % 2)] = pack_bf16(sc[4 * nt + 2 * half], sc[4 * nt + 2 * half + 1]);
    }
  }
}

// Issues O += P V over one tile of V (the warpgroup's 64 rows, every column), without waiting.
__device__ __forceinline__ void issue_pv(float (&o)[D / 2], const unsigned (&pk)[BC / 16][4], const __nv_bfloat16* tV) {
#pragma unroll
  for (int t = 0; t < BC / 16; ++t) ${wgmmaPrimitive("rs", s.D)}<1>(o, pk[t], n_major<BC>(tV, 0, t));
  wgmma_commit();
}`;
}

function body(s: AttentionSpec, c: AttentionConfig): string {
  const docs = ownedDocuments(s, "forward");
  const loadDocs = docs.load("[half]", "i", "TQ").map((line) => `    ${line}\n`).join("");
  return `  const int q0 = (NQ - 1 - static_cast<int>(blockIdx.x)) * BR;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32, wg = warp / 4;
  const int row0 = 64 * wg + 16 * (warp % 4) + (lane >> 2);  // this thread's rows: row0 and row0 + 8
  unsigned char* smem = shared_base_1024();
  __nv_bfloat16* sQ = reinterpret_cast<__nv_bfloat16*>(smem);
  __nv_bfloat16* sK = reinterpret_cast<__nv_bfloat16*>(smem + K_OFFSET);
  __nv_bfloat16* sV = reinterpret_cast<__nv_bfloat16*>(smem + V_OFFSET);
  const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + h / GROUP) * D;

  load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
${walkStatements(s, "q0")}
  int f = w.hi;
  if (f >= w.lo) load_rows<BC>(sK, k + kv_head, tile_at(w, f) * BC, TK, HK * D);
  cp_async_commit();

  float o[D / 2], m[2], l[2];
  unsigned pk[BC / 16][4];
${docs.declare("[2]") === "" ? "" : `  ${docs.declare("[2]")}\n`}  zero(o);
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    m[half] = -INFINITY;
    l[half] = 0.0f;
${s.documents ? `    const int i = q0 + row0 + 8 * half;\n${loadDocs}` : ""}  }

  int stage = 0;
  for (; f >= w.lo; --f) {
    const int n = tile_at(w, f);
    const bool pending = f < w.hi;  // the previous tile's O += P V is still to do
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();
    if (f > w.lo) load_rows<BC>(sK + (stage ^ 1) * BC * D, k + kv_head, tile_at(w, f - 1) * BC, TK, HK * D);
    load_rows<BC>(sV + stage * BC * D, v + kv_head, n * BC, TK, HK * D);
    cp_async_commit();
    float sc[BC / 2];
    zero(sc);
    fence_operands(sc);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      ${wgmmaPrimitive("ss", c.Bc)}<0, 0>(sc, k_major<BR>(sQ, 64 * wg, kk), k_major<BC>(sK + stage * BC * D, 0, kk));
    }
    wgmma_commit();
    if (pending) {
      issue_pv(o, pk, sV + (stage ^ 1) * BC * D);
      wgmma_wait<1>();
    } else {
      wgmma_wait<0>();
    }
    fence_operands(sc);
    if (needs_mask(w, f)) mask_tile(sc, q0 + row0, n * BC, lane${docs.args});
    float corr[2];
    const bool raised = softmax_update(sc, m, l, corr);
    wgmma_wait<0>();
    fence_operands(o);
    if (any_sync(raised)) {
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
#pragma unroll
        for (int e = 0; e < 4; ++e) o[4 * dt + e] *= corr[e >> 1];
      }
    }
    pack_probabilities(sc, pk);
    stage ^= 1;
  }

  cp_async_wait<0>();
  fence_proxy_async();
  __syncthreads();
  if (w.hi >= w.lo) {
    wgmma_fence();
    issue_pv(o, pk, sV + (stage ^ 1) * BC * D);
    wgmma_wait<0>();
    fence_operands(o);
  }
  // Every warpgroup's products that read sQ have landed (before the barrier above): stage O through it.
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float sum = l[half];
    sum += shfl_xor(sum, 1);
    sum += shfl_xor(sum, 2);
    const int row = row0 + 8 * half;
    if ((lane & 3) == 0 && q0 + row < TQ) {
      lse[(static_cast<long long>(b) * HQ + h) * TQ + q0 + row] = sum > 0.0f ? (m[half] + log2f(sum)) * LN2 : INFINITY;
    }
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      *reinterpret_cast<unsigned*>(sQ + swz<BR>(row, dt) + (lane & 3) * 2) =
          pack_bf16(o[4 * dt + 2 * half] * inv, o[4 * dt + 2 * half + 1] * inv);
    }
  }
  __syncthreads();
  store_rows<BR>(out + q_head, sQ, q0, TQ, HQ * D);`;
}

/** The bf16 forward kernel on wgmma for a checked spec and config. */
export function renderForwardWgmma(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkForwardWgmma(s, c);
  const threads = c.warps * 32;
  const at = layout(s, c);
  return makeKernel({
    prefix: "attn_fwd_wgmma",
    summary: `attention forward, bf16 wgmma (sm_90a): ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ` +
      `${c.warps / 4} warpgroups`,
    params: forwardParams(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc], ["int", "NQ", tiles(s.Tq, c.Br)],
      ["int", "K_OFFSET", at.kOffset], ["int", "V_OFFSET", at.vOffset], ...listConstant(s, at.listOffset),
      ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LN2", Math.LN2],
    ],
    primitives: ["shared_base_1024", "cp_async16", "cp_async_commit", "cp_async_wait", "pack_bf16", "fast_exp2",
      "shfl_xor", "any_sync", "fence_proxy_async", "wgmma_desc", "wgmma_fence", "wgmma_commit", "wgmma_wait",
      "fence_operands", wgmmaPrimitive("ss", c.Bc), wgmmaPrimitive("rs", s.D)],
    helpers: [renderTileHelpers(s.D, threads, "sw128"), renderMask(maskShape(s, c, "forward")), WGMMA_OPERANDS,
      helpers(s)].join("\n\n"),
    body: body(s, c),
    grid: [tiles(s.Tq, c.Br), s.Hq, s.B],
    threads,
    minBlocks: 1,
    sharedBytes: SW128_ALIGN + at.bytes,
    flops: forwardFlops(s),
    bytes: forwardBytes(s),
  });
}
