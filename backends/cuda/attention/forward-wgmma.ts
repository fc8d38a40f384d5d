// FlashAttention-style forward kernel for bf16 / f16 on Hopper's warpgroup MMA (wgmma, sm_90a). Same walk as the mma.sync
// kernel (forward-mma.ts): one block owns Br query rows of one (batch, query head) and walks the key tiles it may see
// from the last to the first. What changes:
//   - warpgroup g (4 warps) owns query rows 64g..64g+63, so Br = 64 * warpgroups; S = Q K^T is one wgmma per 16
//     columns of D with both operands read from shared memory (Q and K stored K-major);
//   - P sits in registers in exactly the layout of wgmma's A operand, so O += P V takes A from registers and V
//     (stored N-major) from shared memory: no ldmatrix at all;
//   - the products of consecutive tiles overlap: each iteration issues S[n] = Q K[n]^T, then O += P[n-1] V[n-1], and
//     runs the softmax of S[n] while the second product is still on the tensor cores (O is rescaled after it lands);
//   - K and V are double-buffered. Two ways to fill them (AttentionConfig.producer):
//       without a producer, every thread copies K for the next tile and V for this one as an iteration starts, and a
//       block barrier per iteration orders copies and products;
//       with one (warp specialization, FlashAttention-3's scheme), one more warpgroup only copies: it fills a buffer
//       once the computing warpgroups have freed it ("empty" mbarriers), and announces the copy when it lands ("full"
//       mbarriers, cp.async.mbarrier.arrive), so loads run ahead and the computing warpgroups never meet at a block
//       barrier; setmaxnreg gives the producer few registers and the computing threads the rest.
// Every tile is in wgmma's 128-byte-swizzle layout (tile.ts `sw128`) on a 1024-byte boundary; cp.async copies that
// wgmma reads are published to wgmma's async proxy with fence.proxy.async (by the copying thread before a block
// barrier, or by the reading thread after its mbarrier wait).
// Invariants: checkForwardWgmma holds; the grid is (ceil(Tq/Br), Hq, B) with blockIdx.x counted from the last query
// tile, as forward-mma.ts; rows past Tq are computed but never stored; keys past Tk are masked (needs_mask); the
// producer and the computing threads walk the same tiles in the same order; the kernel needs sm_90a (wgmma does not
// exist on sm_90 without the `a`).

import type { KernelSource } from "../../kernel.ts";
import { describeShape, forwardBytes, forwardParams } from "./forward-mma.ts";
import {
  listBytes, listConstant, maskShape, ownedDocuments, renderMask, tiles, walkStatements,
} from "./mask.ts";
import { wgmmaPrimitive, WGMMA_RS, WGMMA_SS } from "./primitives.ts";
import {
  checkWarpgroups, computeGroups, describeWarpgroups, loadingThreads, mbarrierBytes, mbarrierSetup, PRODUCER_PRIMITIVES,
  producerConstants, producerLoaders, type MBarrierArray, type ProducerPlan,
} from "./producer.ts";
import { makeKernel } from "./source.ts";
import { badConfig, checkShared, forwardFlops, LOG2E, type AttentionConfig, type AttentionSpec } from "./spec.ts";
import { renderTileHelpers, SW128_ALIGN, tileBytes, tileStepOk, WGMMA_OPERANDS } from "./tile.ts";

/** Buffers of K and V each (double-buffered). */
const STAGES = 2;

/**
 * The producer's plan (producer.ts): copy loops unrolled, 56 registers (two computing warpgroups get 224; with a block
 * table the producer spills about 40 bytes of addresses).
 */
const PRODUCER: ProducerPlan = { registers: 56, rolled: false };

/** The producer kernel's mbarriers: Q copied; per stage, K and V copied ("full") and read ("empty"). */
const MBARRIERS: readonly MBarrierArray[] = [
  { name: "q_full", stages: 1, arrivals: "PRODUCER" }, { name: "k_full", stages: STAGES, arrivals: "PRODUCER" },
  { name: "v_full", stages: STAGES, arrivals: "PRODUCER" }, { name: "k_empty", stages: STAGES, arrivals: "COMPUTE" },
  { name: "v_empty", stages: STAGES, arrivals: "COMPUTE" },
];

