// FlashAttention-2-style backward kernel for bf16 / f16 on the tensor cores. One block owns Bc keys of one (batch, kv head)
// and keeps K, V in shared memory and dK, dV in registers (f32; warp w owns keys 16w..16w+15, so Bc = 16 * warps);
// it walks every query tile that may see its keys, for each query head of its GQA group, so dK and dV are complete
// sums without atomics. Per query tile (Q, dO, lse, delta double-buffered: the next tile loads during this one):
//   S = Q K^T, dP = dO V^T            warps tile the [Br x Bc] scores as (Br/16) x (warps*16/Br)
//   P = 2^(S*scale*log2e - lse*log2e), dS = P * (dP - delta)   (masked pairs: P = 0); P, dS -> shared (16-bit)
//   dV += P^T dO, dK += dS^T Q       each warp its 16 keys, A fragments by ldmatrix.trans from P / dS
//   dQ += dS K                       warps tile [Br x D]; f32 vector atomics into dq_accum (no extra pass over keys)
// dq takes atomics rather than a second kernel that recomputes P per query tile: that would cost two more matmuls
// (S and dP again) per tile pair, more than the atomic traffic (Br x D adds per tile pair, served by L2). The scale
// is applied to dK here and to dq by attn_bwd_dq.
// Launch order (launchOrder): under a causal mask (or prefix-LM's, causalShape) the first key tiles see the most
// queries. With few key tiles per head the blocks launch key tile slowest over all heads, longest first, which
// balances the SMs' load (head by head leaves 3.5% of the SMs' time idle at T = 4k); with many the blocks launch
// head by head, so those running together share one head's Q and dO in L2 (on the H200 at d = 128: key tiles
// slowest 1.6% faster at T = 4k, 2% slower at T = 16k). With the blocked dQ writer (dqBlocked, the wgmma backward's
// default) L2 sharing weighs more: key tiles slowest only pays where blocks are few (a few waves of long walks), so
// it needs fewer than LONGEST_FIRST_BLOCKS blocks too (H200, causal: d = 128, 4096 blocks, head by head +6% at 1k
// and +8% at 4k; the Llama-3.2-1B shape, d = 64 GQA 32/8, 1024 blocks, head by head -6%, -13% with documents).
// Invariants: checkBackwardMma holds; rows past Tq carry lse = +inf (P = 0) and delta = 0, keys past Tk are masked,
// so neither adds anything.

import type { KernelParam, KernelSource } from "../../kernel.ts";
import { dqAccumulator } from "./backward-prep.ts";
import { describeShape } from "./forward-mma.ts";
import {
  listBytes, listConstant, maskParams, maskShape, outsideKeyDocument, renderMask, tiles, walkStatements,
} from "./mask.ts";
import { makeKernel } from "./source.ts";
import {
  badConfig, causalShape, checkShared, documentBytes, elementBytes, forwardFlops, keyElements, LOG2E, queryElements,
  rowElements, type AttentionConfig, type AttentionSpec,
} from "./spec.ts";
import { renderTileHelpers, tileBytes, tileStep, tileStepOk } from "./tile.ts";

function layout(s: AttentionSpec, c: AttentionConfig) {
  const vOffset = tileBytes(c.Bc, s.D);
  const qOffset = 2 * vOffset;
  const dOOffset = qOffset + 2 * tileBytes(c.Br, s.D);
  const pOffset = dOOffset + 2 * tileBytes(c.Br, s.D);
  const dSOffset = pOffset + c.Br * c.Bc * 2;
  const rowOffset = dSOffset + c.Br * c.Bc * 2;
  const listOffset = rowOffset + 4 * c.Br * 4;
  return { vOffset, qOffset, dOOffset, pOffset, dSOffset, rowOffset, listOffset, bytes: listOffset + listBytes(s) };
}

/** Warps along M and N of an [m x n] product: each warp tile a multiple of 16 x 16 and as square as possible. */
export function warpGrid(m: number, n: number, warps: number): readonly [number, number] | undefined {
  let best: readonly [number, number] | undefined;
  let bestSkew = Infinity;
  for (let wm = 1; wm <= warps; wm *= 2) {
    const wn = warps / wm;
    if (!Number.isInteger(wn) || m % (16 * wm) !== 0 || n % (16 * wn) !== 0) continue;
    const skew = Math.abs(Math.log2(m / wm / (n / wn)));
    if (skew <= bestSkew) [best, bestSkew] = [[wm, wn], skew];
  }
  return best;
}

