// FlashAttention-style backward kernel for bf16 / f16 on Hopper's warpgroup MMA (wgmma, sm_90a). Same walk as the mma.sync
// kernel (backward-mma.ts): one block owns Bc keys of one (batch, kv head), keeps K and V in shared memory and dK, dV
// in registers, and walks every query tile (Br = 64 rows, or 128 where the registers allow) that may see its keys,
// for each query head of its GQA group; dq goes into dq_accum by 16-byte f32 atomics or, with dqBlocked, by one bulk
// reduction per warpgroup and query tile (FlashAttention-3's dQ writer, dqBulk). What changes is who holds what:
//   - computing warpgroup g (4 warps) owns keys 64g..64g+63, so Bc = 64 * computing warpgroups;
//   - it computes the scores transposed, S^T = K Q^T and dP^T = V dO^T (M = its 64 keys, N = the Br queries, K = D),
//     both operands read by wgmma straight from shared memory;
//   - P^T and dS^T = P^T (dP^T - delta) then sit in registers in exactly the layout of wgmma's A operand, so
//     dV += P^T dO and dK += dS^T Q take A from registers (B = dO, Q stored N-major): no round trip through shared
//     memory, and no ldmatrix at all;
//   - dS^T also goes to shared memory ([Bc keys][Br queries]), and after one barrier the warpgroups compute dQ = dS K
//     over all Bc keys (A = dS stored M-major, B = K stored N-major): with Br = 64 warpgroup g takes columns
//     [g * D / warpgroups, ...), with Br = 128 query rows [64g, 64g + 64) (dqSplit).
// Overlap within a query tile: dV and dK run on the tensor cores while the warpgroups meet at the barrier before dQ.
// Tiles come in one of two ways (AttentionConfig.producer): every thread copies the next query tile between block
// barriers, or a producer warpgroup copies them through mbarriers (producer.ts; see producerBody).
// Every tile is in wgmma's 128-byte-swizzle layout (tile.ts `sw128`) on a 1024-byte boundary. Shared-memory writes
// that wgmma reads are published to its async proxy with fence.proxy.async: dS and, without a producer, the cp.async
// tiles by the writing thread before the barrier that orders them; with one, the tiles by the reading thread after
// its mbarrier wait.
// Invariants: checkBackwardWgmma holds; rows past Tq carry lse = +inf (P = 0) and delta = 0, keys past Tk are masked,
// so neither adds anything; the kernel needs sm_90a (wgmma does not exist on sm_90 without the `a`). Barriers: 0 is
// __syncthreads, 1 the computing threads' (with a producer), 2 + g warpgroup g's dQ staging (dqBlocked).

import type { KernelSource } from "../../kernel.ts";
import {
  backwardBytes, backwardGrid, backwardParams, blockCoordinates, queryWalk, walkSetup,
} from "./backward-mma.ts";
import { describeShape } from "./forward-mma.ts";
import { DQ_BLOCK } from "./backward-prep.ts";
import { listBytes, listConstant, maskShape, ownedDocuments, renderMask, walkStatements } from "./mask.ts";
import { wgmmaPrimitive } from "./primitives.ts";
import {
  checkWarpgroups, computeGroups, describeWarpgroups, loadingThreads, mbarrierBytes, mbarrierSetup, PRODUCER_PRIMITIVES,
  PRODUCER_THREADS, producerConstants, producerLoaders, type MBarrierArray, type ProducerPlan,
} from "./producer.ts";
import { makeKernel } from "./source.ts";
import {
  badConfig, checkShared, forwardFlops, LOG2E, MAX_SHARED_BYTES, type AttentionConfig, type AttentionSpec,
} from "./spec.ts";
import { renderTileHelpers, SW128_ALIGN, tileBytes, tileStepOk, WGMMA_OPERANDS } from "./tile.ts";

/**
 * The producer's plan (producer.ts): copy loops rolled in 24 registers, so two computing warpgroups get 240 (the H200
 * lab, default configs with dqBlocked: fwd+bwd 365 against 352 TFLOP/s at T = 4k, d = 128, with 40 and 232; ptxas
 * then spills 20-72 bytes per kernel, against 12-132).
 */
