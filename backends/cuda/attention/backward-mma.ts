// FlashAttention-2-style backward kernel for bf16 on the tensor cores. One block owns Bc keys of one (batch, kv head)
// and keeps K, V in shared memory and dK, dV in registers (f32; warp w owns keys 16w..16w+15, so Bc = 16 * warps);
// it walks every query tile that may see its keys, for each query head of its GQA group, so dK and dV are complete
// sums without atomics. Per query tile (Q, dO, lse, delta double-buffered: the next tile loads during this one):
//   S = Q K^T, dP = dO V^T            warps tile the [Br x Bc] scores as (Br/16) x (warps*16/Br)
//   P = 2^(S*scale*log2e - lse*log2e), dS = P * (dP - delta)   (masked pairs: P = 0); P, dS -> shared (bf16)
//   dV += P^T dO, dK += dS^T Q       each warp its 16 keys, A fragments by ldmatrix.trans from P / dS
//   dQ += dS K                       warps tile [Br x D]; f32 vector atomics into dq_accum (no extra pass over keys)
// dq takes atomics rather than a second kernel that recomputes P per query tile: that would cost two more matmuls
// (S and dP again) per tile pair, more than the atomic traffic (Br x D adds per tile pair, served by L2). The scale
// is applied to dK here and to dq by attn_bwd_dq.
// Invariants: checkBackwardMma holds; grid (ceil(Tk/Bc), Hk, B); rows past Tq carry lse = +inf (P = 0) and
// delta = 0, keys past Tk are masked, so neither adds anything.

import type { KernelParam, KernelSource } from "../../kernel.ts";
import { dqAccumulator } from "./backward-prep.ts";
import { describeShape } from "./forward-mma.ts";
import { flagBytes, renderMask, tiles, type MaskShape } from "./mask.ts";
import { makeKernel } from "./source.ts";
import {
  badConfig, checkShared, elementBytes, forwardFlops, keyElements, LOG2E, queryElements, rowElements, segmentBytes,
  type AttentionConfig, type AttentionSpec,
} from "./spec.ts";
import { renderTileHelpers, tileBytes } from "./tile.ts";

function maskShape(s: AttentionSpec, c: AttentionConfig): MaskShape {
  return { spec: s, role: "backward", own: c.Bc, other: c.Br, warps: c.warps };
}

function layout(s: AttentionSpec, c: AttentionConfig) {
  const vOffset = tileBytes(c.Bc, s.D);
  const qOffset = 2 * vOffset;
  const dOOffset = qOffset + 2 * tileBytes(c.Br, s.D);
  const pOffset = dOOffset + 2 * tileBytes(c.Br, s.D);
  const dSOffset = pOffset + c.Br * c.Bc * 2;
  const rowOffset = dSOffset + c.Br * c.Bc * 2;
  const flagOffset = rowOffset + 4 * c.Br * 4;
  return { vOffset, qOffset, dOOffset, pOffset, dSOffset, rowOffset, flagOffset,
    bytes: flagOffset + flagBytes(maskShape(s, c)) };
}

/** Throws 5306/5307 unless the config fits this kernel's warp layout and shared memory. */
export function checkBackwardMma(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = "bf16 attention backward";
  if (c.Bc !== 16 * c.warps) badConfig(kernel, c, "Bc must be 16 * warps (each warp owns 16 keys of dK and dV)");
  if (c.Bc !== 64 && c.Bc !== 128) badConfig(kernel, c, "Bc must be 64 or 128");
  const rowGroups = c.Br / 16;
  if (![2, 4].includes(rowGroups) || c.warps % rowGroups !== 0) {
    badConfig(kernel, c, "Br must be 32 or 64 and Br/16 must divide warps");
  }
  const colGroups = c.warps / rowGroups;
  if ((c.Bc / colGroups) % 16 !== 0 || (s.D / colGroups) % 16 !== 0) {
    badConfig(kernel, c, "each warp's share of the Bc keys and of the D columns must be a multiple of 16");
  }
  checkShared(kernel, c, layout(s, c).bytes);
}

