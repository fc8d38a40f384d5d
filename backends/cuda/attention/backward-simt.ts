// Backward attention for f32 with true f32 FMAs on the CUDA cores (no TF32). Same plan as the bf16 kernel: one block
// owns Bc keys of one (batch, kv head), keeps K, V in shared memory and dK, dV in registers, and walks every query
// tile that may see them for each query head of its GQA group; dq is added with f32 atomics straight into dq (zeroed
// by attn_bwd_prep) with the scale applied here, so no epilogue kernel runs. Thread layout: 8 column lanes (cl) per
// row; Br = Bc = threads / 8, so thread t owns row t/8 of S/dP (keys cl + 8c), key t/8 of dK/dV and query row t/8 of
// the dq tile (columns cl + 8c). P and dS go through shared memory between the phases. Tiles are rows padded to D + 4
// floats (conflict-free column walks).
// Invariants: checkBackwardSimt holds; rows past Tq carry lse = +inf (P = 0) and delta = 0, keys past Tk are masked.

import type { KernelParam, KernelSource } from "../../kernel.ts";
import { backwardBytes } from "./backward-mma.ts";
import { describeShape } from "./forward-mma.ts";
import { paddedRow } from "./forward-simt.ts";
import {
  listBytes, listConstant, maskParams, maskShape, outsideKeyDocument, renderMask, tiles, walkStatements,
} from "./mask.ts";
import { makeKernel } from "./source.ts";
import { badConfig, checkShared, forwardFlops, LOG2E, type AttentionConfig, type AttentionSpec } from "./spec.ts";

function layout(s: AttentionSpec, c: AttentionConfig) {
  const tile = c.Bc * paddedRow(s.D) * 4;
  const pOffset = 4 * tile;
  const rowOffset = pOffset + 2 * c.Br * (c.Bc + 4) * 4;
  const listOffset = rowOffset + 2 * c.Br * 4;
  return { tile, pOffset, rowOffset, listOffset, bytes: listOffset + listBytes(s) };
}

/** Throws 5306/5307 unless Br = Bc = 4 * warps and shared memory fits. */
export function checkBackwardSimt(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = "f32 attention backward";
  if (![2, 4, 8, 16].includes(c.warps)) badConfig(kernel, c, "warps must be 2, 4, 8 or 16");
  if (c.Br !== 4 * c.warps || c.Bc !== 4 * c.warps) {
    badConfig(kernel, c, "Br and Bc must both be 4 * warps (one row per 8 threads)");
  }
  checkShared(kernel, c, layout(s, c).bytes);
}

const HELPERS = `// Starts async copies of rows [row0, row0 + ROWS) of one head into a tile with rows LD floats apart
// (zero past limit).
template <int ROWS>
__device__ __forceinline__ void load_rows(float* tile, const float* src, int row0, int limit, long long stride) {
  for (int c = static_cast<int>(threadIdx.x); c < ROWS * (D / 4); c += THREADS) {
    const int row = c / (D / 4), part = c % (D / 4);
    const bool ok = row0 + row < limit;
    cp_async16(tile + row * LD + part * 4, ok ? src + (row0 + row) * stride + part * 4 : src, ok);
  }
}

// s[c] = A[row] . B[cl + 8c] over D, for two pairs of tiles at once (Q K^T and dO V^T).
__device__ __forceinline__ void scores(const float* sQ, const float* sK, const float* sdO, const float* sV,
                                       float (&s)[KL], float (&dp)[KL], int row, int cl) {
#pragma unroll
  for (int c = 0; c < KL; ++c) s[c] = dp[c] = 0.0f;
#pragma unroll 4
  for (int d = 0; d < D; ++d) {
    const float qv = sQ[row * LD + d], ov = sdO[row * LD + d];
#pragma unroll
    for (int c = 0; c < KL; ++c) {
      s[c] = fmaf(qv, sK[(cl + 8 * c) * LD + d], s[c]);
      dp[c] = fmaf(ov, sV[(cl + 8 * c) * LD + d], dp[c]);
    }
  }
}

// dv += P^T dO and dk += dS^T Q for key \`key\`, columns cl + 8c.
__device__ __forceinline__ void key_grads(const float* sP, const float* sdS, const float* sdO, const float* sQ,
                                          float (&dk)[D / 8], float (&dv)[D / 8], int key, int cl) {
#pragma unroll 2
  for (int i = 0; i < BR; ++i) {
    const float p = sP[i * PLD + key], ds = sdS[i * PLD + key];
#pragma unroll
    for (int c = 0; c < D / 8; ++c) {
      dv[c] = fmaf(p, sdO[i * LD + cl + 8 * c], dv[c]);
      dk[c] = fmaf(ds, sQ[i * LD + cl + 8 * c], dk[c]);
    }
  }
}

// dq[row] += scale * dS[row] K for columns cl + 8c (f32 atomics), when the row is inside Tq.
__device__ __forceinline__ void query_grad(const float* sdS, const float* sK, float* dq_row, int row, int cl,
                                           bool inside) {
  float acc[D / 8];
#pragma unroll
  for (int c = 0; c < D / 8; ++c) acc[c] = 0.0f;
#pragma unroll 2
  for (int j = 0; j < BC; ++j) {
    const float ds = sdS[row * PLD + j];
#pragma unroll
    for (int c = 0; c < D / 8; ++c) acc[c] = fmaf(ds, sK[j * LD + cl + 8 * c], acc[c]);
  }
  if (inside) {
#pragma unroll
    for (int c = 0; c < D / 8; ++c) red_add_f32(dq_row + cl + 8 * c, SCALE * acc[c]);
  }
}`;