const PRODUCER: ProducerPlan = { registers: 24, rolled: true };

/**
 * Buffers of each query tile (Q, dO, lse, delta): two (the loop without a producer flips stage ^ 1), or with a producer
 * AttentionConfig.queryStages.
 */
function queryStages(c: AttentionConfig): number {
  return c.producer ? c.queryStages ?? 2 : 2;
}

/** Buffers of dS with a producer (one without). */
const DS_STAGES = 2;

/** The producer kernel's mbarriers: K and V copied; per stage, a query tile copied ("full") and read ("empty"). */
function mbarriers(c: AttentionConfig): readonly MBarrierArray[] {
  return [{ name: "kv_full", stages: 1, arrivals: "PRODUCER" },
    { name: "q_full", stages: queryStages(c), arrivals: "PRODUCER" },
    { name: "q_empty", stages: queryStages(c), arrivals: "COMPUTE" }];
}

/**
 * Shared memory: K, V; the query stages of Q, dO; dS (two stages with a producer); lse and delta; the block list;
 * mbarriers; with dqBlocked each warpgroup's dQ staging, two stages where they fit in a block's shared memory, else one.
 */
function layout(s: AttentionSpec, c: AttentionConfig) {
  const stages = queryStages(c);
  const vOffset = tileBytes(c.Bc, s.D);
  const qOffset = 2 * vOffset;
  const dOOffset = qOffset + stages * tileBytes(c.Br, s.D);
  const dSOffset = dOOffset + stages * tileBytes(c.Br, s.D);
  const rowOffset = dSOffset + (c.producer ? DS_STAGES : 1) * c.Bc * c.Br * 2;
  const listOffset = rowOffset + 2 * stages * c.Br * 4;
  const barOffset = listOffset + listBytes(s);
  const stagingOffset = Math.ceil((barOffset + (c.producer ? mbarrierBytes(mbarriers(c)) : 0)) / 128) * 128;
  const staging = c.dqBlocked ? computeGroups(c) * 64 * dqSplit(s, c).cols * 4 : 0;
  const dqStages = SW128_ALIGN + stagingOffset + 2 * staging <= MAX_SHARED_BYTES ? 2 : 1;
  return {
    vOffset, qOffset, dOOffset, dSOffset, rowOffset, listOffset, barOffset, stagingOffset, dqStages,
    bytes: stagingOffset + dqStages * staging,
  };
}

/** f32 accumulators a thread may hold: S^T and dP^T of one tile plus dK and dV of the walk. */
const MAX_ACCUMULATORS = 192;

/**
 * How the warpgroups share dQ = dS K (M = Br queries): with Br = 64 each computes all rows and D / warpgroups columns;
 * with Br = 128 (two warpgroups) each computes its 64 rows and every column. (Each warpgroup over its own 64 keys
 * instead, so that none waits for another's dS, measured slower on the H200: it doubles the atomics, 336 -> 272
 * TFLOP/s fwd+bwd at T = 4k, d = 128.)
 */
function dqSplit(s: AttentionSpec, c: AttentionConfig): { readonly rows: number; readonly cols: number } {
  return c.Br === 64 ? { rows: 0, cols: s.D / computeGroups(c) } : { rows: 64, cols: s.D };
}