/** Most key tiles per head for which blocks launch key tile slowest (see the header). */
const LONGEST_FIRST_TILES = 64;

/** With the blocked dQ writer, the most blocks (B x Hk x key tiles) for which blocks launch key tile slowest. */
const LONGEST_FIRST_BLOCKS = 2048;

/**
 * The order blocks launch in: key tiles slowest (longest first under a causal mask) or head by head; with key splits
 * (xformers' walk) the splits of one head launch together.
 */
export function launchOrder(s: AttentionSpec, c: AttentionConfig): "key-tiles-slowest" | "heads-slowest" | "splits" {
  if (c.keySplits !== undefined) return "splits";
  const keyTiles = tiles(s.Tk, c.Bc);
  const few = c.dqBlocked !== true || s.B * s.Hk * keyTiles < LONGEST_FIRST_BLOCKS;
  return causalShape(s) && keyTiles <= LONGEST_FIRST_TILES && few ? "key-tiles-slowest" : "heads-slowest";
}

/** The grid of both 16-bit backward kernels: (key tiles or key splits, kv heads, batch) in launchOrder's order. */
export function backwardGrid(s: AttentionSpec, c: AttentionConfig): [number, number, number] {
  switch (launchOrder(s, c)) {
    case "splits": return [c.keySplits!, s.Hk, s.B];
    case "key-tiles-slowest": return [s.Hk, s.B, tiles(s.Tk, c.Bc)];
    case "heads-slowest": return [tiles(s.Tk, c.Bc), s.Hk, s.B];
  }
}

/**
 * Which fragments load a step ahead (mma_steps), chosen so ptxas spills nothing: at D = 64 (128 x 128 tiles) every
 * operand; at D = 128 (64 x 128 tiles) all but the scores' A operands (Q, dO), whose second set would spill (the H200
 * lab measured this as fast as all ahead, 313-315 TFLOP/s fwd+bwd at T = 16k); with documents at D > 64 none.
 */
function lookahead(s: AttentionSpec): { readonly any: boolean; readonly scoresA: boolean } {
  return { any: !(s.documents && s.D > 64), scoresA: s.D <= 64 };
}

/** f32 accumulators a thread may hold (dK, dV for the whole walk plus S, dP of one tile). */
const MAX_ACCUMULATORS = 192;

/** Warp grids of the three products: scores [Br x Bc], key gradients [Bc x D], query gradient [Br x D]. */
function grids(s: AttentionSpec, c: AttentionConfig) {
  return {
    scores: warpGrid(c.Br, c.Bc, c.warps), keys: warpGrid(c.Bc, s.D, c.warps), queries: warpGrid(c.Br, s.D, c.warps),
  };
}

/** Throws 5306/5307 unless the config fits this kernel's warp layout, registers and shared memory. */
export function checkBackwardMma(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = `${s.dtype} attention backward`;
  if (c.warps !== 4 && c.warps !== 8) badConfig(kernel, c, "warps must be 4 or 8");
  if (c.Bc !== 64 && c.Bc !== 128) badConfig(kernel, c, "Bc must be 64 or 128 (rows of the P tile are swizzled in 8s)");
  if (![32, 64, 128].includes(c.Br)) badConfig(kernel, c, "Br must be 32, 64 or 128");
  if (!tileStepOk(s.D, c.warps * 32, c.Br) || !tileStepOk(s.D, c.warps * 32, c.Bc)) {
    badConfig(kernel, c, `Br and Bc must be multiples of ${tileStep(s.D, c.warps * 32)}, the rows one pass of the ` +
      "block's 16-byte copies covers");
  }
  const g = grids(s, c);
  if (!g.scores || !g.keys || !g.queries) {
    badConfig(kernel, c, "the warps cannot tile [Br x Bc], [Bc x D] and [Br x D] in multiples of 16 x 16");
  }
  if (c.keySplits !== undefined && !(Number.isInteger(c.keySplits) && c.keySplits >= 1 && c.keySplits <= tiles(s.Tk, c.Bc))) {
    badConfig(kernel, c, `keySplits must be an integer from 1 to the ${tiles(s.Tk, c.Bc)} key tiles`);
  }
  const accumulators = (2 * c.Bc * s.D / g.keys[0] / g.keys[1] + 2 * c.Br * c.Bc / g.scores[0] / g.scores[1]) / 32;
  if (accumulators > MAX_ACCUMULATORS) {
    badConfig(kernel, c, `each thread would hold ${accumulators} f32 accumulators (at most ${MAX_ACCUMULATORS})`);
  }
  checkShared(kernel, c, layout(s, c).bytes);
}