function layout(s: AttentionSpec, c: AttentionConfig) {
  const kOffset = tileBytes(c.Br, s.D);
  const vOffset = kOffset + STAGES * tileBytes(c.Bc, s.D);
  const listOffset = vOffset + STAGES * tileBytes(c.Bc, s.D);
  const barOffset = listOffset + listBytes(s);
  return { kOffset, vOffset, listOffset, barOffset, bytes: barOffset + (c.producer ? mbarrierBytes(MBARRIERS) : 0) };
}

/** f32 accumulators (S and O) plus packed P registers a thread may hold. */
const MAX_REGISTERS = 176;

/** Throws 5306/5307 unless the config fits this kernel: 64 query rows per warpgroup, wgmma widths, registers. */
export function checkForwardWgmma(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = `${s.dtype} attention forward (wgmma)`;
  checkWarpgroups(kernel, c);
  const groups = computeGroups(c);
  if (c.Br !== 64 * groups) badConfig(kernel, c, "Br must be 64 query rows per computing warpgroup");
  if (!(WGMMA_SS as readonly number[]).includes(c.Bc)) {
    badConfig(kernel, c, `Bc must be one of ${WGMMA_SS.join(", ")} (the width of S = Q K^T on wgmma)`);
  }
  if (!(WGMMA_RS as readonly number[]).includes(s.D)) badConfig(kernel, c, `head dim must be one of ${WGMMA_RS.join(", ")}`);
  if (c.Bc / 2 + s.D / 2 + c.Bc / 4 > MAX_REGISTERS) {
    badConfig(kernel, c, `each thread would hold ${c.Bc / 2 + s.D / 2 + c.Bc / 4} registers of S, O and P ` +
      `(at most ${MAX_REGISTERS})`);
  }
  const loaders = loadingThreads(c);
  if (!tileStepOk(s.D, loaders, c.Bc) || !tileStepOk(s.D, loaders, c.Br) || !tileStepOk(s.D, groups * 128, c.Br)) {
    badConfig(kernel, c, "the 16-byte copies of the loading threads must cover Br and Bc rows");
  }
  checkShared(kernel, c, SW128_ALIGN + layout(s, c).bytes);
}

/** Device functions: the masked-score test, the online softmax over one thread's part of S, the two products. */
function helpers(s: AttentionSpec, c: AttentionConfig): string {
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

// Issues S = Q K^T for the warpgroup's 64 query rows and one tile of K, without waiting.
__device__ __forceinline__ void issue_scores(float (&sc)[BC / 2], const half_t* sQ, const half_t* tK,
                                             int wg) {
  zero(sc);
  fence_operands(sc);
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    ${wgmmaPrimitive("ss", c.Bc)}<0, 0>(sc, k_major<BR>(sQ, 64 * wg, kk), k_major<BC>(tK, 0, kk));
  }
  wgmma_commit();
}

// Issues O += P V over one tile of V (the warpgroup's 64 rows, every column), without waiting.
__device__ __forceinline__ void issue_pv(float (&o)[D / 2], const unsigned (&pk)[BC / 16][4], const half_t* tV) {
#pragma unroll
  for (int t = 0; t < BC / 16; ++t) ${wgmmaPrimitive("rs", s.D)}<1>(o, pk[t], n_major<BC>(tV, 0, t));
  wgmma_commit();
}