/** Throws 5306/5307 unless the config fits this kernel: Br 64 or 128, one or two warpgroups, registers, shared memory. */
export function checkBackwardWgmma(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = `${s.dtype} attention backward (wgmma)`;
  checkWarpgroups(kernel, c);
  const groups = computeGroups(c);
  if (c.Br !== 64 && !(c.Br === 128 && groups === 2)) {
    badConfig(kernel, c, "Br must be 64, or 128 with two warpgroups (dQ puts the queries on wgmma's M, 64 per warpgroup)");
  }
  if (c.Br + s.D > MAX_ACCUMULATORS) {
    badConfig(kernel, c, `each thread would hold ${c.Br + s.D} f32 accumulators (at most ${MAX_ACCUMULATORS})`);
  }
  if (c.Bc !== 64 * groups) badConfig(kernel, c, "Bc must be 64 keys per warpgroup (computing warpgroup, with a producer)");
  const dq = dqSplit(s, c);
  if (dq.cols % 16 !== 0) {
    badConfig(kernel, c, `each warpgroup's ${dq.cols} dQ columns must be whole pairs of n8 tiles (16-byte atomics)`);
  }
  if (c.dqBlocked && dq.cols % DQ_BLOCK !== 0) {
    badConfig(kernel, c, `with dqBlocked each warpgroup's ${dq.cols} dQ columns must be whole blocks of ${DQ_BLOCK} ` +
      "(one bulk reduction per piece)");
  }
  const loaders = loadingThreads(c);
  if (!tileStepOk(s.D, loaders, c.Br) || !tileStepOk(s.D, loaders, c.Bc)) {
    badConfig(kernel, c, "the 16-byte copies of the loading threads must cover Br and Bc rows");
  }
  checkShared(kernel, c, SW128_ALIGN + layout(s, c).bytes);
}

function probabilities(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "backward");
  return `// From this thread's part of S^T and dP^T (rows: keys kr0 + lane/4 (+8); columns: queries), P^T and dS^T as the A
// fragments of dV += P^T dO and dK += dS^T Q (k-step t covers queries 16t..16t+15), and dS^T into sdS. Each column
// pair's lse and delta load once (one 8-byte load each) for both of the thread's keys. Columns past Tq need no test:
// their Q, dO, lse and delta rows are zero-filled, so their dS is 0 and their P meets zero dO rows in dV. MASKED: the
// tile crosses the mask's edge (needs_mask), so every element is tested; the thread's two keys' documents are
// [doc_start, doc_end) (causal keys need no start: i >= j >= start).
template <bool MASKED>
__device__ __forceinline__ void softmax_grad(const float (&sc)[BR / 2], const float (&dp)[BR / 2], const float* lse,
                                             const float* delta, unsigned (&pa)[BR / 16][4],
                                             unsigned (&dsa)[BR / 16][4], half_t* sdS, int kr0, int q0,
                                             int k0, int lane${docs.params("[2]")}) {
#pragma unroll
  for (int nt = 0; nt < BR / 8; ++nt) {
    const int c = nt * 8 + (lane & 3) * 2;
    const float2 col_lse = *reinterpret_cast<const float2*>(lse + c);
    const float2 col_delta = *reinterpret_cast<const float2*>(delta + c);
    const float lse2[2] = {col_lse.x * LOG2E, col_lse.y * LOG2E}, dl[2] = {col_delta.x, col_delta.y};
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int kr = kr0 + (lane >> 2) + 8 * half;
      float p[2], ds[2];
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        p[e] = fast_exp2(fmaf(sc[4 * nt + 2 * half + e], SCALE_LOG2, -lse2[e]));
        if (MASKED) {
          const int i = q0 + c + e, j = k0 + kr;
          if (!(visible(i, j)${docs.inside("[half]")})) p[e] = 0.0f;
        }
        ds[e] = p[e] * (dp[4 * nt + 2 * half + e] - dl[e]);
      }
      pa[nt / 2][half + 2 * (nt % 2)] = pack_half(p[0], p[1]);
      dsa[nt / 2][half + 2 * (nt % 2)] = pack_half(ds[0], ds[1]);
      const int at = (nt / 8) * BC * 64 + kr * 64 + (((nt % 8) ^ (kr & 7)) * 8) + (lane & 3) * 2;
      *reinterpret_cast<unsigned*>(sdS + at) = pack_half(ds[0], ds[1]);
    }
  }
}`;
}

/** Statements loading the document bounds of the thread's two keys into registers (0 past Tk: nothing visible). */
function keyDocuments(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "backward");
  return `  ${docs.declare("[2]")}
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int j = k0 + kr0 + (lane >> 2) + 8 * half;
${docs.load("[half]", "j", "TK").map((line) => `    ${line}\n`).join("")}  }
`;
}