const HELPERS = `// Element offset of chunk \`chunk\` of row \`row\` in a [BR][BC] bf16 tile (P, dS), XOR-swizzled like swz.
__device__ __forceinline__ int swz_p(int row, int chunk) {
  return (row * (BC / 8) + (chunk ^ (row & 7))) * 8;
}

// Next (head in group, query tile) to visit after (hh, qb), skipping tiles flagged 0; false when done.
__device__ __forceinline__ bool advance(int& hh, int& qb, int lo, int hi, const unsigned char* flags) {
  while (true) {
    if (++qb > hi) {
      qb = lo;
      if (++hh == GROUP) return false;
    }
    if (flags[qb - lo] != 0) return true;
  }
}

// Starts loading query tile q0 of head h: Q and dO rows (async), lse * log2(e) and delta (+inf and 0 past Tq).
__device__ __forceinline__ void load_query_tile(const __nv_bfloat16* q, const __nv_bfloat16* dout, const float* lse,
                                                const float* delta, __nv_bfloat16* sQ, __nv_bfloat16* sdO,
                                                float* sLse, float* sDelta, int b, int h, int q0) {
  const long long head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  load_rows<BR>(sQ, q + head, q0, TQ, HQ * D);
  load_rows<BR>(sdO, dout + head, q0, TQ, HQ * D);
  for (int r = static_cast<int>(threadIdx.x); r < BR; r += THREADS) {
    const bool ok = q0 + r < TQ;
    const long long at = (static_cast<long long>(b) * HQ + h) * TQ + q0 + r;
    sLse[r] = ok ? lse[at] * LOG2E : INFINITY;
    sDelta[r] = ok ? delta[at] : 0.0f;
  }
}

// acc[SN] = A B^T for this warp's 16 rows of A ([BR][D] tile) and SN*8 rows of B ([BC][D] tile) from key kc0.
__device__ __forceinline__ void scores(const __nv_bfloat16* sA, const __nv_bfloat16* sB, float (&acc)[SN][4], int r0,
                                       int kc0, int lane) {
#pragma unroll
  for (int nt = 0; nt < SN; ++nt) acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.0f;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    unsigned a[4];
    ldsm_x4(a, sA + swz(r0 + (lane & 15), kk * 2 + (lane >> 4)));
#pragma unroll
    for (int np = 0; np < SN / 2; ++np) {
      unsigned b[4];
      ldsm_x4(b, sB + swz(kc0 + np * 16 + (lane & 7) + ((lane >> 4) << 3), kk * 2 + ((lane >> 3) & 1)));
      mma_bf16(acc[2 * np], a, b[0], b[1]);
      mma_bf16(acc[2 * np + 1], a, b[2], b[3]);
    }
  }
}

// acc[DN] += T^T X for this warp's 16 keys (from w16): T a [BR][BC] tile (P or dS), X a [BR][D] tile (dO or Q).
__device__ __forceinline__ void key_grad(const __nv_bfloat16* sT, const __nv_bfloat16* sX, float (&acc)[D / 8][4],
                                         int w16, int lane) {
#pragma unroll
  for (int kk = 0; kk < BR / 16; ++kk) {
    unsigned a[4];
    ldsm_x4_t(a, sT + swz_p(kk * 16 + (lane & 7) + ((lane >> 4) << 3), w16 / 8 + ((lane >> 3) & 1)));
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      unsigned b[4];
      ldsm_x4_t(b, sX + swz(kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3), dp * 2 + (lane >> 4)));
      mma_bf16(acc[2 * dp], a, b[0], b[1]);
      mma_bf16(acc[2 * dp + 1], a, b[2], b[3]);
    }
  }
}

// acc[QN] = dS K for this warp's 16 query rows (from r0) and QN*8 columns (from c0).
__device__ __forceinline__ void query_grad(const __nv_bfloat16* sdS, const __nv_bfloat16* sK, float (&acc)[QN][4],
                                           int r0, int c0, int lane) {
#pragma unroll
  for (int nt = 0; nt < QN; ++nt) acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.0f;
#pragma unroll
  for (int kk = 0; kk < BC / 16; ++kk) {
    unsigned a[4];
    ldsm_x4(a, sdS + swz_p(r0 + (lane & 15), kk * 2 + (lane >> 4)));
#pragma unroll
    for (int np = 0; np < QN / 2; ++np) {
      unsigned b[4];
      ldsm_x4_t(b, sK + swz(kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3), c0 / 8 + np * 2 + (lane >> 4)));
      mma_bf16(acc[2 * np], a, b[0], b[1]);
      mma_bf16(acc[2 * np + 1], a, b[2], b[3]);
    }
  }
}`;