// Once S of key tile k0 has landed: masks it where needed, folds it into the softmax state, waits for the O += P V in
// flight, rescales O where a row raised its max, and packs this tile's P as the A fragments of the next O += P V
// (k-step t covers keys 16t..16t+15).
__device__ __forceinline__ void finish_tile(float (&sc)[BC / 2], float (&o)[D / 2], float (&m)[2], float (&l)[2],
                                            unsigned (&pk)[BC / 16][4], bool masked, int i0, int k0,
                                            int lane${docs.params("[2]")}) {
  fence_operands(sc);
  if (masked) mask_tile(sc, i0, k0, lane${docs.args});
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
#pragma unroll
  for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      pk[nt / 2][half + 2 * (nt % 2)] = pack_half(sc[4 * nt + 2 * half], sc[4 * nt + 2 * half + 1]);
    }
  }
}`;
}

/** Statements every variant starts with: coordinates, shared-memory tiles, head offsets. */
const COORDINATES = `  const int q0 = (NQ - 1 - static_cast<int>(blockIdx.x)) * BR;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int wg = __shfl_sync(0xffffffffu, warp / 4, 0);  // broadcast: the compiler knows it is warp-uniform
  const int row0 = 64 * wg + 16 * (warp % 4) + (lane >> 2);  // a computing thread's rows: row0 and row0 + 8
  unsigned char* smem = shared_base_1024();
  half_t* sQ = reinterpret_cast<half_t*>(smem);
  half_t* sK = reinterpret_cast<half_t*>(smem + K_OFFSET);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + h / GROUP) * D;`;

/** Declarations and initial values of a computing thread's O, softmax state, P and document bounds. */
function state(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "forward");
  const loadDocs = docs.load("[half]", "i", "TQ").map((line) => `    ${line}\n`).join("");
  return `  float o[D / 2], m[2], l[2];
  unsigned pk[BC / 16][4];
${docs.declare("[2]") === "" ? "" : `  ${docs.declare("[2]")}\n`}  zero(o);
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    m[half] = -INFINITY;
    l[half] = 0.0f;
${s.documents ? `    const int i = q0 + row0 + 8 * half;\n${loadDocs}` : ""}  }`;
}

/** The call finishing the tile at walk position f (key tile n). */
function finish(s: AttentionSpec): string {
  return `finish_tile(sc, o, m, l, pk, needs_mask(w, f), q0 + row0, n * BC, lane${ownedDocuments(s, "forward").args});`;
}

/**
 * Statements of the epilogue after the last O += P V: lse, then O / l staged through sQ (free once every computing
 * thread passed \`sync\`) and stored.
 */
function epilogue(sync: string): string {
  return `  ${sync};  // every product reading sQ has landed
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
          pack_half(o[4 * dt + 2 * half] * inv, o[4 * dt + 2 * half + 1] * inv);
    }
  }
  ${sync};
  store_rows<BR>(out + q_head, sQ, q0, TQ, HQ * D);`;
}

/** Every thread loads and computes; K[next] and V[this] are copied during each iteration, between block barriers. */
function sharedBody(s: AttentionSpec): string {
  return `${COORDINATES}

  load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
${walkStatements(s, "q0")}
  int f = w.hi;
  if (f >= w.lo) load_rows<BC>(sK, k + kv_head, tile_at(w, f) * BC, TK, HK * D);
  cp_async_commit();