/** Statements every variant starts with: coordinates, the thread's place in its warpgroup, shared-memory tiles. */
function coordinates(s: AttentionSpec, c: AttentionConfig): string {
  return `${blockCoordinates(s, c)}
  // The warpgroup, broadcast from lane 0 so that the compiler knows it is warp-uniform (wgmma descriptors built from
  // it stay in uniform registers).
  const int wg = __shfl_sync(0xffffffffu, warp / 4, 0), kr0 = 64 * wg + 16 * (warp % 4);
  unsigned char* smem = shared_base_1024();
  half_t* sK = reinterpret_cast<half_t*>(smem);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  half_t* sQ = reinterpret_cast<half_t*>(smem + Q_OFFSET);
  half_t* sdO = reinterpret_cast<half_t*>(smem + DO_OFFSET);
  half_t* sdS = reinterpret_cast<half_t*>(smem + DS_OFFSET);
  float* sLse = reinterpret_cast<float*>(smem + ROW_OFFSET);
  float* sDelta = sLse + ${queryStages(c)} * BR;`;
}

/** The accumulators of dK and dV, zeroed, and the document bounds of the thread's two keys. */
function keyState(s: AttentionSpec): string {
  return `  float acc_k[D / 2], acc_v[D / 2];
  zero(acc_k);
  zero(acc_v);
${s.documents ? keyDocuments(s) : ""}`;
}

/** Pointers to the query tile of stage \`stage\` (tQ, tdO, tLse, tDelta), its coordinates (h, q0) and whether it needs the mask. */
const QUERY_TILE = `    const int h = kvh * GROUP + hh, q0 = tile_at(w, f) * BR;
    const bool masked = needs_mask(w, f);
    const half_t* tQ = sQ + stage * BR * D;
    const half_t* tdO = sdO + stage * BR * D;
    const float* tLse = sLse + stage * BR;
    const float* tDelta = sDelta + stage * BR;`;

/**
 * The products of one query tile, once its copies are visible to wgmma: S^T and dP^T, then P^T and dS^T (dS^T into
 * tdS), dV and dK, then (after \`sync\`, once every warpgroup's dS is in tdS) dQ, added into dq_accum. \`released\` runs
 * once every product has landed (the query tile is no longer read). With dqBlocked the thread that issues its
 * warpgroup's bulk reductions waits, before \`sync\`, until the one of DQ_STAGES tiles ago has read its staging buffer,
 * which this tile overwrites after \`sync\`.
 */
function products(s: AttentionSpec, c: AttentionConfig, sync: string, released: string, slot: string): string {
  const gradArgs = `(sc, dp, tLse, tDelta, pa, dsa, tdS, kr0, q0, k0, lane${ownedDocuments(s, "backward").args})`;
  return `    unsigned pa[BR / 16][4], dsa[BR / 16][4];
    {
      float sc[BR / 2], dp[BR / 2];
      zero(sc);
      zero(dp);
      fence_operands(sc);
      fence_operands(dp);
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) ${wgmmaPrimitive("ss", c.Br)}<0, 0>(sc, k_major<BC>(sK, 64 * wg, kk), k_major<BR>(tQ, 0, kk));
      wgmma_commit();
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) ${wgmmaPrimitive("ss", c.Br)}<0, 0>(dp, k_major<BC>(sV, 64 * wg, kk), k_major<BR>(tdO, 0, kk));
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(sc);
      fence_operands(dp);
      if (masked) softmax_grad<true>${gradArgs};
      else softmax_grad<false>${gradArgs};
    }
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < BR / 16; ++ks) ${wgmmaPrimitive("rs", s.D)}<1>(acc_v, pa[ks], n_major<BR>(tdO, 0, ks));
#pragma unroll
    for (int ks = 0; ks < BR / 16; ++ks) ${wgmmaPrimitive("rs", s.D)}<1>(acc_k, dsa[ks], n_major<BR>(tQ, 0, ks));
    wgmma_commit();
    fence_proxy_async();${c.dqBlocked ? "\n    if (warp % 4 == 0 && lane == 0) bulk_wait_read<DQ_STAGES - 1>();" : ""}
    ${sync};
    float part[DQ_N / 2];
    zero(part);
    fence_operands(part);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < BC / 16; ++kk) {
      ${wgmmaPrimitive("ss", dqSplit(s, c).cols)}<1, 1>(part, n_major<BC>(tdS, DQ_M * wg, kk), n_major<BC>(sK, DQ_C * wg, kk));
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_operands(acc_v);
    fence_operands(acc_k);
    fence_operands(part);${released === "" ? "" : `\n    ${released}`}
${c.dqBlocked ? dqBulk(slot) : DQ_ADD}`;
}