/**
 * Device code both 16-bit backward kernels walk query tiles with: advance (the next (head, query tile) of the block's
 * GQA group) and load_query_tile (Q, dO, lse and delta of one tile, asynchronously, through load_rows), copied by all
 * THREADS threads or, given `producer` (a thread count), by a producer warpgroup (producer.ts).
 */
export function queryWalk(producer?: number): string {
  const index = producer === undefined ? "static_cast<int>(threadIdx.x)" : `static_cast<int>(threadIdx.x) % ${producer}`;
  return `// Next (head in group, walk position in [w.lo, w.hi]) to visit after (hh, f); false when done.
__device__ __forceinline__ bool advance(int& hh, int& f, const Walk& w) {
  if (++f <= w.hi) return true;
  f = w.lo;
  return ++hh < GROUP;
}

// Starts loading query tile q0 of head h, all asynchronously: Q and dO rows, lse and delta (0 past Tq).
__device__ __forceinline__ void load_query_tile(const half_t* q, const half_t* dout, const float* lse,
                                                const float* delta, half_t* sQ, half_t* sdO,
                                                float* sLse, float* sDelta, int b, int h, int q0) {
  const long long head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  load_rows<BR>(sQ, q + head, q0, TQ, HQ * D);
  load_rows<BR>(sdO, dout + head, q0, TQ, HQ * D);
  for (int r = ${index}; r < 2 * BR; r += ${producer ?? "THREADS"}) {
    const int row = r % BR;
    const bool ok = q0 + row < TQ;
    const float* src = (r < BR ? lse : delta) + (static_cast<long long>(b) * HQ + h) * TQ + q0 + row;
    cp_async4((r < BR ? sLse : sDelta) + row, ok ? src : lse, ok);
  }
}`;
}