function probabilities(s: AttentionSpec): string {
  const segTest = s.segments ? " || i >= TQ || sg[i] != sg[j]" : "";
  return `// P and dS of this warp's [16 x SN*8] tile at (r0, kc0) -> shared memory (bf16); masked pairs get P = 0.
__device__ __forceinline__ void softmax_grad(const float (&sc)[SN][4], const float (&dp)[SN][4], const float* lse2,
                                             const float* delta, __nv_bfloat16* sP, __nv_bfloat16* sdS, int r0, int kc0,
                                             int i0, int j0, bool masked, int lane${s.segments ? ", const int* sg" : ""}) {
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int r = r0 + (lane >> 2) + half * 8;
    const float row_lse = lse2[r], row_delta = delta[r];
#pragma unroll
    for (int nt = 0; nt < SN; ++nt) {
      float p[2], ds[2];
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int col = kc0 + nt * 8 + (lane & 3) * 2 + e;
        p[e] = fast_exp2(fmaf(sc[nt][2 * half + e], SCALE_LOG2, -row_lse));
        if (masked) {
          const int i = i0 + r, j = j0 + col;
          if (!visible(i, j)${segTest}) p[e] = 0.0f;
        }
        ds[e] = p[e] * (dp[nt][2 * half + e] - row_delta);
      }
      const int at = swz_p(r, (kc0 + nt * 8) / 8) + (lane & 3) * 2;
      *reinterpret_cast<unsigned*>(sP + at) = pack_bf16(p[0], p[1]);
      *reinterpret_cast<unsigned*>(sdS + at) = pack_bf16(ds[0], ds[1]);
    }
  }
}`;
}

function body(s: AttentionSpec): string {
  const seg = s.segments;
  return `  const int k0 = static_cast<int>(blockIdx.x) * BC;
  const int kvh = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int r0 = (warp % (BR / 16)) * 16, cg = warp / (BR / 16);
  unsigned char* smem = shared_base();
  __nv_bfloat16* sK = reinterpret_cast<__nv_bfloat16*>(smem);
  __nv_bfloat16* sV = reinterpret_cast<__nv_bfloat16*>(smem + V_OFFSET);
  __nv_bfloat16* sQ = reinterpret_cast<__nv_bfloat16*>(smem + Q_OFFSET);
  __nv_bfloat16* sdO = reinterpret_cast<__nv_bfloat16*>(smem + DO_OFFSET);
  __nv_bfloat16* sP = reinterpret_cast<__nv_bfloat16*>(smem + P_OFFSET);
  __nv_bfloat16* sdS = reinterpret_cast<__nv_bfloat16*>(smem + DS_OFFSET);
  float* sLse = reinterpret_cast<float*>(smem + ROW_OFFSET);
  float* sDelta = sLse + 2 * BR;
  unsigned char* flags = smem + FLAG_OFFSET;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + kvh) * D;
${seg ? "  const int* sg = segments + static_cast<long long>(b) * TQ;\n" : ""}
  load_rows<BC>(sK, k + kv_head, k0, TK, HK * D);
  load_rows<BC>(sV, v + kv_head, k0, TK, HK * D);
  int lo, hi;
  visit_range(k0, lo, hi);
  build_flags(${seg ? "sg, " : ""}k0, lo, hi, flags);
  __syncthreads();
  int hh = 0, qb = lo - 1, stage = 0;
  bool more = lo <= hi && advance(hh, qb, lo, hi, flags);
  if (more) load_query_tile(q, dout, lse, delta, sQ, sdO, sLse, sDelta, b, kvh * GROUP + hh, qb * BR);
  cp_async_commit();

  float acc_k[D / 8][4], acc_v[D / 8][4];
#pragma unroll
  for (int dt = 0; dt < D / 8; ++dt) {
#pragma unroll
    for (int e = 0; e < 4; ++e) acc_k[dt][e] = acc_v[dt][e] = 0.0f;
  }

  while (more) {
    const int h = kvh * GROUP + hh, q0 = qb * BR;
    const bool masked = flags[qb - lo] == 2;
    const int st = stage * BR;
    cp_async_wait<0>();
    __syncthreads();
    int nh = hh, nq = qb;
    more = advance(nh, nq, lo, hi, flags);
    if (more) {
      const int nst = (stage ^ 1) * BR;
      load_query_tile(q, dout, lse, delta, sQ + nst * D, sdO + nst * D, sLse + nst, sDelta + nst, b, kvh * GROUP + nh,
                      nq * BR);
    }
    cp_async_commit();
    {
      float sc[SN][4], dp[SN][4];
      scores(sQ + st * D, sK, sc, r0, cg * SN * 8, lane);
      scores(sdO + st * D, sV, dp, r0, cg * SN * 8, lane);
      softmax_grad(sc, dp, sLse + st, sDelta + st, sP, sdS, r0, cg * SN * 8, q0, k0, masked, lane${seg ? ", sg" : ""});
    }
    __syncthreads();
    key_grad(sP, sdO + st * D, acc_v, warp * 16, lane);
    key_grad(sdS, sQ + st * D, acc_k, warp * 16, lane);
    {
      float part[QN][4];
      query_grad(sdS, sK, part, r0, cg * QN * 8, lane);
      float* dst = dq_accum + (static_cast<long long>(b) * TQ * HQ + h) * D;
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int i = q0 + r0 + (lane >> 2) + half * 8;
        if (i < TQ) {
#pragma unroll
          for (int nt = 0; nt < QN; ++nt) {
            red_add_f32x2(dst + static_cast<long long>(i) * HQ * D + cg * QN * 8 + nt * 8 + (lane & 3) * 2,
                          part[nt][2 * half], part[nt][2 * half + 1]);
          }
        }
      }
    }
    hh = nh;
    qb = nq;
    stage ^= 1;
  }

  cp_async_wait<0>();
  __syncthreads();
#pragma unroll
  for (int dt = 0; dt < D / 8; ++dt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int at = swz(warp * 16 + (lane >> 2) + half * 8, dt) + (lane & 3) * 2;
      *reinterpret_cast<unsigned*>(sK + at) = pack_bf16(SCALE * acc_k[dt][2 * half], SCALE * acc_k[dt][2 * half + 1]);
      *reinterpret_cast<unsigned*>(sV + at) = pack_bf16(acc_v[dt][2 * half], acc_v[dt][2 * half + 1]);
    }
  }
  __syncthreads();
  store_rows<BC>(dk + kv_head, sK, k0, TK, HK * D);
  store_rows<BC>(dv + kv_head, sV, k0, TK, HK * D);`;
}