/**
 * dQ into dq_accum by 16-byte atomics: of each two n8 tiles, the even lane of a pair adds 4 columns of the first
 * (its pair and its partner's), the odd lane 4 of the second. The H200 lab measured this against one 8-byte atomic
 * per column pair at +5% fwd+bwd (causal d = 128: 333 -> 349 TFLOP/s at T = 4k, 390 -> 413 at 16k; 301 -> 310 at the
 * Llama-3.2-1B shape); staging dQ in shared memory for the TMA's bulk reductions, a row per instruction, was slower
 * (331 -> 293 at 4k); a whole piece per instruction is dqBulk.
 */
const DQ_ADD = `    const bool odd = (lane & 1) != 0;
    float* dst = dq_accum + (static_cast<long long>(b) * TQ * HQ + h) * D + DQ_C * wg + (lane & 2) * 2;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int i = q0 + DQ_M * wg + 16 * (warp % 4) + (lane >> 2) + 8 * half;
#pragma unroll
      for (int nt = 0; nt < DQ_N / 8; nt += 2) {
        const float* x = part + 4 * nt + 2 * half;
        const float* y = x + 4;
        const float r0 = shfl_xor(odd ? x[0] : y[0], 1), r1 = shfl_xor(odd ? x[1] : y[1], 1);
        const float4 v = odd ? make_float4(r0, r1, y[0], y[1]) : make_float4(x[0], x[1], r0, r1);
        if (i < TQ) red_add_f32x4(dst + static_cast<long long>(i) * HQ * D + (nt + (odd ? 1 : 0)) * 8, v);
      }
    }`;

/**
 * dQ into the blocked dq_accum (dqBlocked): each thread stores its n8 tiles of \`part\` as 16-byte chunks into its
 * warpgroup's staging buffer \`slot\` % DQ_STAGES (slot counts the query tiles), in the block order of
 * dqAccumulatorShape (a warp's stores are 512 contiguous bytes: no bank conflicts), and publishes them to the async
 * proxy; warp 0 of the warpgroup waits at named barrier 2 + wg for the other three warps (which only arrive there:
 * they cannot arrive twice in one phase, since the next tile's \`sync\` waits for warp 0), and its lane 0 adds the
 * whole piece (DQ_N / 64 contiguous blocks) into dq_accum with one bulk reduction. Its group is committed even when the
 * piece lies past Tq (the second warpgroup's rows with Br = 128), so that bulk_wait_read<DQ_STAGES - 1> before a later
 * tile's \`sync\` covers the staging buffer that tile overwrites. The H200 lab measured this against the 16-byte
 * atomics (the best config with them) at -1% to -6% fwd+bwd without a producer warpgroup (d = 128) and +1% to +9% with
 * one (bench/RESULTS.md 2026-11-30).
 */
function dqBulk(slot: string): string {
  return `    float* staging =
        reinterpret_cast<float*>(smem + STAGING_OFFSET) + (wg * DQ_STAGES + ${slot} % DQ_STAGES) * 64 * DQ_N;
    float4* mine = reinterpret_cast<float4*>(staging) + 32 * (warp % 4) + lane;
#pragma unroll
    for (int nt = 0; nt < DQ_N / 8; ++nt) {
      mine[nt * 128] = make_float4(part[4 * nt], part[4 * nt + 1], part[4 * nt + 2], part[4 * nt + 3]);
    }
    fence_proxy_async();
    if (warp % 4 == 0) {
      named_sync(2 + wg, 128);
      if (lane == 0) {
        const int row = q0 + DQ_M * wg;
        if (row < TQ) {
          const long long at = ((static_cast<long long>(b) * HQ + h) * Q_BLOCKS + row / 64) * (D / 64) + DQ_C * wg / 64;
          bulk_reduce_add(dq_accum + at * 64 * 64, staging, 64 * DQ_N * 4);
        }
        bulk_commit();
      }
    } else {
      named_arrive(2 + wg, 128);
    }`;
}