const HELPERS = `// Element offset of chunk \`chunk\` of row \`row\` in a [BR][BC] 16-bit tile (P, dS), XOR-swizzled like
// swz; swz_p_pair is its swz_pair (tile.ts).
__device__ __forceinline__ int swz_p(int row, int chunk) {
  return (row * (BC / 8) + (chunk ^ (row & 7))) * 8;
}

__device__ __forceinline__ int swz_p_pair(int row, int hi) {
  return row * BC + 8 * (hi ^ (row & 7));
}

// acc += sum over STEPS k-steps of A_k B_k on the tensor cores for this warp's MT x NT tile of 16 x 8 outputs:
// load_a(k, a) fills the MT A fragments of step k, load_b(k, np, b) the B fragments of n-tile pair np. With AHEAD the
// B fragments of step k + 1 load while step k's mmas run (a second register set), and with A_AHEAD the A fragments
// too, so ldmatrix latency hides behind the tensor cores: 2 warps per scheduler cannot hide it (the H200 lab measured
// +5% fwd+bwd at d = 128 and +10% at d = 64). Without AHEAD each fragment loads just before its mmas and the loop
// unrolls by 2 only (fewer live registers).
template <int STEPS, bool AHEAD, bool A_AHEAD, int MT, int NT, class LoadA, class LoadB>
__device__ __forceinline__ void mma_steps(float (&acc)[MT][NT][4], LoadA load_a, LoadB load_b) {
  unsigned a[A_AHEAD ? 2 : 1][MT][4], b[AHEAD ? 2 : 1][NT / 2][4];
  if (A_AHEAD) load_a(0, a[0]);
#pragma unroll
  for (int np = 0; np < NT / 2; ++np) {
    if (AHEAD) load_b(0, np, b[0][np]);
  }
#pragma unroll(AHEAD ? STEPS : 2)
  for (int k = 0; k < STEPS; ++k) {
    const int ca = A_AHEAD ? k & 1 : 0, cb = AHEAD ? k & 1 : 0;
    if (!A_AHEAD) load_a(k, a[0]);
    if (AHEAD && k + 1 < STEPS) {
      if (A_AHEAD) load_a(k + 1, a[ca ^ 1]);
#pragma unroll
      for (int np = 0; np < NT / 2; ++np) load_b(k + 1, np, b[cb ^ 1][np]);
    }
#pragma unroll
    for (int np = 0; np < NT / 2; ++np) {
      if (!AHEAD) load_b(k, np, b[0][np]);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma_16816(acc[mt][2 * np], a[ca][mt], b[cb][np][0], b[cb][np][1]);
        mma_16816(acc[mt][2 * np + 1], a[ca][mt], b[cb][np][2], b[cb][np][3]);
      }
    }
  }
}

template <int MT, int NT>
__device__ __forceinline__ void zero(float (&acc)[MT][NT][4]) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) acc[mt][nt][0] = acc[mt][nt][1] = acc[mt][nt][2] = acc[mt][nt][3] = 0.0f;
  }
}

// acc = A B^T for this warp's S_MT*16 rows of A ([BR][D] tile, from r0) and S_NT*8 rows of B ([BC][D], from c0).
__device__ __forceinline__ void scores(const half_t* sA, const half_t* sB, float (&acc)[S_MT][S_NT][4],
                                       int r0, int c0, int lane) {
  const int ab = swz_pair(r0 + (lane & 15), lane >> 4);
  const int bb = swz_pair(c0 + (lane & 7) + ((lane >> 4) << 3), (lane >> 3) & 1);
  zero(acc);
  mma_steps<D / 16, AHEAD, SCORES_A_AHEAD>(acc,
      [&](int kk, unsigned (&a)[S_MT][4]) {
#pragma unroll
        for (int mt = 0; mt < S_MT; ++mt) ldsm_x4(a[mt], sA + (ab ^ (16 * kk)) + mt * 16 * D);
      },
      [&](int kk, int np, unsigned (&b)[4]) { ldsm_x4(b, sB + (bb ^ (16 * kk)) + np * 16 * D); });
}

// acc += T^T X for this warp's K_MT*16 keys (from k0) and K_NT*8 columns (from c0): T a [BR][BC] tile (P or dS),
// X a [BR][D] tile (dO or Q). k0 and c0 are multiples of the warp tile, so XOR-ing them into the bases is exact.
__device__ __forceinline__ void key_grad(const half_t* sT, const half_t* sX, float (&acc)[K_MT][K_NT][4],
                                         int k0, int c0, int lane) {
  const int ab = swz_p_pair((lane & 7) + ((lane >> 4) << 3), (lane >> 3) & 1) ^ k0;
  const int bb = swz_pair((lane & 7) + (((lane >> 3) & 1) << 3), lane >> 4) ^ c0;
  mma_steps<BR / 16, AHEAD, AHEAD>(acc,
      [&](int kk, unsigned (&a)[K_MT][4]) {
#pragma unroll
        for (int mt = 0; mt < K_MT; ++mt) ldsm_x4_t(a[mt], sT + (ab ^ (16 * mt)) + kk * 16 * BC);
      },
      [&](int kk, int np, unsigned (&b)[4]) { ldsm_x4_t(b, sX + (bb ^ (16 * np)) + kk * 16 * D); });
}

// acc = dS K for this warp's Q_MT*16 query rows (from r0) and Q_NT*8 columns (from c0).
__device__ __forceinline__ void query_grad(const half_t* sdS, const half_t* sK,
                                           float (&acc)[Q_MT][Q_NT][4], int r0, int c0, int lane) {
  const int ab = swz_p_pair(r0 + (lane & 15), lane >> 4);
  const int bb = swz_pair((lane & 7) + (((lane >> 3) & 1) << 3), lane >> 4) ^ c0;
  zero(acc);
  mma_steps<BC / 16, AHEAD, AHEAD>(acc,
      [&](int kk, unsigned (&a)[Q_MT][4]) {
#pragma unroll
        for (int mt = 0; mt < Q_MT; ++mt) ldsm_x4(a[mt], sdS + (ab ^ (16 * kk)) + mt * 16 * BC);
      },
      [&](int kk, int np, unsigned (&b)[4]) { ldsm_x4_t(b, sK + (bb ^ (16 * np)) + kk * 16 * D); });
}`;