function body(s: AttentionSpec): string {
  const docTest = outsideKeyDocument(s);
  return `  const int k0 = static_cast<int>(blockIdx.x) * BC;
  const int kvh = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int row = static_cast<int>(threadIdx.x) / 8, cl = static_cast<int>(threadIdx.x) % 8;
  unsigned char* smem = shared_base();
  float* sK = reinterpret_cast<float*>(smem);
  float* sV = reinterpret_cast<float*>(smem + TILE_BYTES);
  float* sQ = reinterpret_cast<float*>(smem + 2 * TILE_BYTES);
  float* sdO = reinterpret_cast<float*>(smem + 3 * TILE_BYTES);
  float* sP = reinterpret_cast<float*>(smem + P_OFFSET);
  float* sdS = sP + BR * PLD;
  float* sLse = reinterpret_cast<float*>(smem + ROW_OFFSET);
  float* sDelta = sLse + BR;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + kvh) * D;

  load_rows<BC>(sK, k + kv_head, k0, TK, HK * D);
  load_rows<BC>(sV, v + kv_head, k0, TK, HK * D);
  cp_async_commit();
${walkStatements(s, "k0")}
  float acc_k[D / 8], acc_v[D / 8];
#pragma unroll
  for (int c = 0; c < D / 8; ++c) acc_k[c] = acc_v[c] = 0.0f;

  for (int hh = 0; hh < GROUP; ++hh) {
    const int h = kvh * GROUP + hh;
    const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
    for (int f = w.lo; f <= w.hi; ++f) {
      __syncthreads();
      const int q0 = tile_at(w, f) * BR;
      load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
      load_rows<BR>(sdO, dout + q_head, q0, TQ, HQ * D);
      cp_async_commit();
      const int t = static_cast<int>(threadIdx.x);
      if (t < BR) {
        const bool ok = q0 + t < TQ;
        const long long at = (static_cast<long long>(b) * HQ + h) * TQ + q0 + t;
        sLse[t] = ok ? lse[at] * LOG2E : INFINITY;
        sDelta[t] = ok ? delta[at] : 0.0f;
      }
      cp_async_wait<0>();
      __syncthreads();
      float sc[KL], dp[KL];
      scores(sQ, sK, sdO, sV, sc, dp, row, cl);
      const bool masked = needs_mask(w, f);
#pragma unroll
      for (int c = 0; c < KL; ++c) {
        const int i = q0 + row, j = k0 + cl + 8 * c;
        float p = exp2f(fmaf(sc[c], SCALE_LOG2, -sLse[row]));
        if (masked && (!visible(i, j)${docTest})) p = 0.0f;
        sP[row * PLD + cl + 8 * c] = p;
        sdS[row * PLD + cl + 8 * c] = p * (dp[c] - sDelta[row]);
      }
      __syncthreads();
      key_grads(sP, sdS, sdO, sQ, acc_k, acc_v, row, cl);
      query_grad(sdS, sK, dq + q_head + static_cast<long long>(q0 + row) * HQ * D, row, cl, q0 + row < TQ);
    }
  }

  if (k0 + row < TK) {
    const long long at = kv_head + static_cast<long long>(k0 + row) * HK * D + cl;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) {
      dk[at + 8 * c] = SCALE * acc_k[c];
      dv[at + 8 * c] = acc_v[c];
    }
  }`;
}

function params(s: AttentionSpec): KernelParam[] {
  return [
    { name: "q", dtype: "f32", access: "read" },
    { name: "k", dtype: "f32", access: "read" },
    { name: "v", dtype: "f32", access: "read" },
    { name: "dout", dtype: "f32", access: "read" },
    { name: "lse", dtype: "f32", access: "read" },
    { name: "delta", dtype: "f32", access: "read" },
    ...maskParams(s),
    { name: "dq", dtype: "f32", access: "readwrite" },
    { name: "dk", dtype: "f32", access: "write" },
    { name: "dv", dtype: "f32", access: "write" },
  ];
}

/** The main f32 backward kernel (dK, dV, and dq added into dq) for a checked spec and config. */
export function renderBackwardSimt(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkBackwardSimt(s, c);
  const threads = c.warps * 32;
  const at = layout(s, c);
  return makeKernel({
    prefix: "attn_bwd",
    dtype: s.dtype,
    summary: `attention backward, f32 SIMT: ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ${c.warps} warps`,
    params: params(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc], ["int", "THREADS", threads],
      ["int", "KL", c.Bc / 8], ["int", "LD", paddedRow(s.D)], ["int", "PLD", c.Bc + 4],
      ["int", "TILE_BYTES", at.tile], ["int", "P_OFFSET", at.pOffset], ["int", "ROW_OFFSET", at.rowOffset],
      ...listConstant(s, at.listOffset),
      ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LOG2E", LOG2E],
      ["float", "SCALE", s.scale],
    ],
    primitives: ["shared_base", "cp_async16", "cp_async_commit", "cp_async_wait", "red_add_f32"],
    helpers: [renderMask(maskShape(s, c, "backward")), HELPERS].join("\n\n"),
    body: body(s),
    grid: [tiles(s.Tk, c.Bc), s.Hk, s.B],
    threads,
    minBlocks: 1,
    sharedBytes: at.bytes,
    flops: 2.5 * forwardFlops(s),
    bytes: backwardBytes(s),
  });
}