/** The primitives dqBulk and dqDrain use. */
const DQ_BULK_PRIMITIVES = ["named_sync", "named_arrive", "bulk_reduce_add", "bulk_commit", "bulk_wait_read",
  "bulk_wait"] as const;

/** With dqBlocked, the statement that keeps the block alive until its last bulk reductions have landed. */
function dqDrain(c: AttentionConfig): string {
  return c.dqBlocked ? "  if (warp % 4 == 0 && lane == 0) bulk_wait<0>();\n" : "";
}

/** Statements storing dK (scaled) and dV of the thread's two keys. */
const KEY_STORES = `#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int kr = kr0 + (lane >> 2) + 8 * half;
    if (k0 + kr < TK) {
      const long long row = kv_head + static_cast<long long>(k0 + kr) * HK * D + (lane & 3) * 2;
#pragma unroll
      for (int nt = 0; nt < D / 8; ++nt) {
        const float* kk = acc_k + 4 * nt + 2 * half;
        const float* vv = acc_v + 4 * nt + 2 * half;
        *reinterpret_cast<unsigned*>(dk + row + nt * 8) = pack_half(SCALE * kk[0], SCALE * kk[1]);
        *reinterpret_cast<unsigned*>(dv + row + nt * 8) = pack_half(vv[0], vv[1]);
      }
    }
  }`;

/** Every thread loads and computes: the next query tile is copied during each iteration, between block barriers. */
function sharedBody(s: AttentionSpec, c: AttentionConfig): string {
  return `${coordinates(s, c)}
${walkSetup(s)}

${keyState(s)}
  while (more) {
${QUERY_TILE}
    half_t* tdS = sdS;
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();
    int nh = hh, nf = f;
    more = advance(nh, nf, w);
    if (more) {
      const int next = (stage ^ 1) * BR;
      load_query_tile(q, dout, lse, delta, sQ + next * D, sdO + next * D, sLse + next, sDelta + next, b,
                      kvh * GROUP + nh, tile_at(w, nf) * BR);
    }
    cp_async_commit();
${products(s, c, "__syncthreads()", "", "stage")}
    hh = nh;
    f = nf;
    stage ^= 1;
  }

  cp_async_wait<0>();
${dqDrain(c)}${KEY_STORES}`;
}

/**
 * Warp-specialized (producer.ts): the producer copies K and V once, then the query tiles (Q, dO, lse, delta) of the
 * walk into STAGES buffers (queryStages), each announced on q_full when it lands and refilled once q_empty says every
 * product reading it has landed. dS is double-buffered, so the one barrier left (among the computing threads, before
 * dQ) also keeps a warpgroup from overwriting the dS another one still reads.
 */