function probabilities(s: AttentionSpec): string {
  const docTest = outsideKeyDocument(s);
  return `// P and dS of this warp's score tile at (r0, c0) -> shared memory (16-bit); masked pairs get P = 0.
__device__ __forceinline__ void softmax_grad(const float (&sc)[S_MT][S_NT][4], const float (&dp)[S_MT][S_NT][4],
                                             const float* lse, const float* delta, half_t* sP,
                                             half_t* sdS, int r0, int c0, int q0, int k0, bool masked,
                                             int lane${s.documents ? ", const int* rg" : ""}) {
  const int pb = swz_p(r0 + (lane >> 2), c0 / 8) + (lane & 3) * 2;
#pragma unroll
  for (int mt = 0; mt < S_MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int r = r0 + mt * 16 + (lane >> 2) + half * 8;
      const float row_lse = q0 + r < TQ ? lse[r] * LOG2E : INFINITY, row_delta = delta[r];
#pragma unroll
      for (int nt = 0; nt < S_NT; ++nt) {
        float p[2], ds[2];
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          p[e] = fast_exp2(fmaf(sc[mt][nt][2 * half + e], SCALE_LOG2, -row_lse));
          if (masked) {
            const int i = q0 + r, j = k0 + c0 + nt * 8 + (lane & 3) * 2 + e;
            if (!visible(i, j)${docTest}) p[e] = 0.0f;
          }
          ds[e] = p[e] * (dp[mt][nt][2 * half + e] - row_delta);
        }
        const int at = (pb ^ (8 * nt)) + (mt * 16 + half * 8) * BC;
        *reinterpret_cast<unsigned*>(sP + at) = pack_half(p[0], p[1]);
        *reinterpret_cast<unsigned*>(sdS + at) = pack_half(ds[0], ds[1]);
      }
    }
  }
}`;
}

/**
 * The first statements of both 16-bit backward kernels: the block's key tile k0 (none with key splits: the tile
 * loop sets it), kv head and batch, warp and lane.
 */
export function blockCoordinates(s: AttentionSpec, c: AttentionConfig): string {
  const [tile, head, batch] = launchOrder(s, c) === "key-tiles-slowest" ? ["z", "x", "y"] : ["x", "y", "z"];
  const k0 = c.keySplits === undefined ? `  const int k0 = static_cast<int>(blockIdx.${tile}) * BC;\n` : "";
  return `${k0}  const int kvh = static_cast<int>(blockIdx.${head}), b = static_cast<int>(blockIdx.${batch});
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;`;
}

/**
 * What the 16-bit backward kernels without a producer do once their shared-memory pointers (sK, sV, sQ, sdO, sLse,
 * sDelta) are set: start loading K and V, find the query tiles to visit, and start loading the first one.
 */
export function walkSetup(s: AttentionSpec): string {
  return `  const long long kv_head = (static_cast<long long>(b) * TK * HK + kvh) * D;

  load_rows<BC>(sK, k + kv_head, k0, TK, HK * D);
  load_rows<BC>(sV, v + kv_head, k0, TK, HK * D);
${walkStatements(s, "k0")}
  int hh = 0, f = w.lo, stage = 0;
  bool more = w.lo <= w.hi;
  if (more) load_query_tile(q, dout, lse, delta, sQ, sdO, sLse, sDelta, b, kvh * GROUP + hh, tile_at(w, f) * BR);
  cp_async_commit();`;
}

/**
 * The block's key tiles around `tile` (statements for the key tile at k0): the one the grid gives it, or with key
 * splits every KEY_SPLITS-th from its split, with a barrier between tiles (the next tile's copies overwrite the
 * shared tiles the last one stored from).
 */