${state(s)}

  int stage = 0;
  for (; f >= w.lo; --f) {
    const int n = tile_at(w, f);
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();
    if (f > w.lo) load_rows<BC>(sK + (stage ^ 1) * BC * D, k + kv_head, tile_at(w, f - 1) * BC, TK, HK * D);
    load_rows<BC>(sV + stage * BC * D, v + kv_head, n * BC, TK, HK * D);
    cp_async_commit();
    float sc[BC / 2];
    issue_scores(sc, sQ, sK + stage * BC * D, wg);
    if (f < w.hi) {  // the previous tile's O += P V
      issue_pv(o, pk, sV + (stage ^ 1) * BC * D);
      wgmma_wait<1>();
    } else {
      wgmma_wait<0>();
    }
    ${finish(s)}
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
${epilogue("__syncthreads()")}`;
}

/**
 * Warp-specialized (producer.ts): the producer copies Q once and K, V tile by tile into STAGES buffers, each copy
 * announced on a "full" mbarrier when it lands; the computing warpgroups free a buffer on its "empty" mbarrier once
 * the product reading it has landed.
 */
function producerBody(s: AttentionSpec): string {
  return `${COORDINATES}
${mbarrierSetup(MBARRIERS)}
${walkStatements(s, "q0")}

  if (wg == COMPUTE_GROUPS) {
    setmaxnreg_dec<PRODUCER_REGISTERS>();
    load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
    cp_async_arrive(q_full);
    for (int f = w.hi, t = 0; f >= w.lo; --f, ++t) {
      const int st = t % STAGES, row = tile_at(w, f) * BC;
      const unsigned free_phase = ((t / STAGES) & 1) ^ 1;
      mbar_wait(k_empty + st, free_phase);
      load_rows<BC>(sK + st * BC * D, k + kv_head, row, TK, HK * D);
      cp_async_arrive(k_full + st);
      mbar_wait(v_empty + st, free_phase);
      load_rows<BC>(sV + st * BC * D, v + kv_head, row, TK, HK * D);
      cp_async_arrive(v_full + st);
    }
    cp_async_commit();
    cp_async_wait<0>();
    return;
  }

  setmaxnreg_inc<COMPUTE_REGISTERS>();
${state(s)}
  mbar_wait(q_full, 0);
  int t = 0;
  for (int f = w.hi; f >= w.lo; --f, ++t) {
    const int n = tile_at(w, f), st = t % STAGES, prev = (t + STAGES - 1) % STAGES;
    mbar_wait(k_full + st, (t / STAGES) & 1);
    fence_proxy_async();
    float sc[BC / 2];
    issue_scores(sc, sQ, sK + st * BC * D, wg);
    if (t > 0) {  // the previous tile's O += P V
      mbar_wait(v_full + prev, ((t - 1) / STAGES) & 1);
      fence_proxy_async();
      issue_pv(o, pk, sV + prev * BC * D);
      wgmma_wait<1>();
    } else {
      wgmma_wait<0>();
    }
    mbar_arrive(k_empty + st);
    ${finish(s)}
    if (t > 0) mbar_arrive(v_empty + prev);
  }
  if (t > 0) {
    const int prev = (t - 1) % STAGES;
    mbar_wait(v_full + prev, ((t - 1) / STAGES) & 1);
    fence_proxy_async();
    wgmma_fence();
    issue_pv(o, pk, sV + prev * BC * D);
    wgmma_wait<0>();
    fence_operands(o);
  }
${epilogue("named_sync(1, COMPUTE_THREADS)")}`;
}

/** The 16-bit forward kernel on wgmma for a checked spec and config. */
export function renderForwardWgmma(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkForwardWgmma(s, c);
  const threads = c.warps * 32;
  const computeThreads = computeGroups(c) * 128;
  const at = layout(s, c);
  const producer = c.producer ? producerConstants(computeGroups(c), PRODUCER, at.barOffset, STAGES) : [];
  return makeKernel({
    prefix: "attn_fwd_wgmma",
    dtype: s.dtype,
    summary: `attention forward, ${s.dtype} wgmma (sm_90a): ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ` +
      describeWarpgroups(c),
    params: forwardParams(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc], ["int", "NQ", tiles(s.Tq, c.Br)],
      ["int", "K_OFFSET", at.kOffset], ["int", "V_OFFSET", at.vOffset], ...listConstant(s, at.listOffset),
      ...producer, ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LN2", Math.LN2],
    ],
    primitives: ["shared_base_1024", "cp_async16", "cp_async_commit", "cp_async_wait", "pack_half", "fast_exp2",
      "shfl_xor", "any_sync", "fence_proxy_async", "wgmma_desc", "wgmma_fence", "wgmma_commit", "wgmma_wait",
      "fence_operands", wgmmaPrimitive("ss", c.Bc), wgmmaPrimitive("rs", s.D),
      ...(c.producer ? PRODUCER_PRIMITIVES : [])],
    helpers: [renderTileHelpers(s.D, computeThreads, "sw128", producerLoaders(c, PRODUCER)),
      renderMask(maskShape(s, c, "forward")), WGMMA_OPERANDS, helpers(s, c)].join("\n\n"),
    body: c.producer ? producerBody(s) : sharedBody(s),
    grid: [tiles(s.Tq, c.Br), s.Hq, s.B],
    threads,
    minBlocks: 1,
    sharedBytes: SW128_ALIGN + at.bytes,
    flops: forwardFlops(s),
    bytes: forwardBytes(s),
  });
}