function producerBody(s: AttentionSpec, c: AttentionConfig): string {
  return `${coordinates(s, c)}
${mbarrierSetup(mbarriers(c))}
  const long long kv_head = (static_cast<long long>(b) * TK * HK + kvh) * D;
${walkStatements(s, "k0")}

  if (wg == COMPUTE_GROUPS) {
    setmaxnreg_dec<PRODUCER_REGISTERS>();
    load_rows<BC>(sK, k + kv_head, k0, TK, HK * D);
    load_rows<BC>(sV, v + kv_head, k0, TK, HK * D);
    cp_async_arrive(kv_full);
    int hh = 0, f = w.lo;
    bool more = w.lo <= w.hi;
    for (int t = 0; more; ++t) {
      const int stage = t % STAGES;
      mbar_wait(q_empty + stage, ((t / STAGES) & 1) ^ 1);
      load_query_tile(q, dout, lse, delta, sQ + stage * BR * D, sdO + stage * BR * D, sLse + stage * BR,
                      sDelta + stage * BR, b, kvh * GROUP + hh, tile_at(w, f) * BR);
      cp_async_arrive(q_full + stage);
      more = advance(hh, f, w);
    }
    cp_async_commit();
    cp_async_wait<0>();
    return;
  }

  setmaxnreg_inc<COMPUTE_REGISTERS>();
${keyState(s)}
  mbar_wait(kv_full, 0);
  int hh = 0, f = w.lo;
  bool more = w.lo <= w.hi;
  for (int t = 0; more; ++t) {
    const int stage = t % STAGES;
${QUERY_TILE}
    half_t* tdS = sdS + (t % DS_STAGES) * BC * BR;
    mbar_wait(q_full + stage, (t / STAGES) & 1);
    fence_proxy_async();
${products(s, c, "named_sync(1, COMPUTE_THREADS)", "mbar_arrive(q_empty + stage);", "t")}
    more = advance(hh, f, w);
  }
${dqDrain(c)}${KEY_STORES}`;
}

/** The main 16-bit backward kernel on wgmma (dK, dV, and dq added into dq_accum) for a checked spec and config. */
export function renderBackwardWgmma(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkBackwardWgmma(s, c);
  const threads = c.warps * 32;
  const at = layout(s, c);
  const dq = dqSplit(s, c);
  const groups = computeGroups(c);
  return makeKernel({
    prefix: "attn_bwd_wgmma",
    dtype: s.dtype,
    summary: `attention backward, ${s.dtype} wgmma (sm_90a): ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ` +
      describeWarpgroups(c),
    params: backwardParams(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc],
      ...(c.producer ? [] : [["int", "THREADS", threads] as [string, string, number]]),
      ["int", "DQ_N", dq.cols], ["int", "DQ_M", dq.rows], ["int", "DQ_C", dq.rows === 0 ? dq.cols : 0],
      ["int", "V_OFFSET", at.vOffset], ["int", "Q_OFFSET", at.qOffset], ["int", "DO_OFFSET", at.dOOffset],
      ["int", "DS_OFFSET", at.dSOffset], ["int", "ROW_OFFSET", at.rowOffset], ...listConstant(s, at.listOffset),
      ...(c.dqBlocked ? [["int", "STAGING_OFFSET", at.stagingOffset], ["int", "DQ_STAGES", at.dqStages],
        ["int", "Q_BLOCKS", Math.ceil(s.Tq / DQ_BLOCK)]] as [string, string, number][] : []),
      ...(c.producer ? [...producerConstants(groups, PRODUCER, at.barOffset, queryStages(c)),
        ["int", "DS_STAGES", DS_STAGES] as [string, string, number]] : []),
      ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LOG2E", LOG2E], ["float", "SCALE", s.scale],
    ],
    primitives: ["shared_base_1024", "cp_async16", "cp_async4", "cp_async_commit", "cp_async_wait", "pack_half",
      "fast_exp2", ...(c.dqBlocked ? DQ_BULK_PRIMITIVES : ["red_add_f32x4", "shfl_xor"] as const), "fence_proxy_async",
      "wgmma_desc", "wgmma_fence", "wgmma_commit", "wgmma_wait", "fence_operands", wgmmaPrimitive("ss", c.Br),
      wgmmaPrimitive("rs", s.D), wgmmaPrimitive("ss", dq.cols),
      ...(c.producer ? PRODUCER_PRIMITIVES : [])],
    helpers: [renderTileHelpers(s.D, groups * 128, "sw128", producerLoaders(c, PRODUCER)),
      renderMask(maskShape(s, c, "backward")), queryWalk(c.producer ? PRODUCER_THREADS : undefined), WGMMA_OPERANDS,
      probabilities(s)].join("\n\n"),
    body: c.producer ? producerBody(s, c) : sharedBody(s, c),
    grid: backwardGrid(s, c),
    threads,
    minBlocks: 1,
    sharedBytes: SW128_ALIGN + at.bytes,
    flops: 2.5 * forwardFlops(s),
    bytes: backwardBytes(s),
  });
}