function keyTiles(c: AttentionConfig, tile: string): string {
  if (c.keySplits === undefined) return tile;
  return `  for (int k0 = static_cast<int>(blockIdx.x) * BC; k0 < TK; k0 += KEY_SPLITS * BC) {
${tile.replace(/^(?=.)/gm, "  ")}
    __syncthreads();
  }`;
}

function body(s: AttentionSpec, c: AttentionConfig): string {
  return `${blockCoordinates(s, c)}
  const int s_r0 = (warp % S_WM) * S_MT * 16, s_c0 = (warp / S_WM) * S_NT * 8;
  const int k_r0 = (warp % K_WM) * K_MT * 16, k_c0 = (warp / K_WM) * K_NT * 8;
  const int q_r0 = (warp % Q_WM) * Q_MT * 16, q_c0 = (warp / Q_WM) * Q_NT * 8;
  unsigned char* smem = shared_base();
  half_t* sK = reinterpret_cast<half_t*>(smem);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  half_t* sQ = reinterpret_cast<half_t*>(smem + Q_OFFSET);
  half_t* sdO = reinterpret_cast<half_t*>(smem + DO_OFFSET);
  half_t* sP = reinterpret_cast<half_t*>(smem + P_OFFSET);
  half_t* sdS = reinterpret_cast<half_t*>(smem + DS_OFFSET);
  float* sLse = reinterpret_cast<float*>(smem + ROW_OFFSET);
  float* sDelta = sLse + 2 * BR;
${keyTiles(c, keyTile(s))}`;
}

/** One key tile's walk: dK and dV over every query tile that sees it, dq added into dq_accum, dK and dV stored. */
function keyTile(s: AttentionSpec): string {
  const docs = s.documents;
  return `${walkSetup(s)}

  float acc_k[K_MT][K_NT][4], acc_v[K_MT][K_NT][4];
  zero(acc_k);
  zero(acc_v);

  while (more) {
    const int h = kvh * GROUP + hh, q0 = tile_at(w, f) * BR;
    const bool masked = needs_mask(w, f);
    const int st = stage * BR;
    cp_async_wait<0>();
    __syncthreads();
    int nh = hh, nf = f;
    more = advance(nh, nf, w);
    if (more) {
      const int nst = (stage ^ 1) * BR;
      load_query_tile(q, dout, lse, delta, sQ + nst * D, sdO + nst * D, sLse + nst, sDelta + nst, b, kvh * GROUP + nh,
                      tile_at(w, nf) * BR);
    }
    cp_async_commit();
    {
      float sc[S_MT][S_NT][4], dp[S_MT][S_NT][4];
      scores(sQ + st * D, sK, sc, s_r0, s_c0, lane);
      scores(sdO + st * D, sV, dp, s_r0, s_c0, lane);
      softmax_grad(sc, dp, sLse + st, sDelta + st, sP, sdS, s_r0, s_c0, q0, k0, masked, lane${docs ? ", rg" : ""});
    }
    __syncthreads();
    key_grad(sP, sdO + st * D, acc_v, k_r0, k_c0, lane);
    key_grad(sdS, sQ + st * D, acc_k, k_r0, k_c0, lane);
    {
      float part[Q_MT][Q_NT][4];
      query_grad(sdS, sK, part, q_r0, q_c0, lane);
      float* dst = dq_accum + (static_cast<long long>(b) * TQ * HQ + h) * D + q_c0 + (lane & 3) * 2;
#pragma unroll
      for (int mt = 0; mt < Q_MT; ++mt) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const int i = q0 + q_r0 + mt * 16 + (lane >> 2) + half * 8;
          if (i < TQ) {
#pragma unroll
            for (int nt = 0; nt < Q_NT; ++nt) {
              red_add_f32x2(dst + static_cast<long long>(i) * HQ * D + nt * 8, part[mt][nt][2 * half],
                            part[mt][nt][2 * half + 1]);
            }
          }
        }
      }
    }
    hh = nh;
    f = nf;
    stage ^= 1;
  }

  cp_async_wait<0>();
  __syncthreads();
#pragma unroll
  for (int mt = 0; mt < K_MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < K_NT; ++nt) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int at = swz(k_r0 + mt * 16 + (lane >> 2) + half * 8, k_c0 / 8 + nt) + (lane & 3) * 2;
        const float* kk = acc_k[mt][nt] + 2 * half;
        const float* vv = acc_v[mt][nt] + 2 * half;
        *reinterpret_cast<unsigned*>(sK + at) = pack_half(SCALE * kk[0], SCALE * kk[1]);
        *reinterpret_cast<unsigned*>(sV + at) = pack_half(vv[0], vv[1]);
      }
    }
  }
  __syncthreads();
  store_rows<BC>(dk + kv_head, sK, k0, TK, HK * D);
  store_rows<BC>(dv + kv_head, sV, k0, TK, HK * D);`;
}