function params(s: AttentionSpec): KernelParam[] {
  return [
    { name: "q", dtype: "bf16", access: "read" },
    { name: "k", dtype: "bf16", access: "read" },
    { name: "v", dtype: "bf16", access: "read" },
    { name: "dout", dtype: "bf16", access: "read" },
    { name: "lse", dtype: "f32", access: "read" },
    { name: "delta", dtype: "f32", access: "read" },
    ...(s.segments ? [{ name: "segments", dtype: "i32", access: "read" } as const] : []),
    { name: dqAccumulator(s), dtype: "f32", access: "readwrite" },
    { name: "dk", dtype: "bf16", access: "write" },
    { name: "dv", dtype: "bf16", access: "write" },
  ];
}

/** The main bf16 backward kernel (dK, dV, and dq added into dq_accum) for a checked spec and config. */
export function renderBackwardMma(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkBackwardMma(s, c);
  const threads = c.warps * 32;
  const at = layout(s, c);
  const colGroups = c.warps / (c.Br / 16);
  return makeKernel({
    prefix: "attn_bwd",
    summary: `attention backward, bf16 tensor cores: ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ${c.warps} warps`,
    params: params(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc], ["int", "THREADS", threads],
      ["int", "SN", c.Bc / colGroups / 8], ["int", "QN", s.D / colGroups / 8],
      ["int", "V_OFFSET", at.vOffset], ["int", "Q_OFFSET", at.qOffset], ["int", "DO_OFFSET", at.dOOffset],
      ["int", "P_OFFSET", at.pOffset], ["int", "DS_OFFSET", at.dSOffset], ["int", "ROW_OFFSET", at.rowOffset],
      ["int", "FLAG_OFFSET", at.flagOffset], ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LOG2E", LOG2E],
      ["float", "SCALE", s.scale],
    ],
    primitives: ["shared_base", "cp_async16", "cp_async_commit", "cp_async_wait", "ldsm_x4", "ldsm_x4_t", "mma_bf16",
      "pack_bf16", "fast_exp2", "red_add_f32x2", ...(s.segments ? ["shfl_xor" as const] : [])],
    helpers: [renderTileHelpers(s.D, threads), renderMask(maskShape(s, c)), HELPERS, probabilities(s)].join("\n\n"),
    body: body(s),
    grid: [tiles(s.Tk, c.Bc), s.Hk, s.B],
    threads,
    minBlocks: 1,
    sharedBytes: at.bytes,
    flops: 2.5 * forwardFlops(s),
    bytes: backwardBytes(s),
  });
}

/** Bytes the main backward kernel must move: q, k, v, dout, lse, delta (and segments) in; dq (f32), dk, dv out. */
export function backwardBytes(s: AttentionSpec): number {
  const e = elementBytes(s);
  return (2 * queryElements(s) + 4 * keyElements(s)) * e + 2 * rowElements(s) * 4 + segmentBytes(s) +
    queryElements(s) * 4;
}