/** Parameters of the main 16-bit backward kernel, in order. */
export function backwardParams(s: AttentionSpec): KernelParam[] {
  return [
    { name: "q", dtype: s.dtype, access: "read" },
    { name: "k", dtype: s.dtype, access: "read" },
    { name: "v", dtype: s.dtype, access: "read" },
    { name: "dout", dtype: s.dtype, access: "read" },
    { name: "lse", dtype: "f32", access: "read" },
    { name: "delta", dtype: "f32", access: "read" },
    ...maskParams(s),
    { name: dqAccumulator(s), dtype: "f32", access: "readwrite" },
    { name: "dk", dtype: s.dtype, access: "write" },
    { name: "dv", dtype: s.dtype, access: "write" },
  ];
}

/** The main 16-bit backward kernel (dK, dV, and dq added into dq_accum) for a checked spec and config. */
export function renderBackwardMma(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkBackwardMma(s, c);
  const threads = c.warps * 32;
  const at = layout(s, c);
  const g = grids(s, c);
  const [sm, sn] = g.scores!;
  const [km, kn] = g.keys!;
  const [qm, qn] = g.queries!;
  const ahead = lookahead(s);
  return makeKernel({
    prefix: "attn_bwd",
    dtype: s.dtype,
    summary: `attention backward, ${s.dtype} tensor cores: ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ` +
      `${c.warps} warps`,
    params: backwardParams(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc], ["int", "THREADS", threads],
      ["int", "S_WM", sm], ["int", "S_MT", c.Br / sm / 16], ["int", "S_NT", c.Bc / sn / 8],
      ["int", "K_WM", km], ["int", "K_MT", c.Bc / km / 16], ["int", "K_NT", s.D / kn / 8],
      ["int", "Q_WM", qm], ["int", "Q_MT", c.Br / qm / 16], ["int", "Q_NT", s.D / qn / 8],
      ["int", "V_OFFSET", at.vOffset], ["int", "Q_OFFSET", at.qOffset], ["int", "DO_OFFSET", at.dOOffset],
      ["int", "P_OFFSET", at.pOffset], ["int", "DS_OFFSET", at.dSOffset], ["int", "ROW_OFFSET", at.rowOffset], ...listConstant(s, at.listOffset),
      ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LOG2E", LOG2E],
      ["float", "SCALE", s.scale], ["bool", "AHEAD", Number(ahead.any)],
      ["bool", "SCORES_A_AHEAD", Number(ahead.scoresA)], ...(c.keySplits ? [["int", "KEY_SPLITS", c.keySplits] as const] : []),
    ],
    primitives: ["shared_base", "cp_async16", "cp_async4", "cp_async_commit", "cp_async_wait", "ldsm_x4", "ldsm_x4_t",
      "mma_16816", "pack_half", "fast_exp2", "red_add_f32x2"],
    helpers: [renderTileHelpers(s.D, threads), renderMask(maskShape(s, c, "backward")), queryWalk(), HELPERS, probabilities(s)]
      .join("\n\n"),
    body: body(s, c),
    grid: backwardGrid(s, c),
    threads,
    minBlocks: 1,
    sharedBytes: at.bytes,
    flops: 2.5 * forwardFlops(s),
    bytes: backwardBytes(s),
  });
}

/** Bytes the main backward kernel must move: q, k, v, dout, lse, delta (and document ranges) in; dq (f32), dk, dv out. */
export function backwardBytes(s: AttentionSpec): number {
  const e = elementBytes(s);
  return (2 * queryElements(s) + 4 * keyElements(s)) * e + 2 * rowElements(s) * 4 + documentBytes(s) +
    queryElements(s) * 4;
}
