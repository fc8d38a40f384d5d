// FlashAttention-2-style forward kernel for bf16 / f16 on the tensor cores (mma.sync m16n8k16, ldmatrix, cp.async).
// One block owns Br query rows of one (batch, query head) and walks the key tiles it may see from the last to the
// first (the masked diagonal tiles come first); each warp owns Br/warps rows (one or two m16 tiles) and keeps its
// scores S, the running max m, the running sum l and the output O in registers (f32); Q stays in shared memory.
// Pipeline per key tile n: wait K[n] -> start V[n] -> S = Q K^T -> barrier -> start K[next] -> mask + online softmax
// (exp2 of scale*log2e-scaled scores) -> wait V[n] -> O += P V. Epilogue: O / l staged through shared memory and
// stored with 16-byte writes; lse = ln(sum exp(scale * s)) per row, +inf for a row that sees no key.
// Invariants: checkForwardMma holds (warp tiles fit the registers, shared memory fits); the grid is
// (ceil(Tq/Br), Hq, B) with blockIdx.x counted from the last query tile, so within each head the heaviest causal tiles
// start first while the blocks running together share that head's K and V in L2.

import type { KernelParam, KernelSource } from "../../kernel.ts";
import {
  listBytes, listConstant, maskParams, maskShape, ownedDocuments, renderMask, tiles, walkStatements,
} from "./mask.ts";
import { makeKernel } from "./source.ts";
import {
  badConfig, checkShared, documentBytes, elementBytes, forwardFlops, keyElements, LOG2E, queryElements, rowElements,
  type AttentionConfig, type AttentionSpec,
} from "./spec.ts";
import { renderTileHelpers, tileBytes, tileStep, tileStepOk } from "./tile.ts";

/** f32 accumulators one thread may hold (S and O tiles) before the register file overflows. */
const MAX_ACCUMULATORS = 192;

function sharedBytes(s: AttentionSpec, c: AttentionConfig): number {
  return tileBytes(c.Br, s.D) + 2 * tileBytes(c.Bc, s.D) + listBytes(s);
}

/** Throws 5306/5307 unless the config fits this kernel's warp layout, registers and shared memory. */
export function checkForwardMma(s: AttentionSpec, c: AttentionConfig): void {
  const kernel = `${s.dtype} attention forward`;
  if (![1, 2, 4, 8].includes(c.warps)) badConfig(kernel, c, "warps must be 1, 2, 4 or 8");
  const mTiles = c.Br / (16 * c.warps);
  if (mTiles !== 1 && mTiles !== 2) badConfig(kernel, c, "Br must be 16 or 32 rows per warp");
  if (c.Bc % 16 !== 0 || c.Bc < 16 || c.Bc > 128) badConfig(kernel, c, "Bc must be a multiple of 16 in [16, 128]");
  if (!tileStepOk(s.D, c.warps * 32, c.Br) || !tileStepOk(s.D, c.warps * 32, c.Bc)) {
    badConfig(kernel, c, `Br and Bc must be multiples of ${tileStep(s.D, c.warps * 32)}, the rows one pass of the ` +
      "block's 16-byte copies covers (and that a multiple of 8: at least D/32 warps)");
  }
  if (mTiles * (s.D / 2 + c.Bc / 2) > MAX_ACCUMULATORS) {
    badConfig(kernel, c, `each thread would hold ${mTiles * (s.D / 2 + c.Bc / 2)} f32 accumulators (at most ` +
      `${MAX_ACCUMULATORS} fit beside the fragments)`);
  }
  checkShared(kernel, c, sharedBytes(s, c));
}

const HELPERS = `// S = Q K^T for this warp's rows and the whole key tile.
__device__ __forceinline__ void qk(const half_t* sQ, const half_t* sK, float (&s)[MT][NT][4], int warp,
                                   int lane) {
  const int qa = swz_pair(warp * MT * 16 + (lane & 15), lane >> 4);
  const int kb = swz_pair((lane & 7) + ((lane >> 4) << 3), (lane >> 3) & 1);
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    unsigned a[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) ldsm_x4(a[mt], sQ + (qa ^ (16 * kk)) + mt * 16 * D);
#pragma unroll
    for (int np = 0; np < NT / 2; ++np) {
      unsigned b[4];
      ldsm_x4(b, sK + (kb ^ (16 * kk)) + np * 16 * D);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma_16816(s[mt][2 * np], a[mt], b[0], b[1]);
        mma_16816(s[mt][2 * np + 1], a[mt], b[2], b[3]);
      }
    }
  }
}

// Online softmax: folds the tile's scores into m (log2 domain) and l, rescales O (skipped when no row of the warp
// raised its max, the common case once the max has settled), and packs P = 2^(s*c - m) as 16-bit pairs:
// p[mt][nt][half] holds row half*8 + lane/4 of n-tile nt (the halves of an mma A fragment).
__device__ __forceinline__ void softmax_update(const float (&s)[MT][NT][4], float (&m)[MT][2], float (&l)[MT][2],
                                               float (&o)[MT][D / 8][4], unsigned (&p)[MT][NT][2]) {
  float corr[MT][2];
  bool raised = false;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float mx = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) mx = fmaxf(mx, fmaxf(s[mt][nt][2 * half], s[mt][nt][2 * half + 1]));
      mx = fmaxf(mx, shfl_xor(mx, 1));
      mx = fmaxf(mx, shfl_xor(mx, 2));
      const float m_new = fmaxf(m[mt][half], mx * SCALE_LOG2);
      const float base = m_new == -INFINITY ? 0.0f : m_new;
      corr[mt][half] = fast_exp2(m[mt][half] - base);
      raised = raised || m_new != m[mt][half];
      m[mt][half] = m_new;
      float sum = 0.0f;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const float p0 = fast_exp2(fmaf(s[mt][nt][2 * half], SCALE_LOG2, -base));
        const float p1 = fast_exp2(fmaf(s[mt][nt][2 * half + 1], SCALE_LOG2, -base));
        sum += p0 + p1;
        p[mt][nt][half] = pack_half(p0, p1);
      }
      l[mt][half] = l[mt][half] * corr[mt][half] + sum;
    }
  }
  if (any_sync(raised)) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
        o[mt][dt][0] *= corr[mt][0];
        o[mt][dt][1] *= corr[mt][0];
        o[mt][dt][2] *= corr[mt][1];
        o[mt][dt][3] *= corr[mt][1];
      }
    }
  }
}

// O += P V with P's packed 16-bit pairs as the A fragments.
__device__ __forceinline__ void pv(const unsigned (&p)[MT][NT][2], const half_t* sV, float (&o)[MT][D / 8][4],
                                   int lane) {
  const int vb = swz_pair((lane & 7) + (((lane >> 3) & 1) << 3), lane >> 4);
#pragma unroll
  for (int kk = 0; kk < NT / 2; ++kk) {
    unsigned a[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      a[mt][0] = p[mt][2 * kk][0];
      a[mt][1] = p[mt][2 * kk][1];
      a[mt][2] = p[mt][2 * kk + 1][0];
      a[mt][3] = p[mt][2 * kk + 1][1];
    }
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      unsigned b[4];
      ldsm_x4_t(b, sV + (vb ^ (16 * dp)) + kk * 16 * D);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma_16816(o[mt][2 * dp], a[mt], b[0], b[1]);
        mma_16816(o[mt][2 * dp + 1], a[mt], b[2], b[3]);
      }
    }
  }
}`;

function maskHelper(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "forward");
  return `// Sets the scores of pairs that are not visible to -inf (tile at query row q0, key row k0). A row's document is
// [doc_start, doc_end); causal rows need no end (j <= i < end).
__device__ __forceinline__ void mask_tile(float (&s)[MT][NT][4], int q0, int k0, int warp, int lane${docs.params("[MT][2]")}) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int i = q0 + (warp * MT + mt) * 16 + (lane >> 2) + (e >> 1) * 8;
        const int j = k0 + nt * 8 + (lane & 3) * 2 + (e & 1);
        if (!(visible(i, j)${docs.inside("[mt][e >> 1]")})) s[mt][nt][e] = -INFINITY;
      }
    }
  }
}`;
}

function body(s: AttentionSpec): string {
  const docs = ownedDocuments(s, "forward");
  return `  const int q0 = (NQ - 1 - static_cast<int>(blockIdx.x)) * BR;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  unsigned char* smem = shared_base();
  half_t* sQ = reinterpret_cast<half_t*>(smem);
  half_t* sK = reinterpret_cast<half_t*>(smem + K_OFFSET);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + h / GROUP) * D;

  load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
${walkStatements(s, "q0")}
  int f = w.hi;
  if (f >= w.lo) load_rows<BC>(sK, k + kv_head, tile_at(w, f) * BC, TK, HK * D);
  cp_async_commit();

  float o[MT][D / 8][4], m[MT][2], l[MT][2];
${docs.declare("[MT][2]") === "" ? "" : `  ${docs.declare("[MT][2]")}\n`}#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      m[mt][half] = -INFINITY;
      l[mt][half] = 0.0f;
${s.documents ? `      const int i = q0 + (warp * MT + mt) * 16 + (lane >> 2) + half * 8;
${docs.load("[mt][half]", "i", "TQ").map((line) => `      ${line}\n`).join("")}` : ""}    }
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) o[mt][dt][0] = o[mt][dt][1] = o[mt][dt][2] = o[mt][dt][3] = 0.0f;
  }

  for (; f >= w.lo; --f) {
    const int n = tile_at(w, f);
    cp_async_wait<0>();
    __syncthreads();
    load_rows<BC>(sV, v + kv_head, n * BC, TK, HK * D);
    cp_async_commit();
    float sc[MT][NT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) sc[mt][nt][0] = sc[mt][nt][1] = sc[mt][nt][2] = sc[mt][nt][3] = 0.0f;
    }
    qk(sQ, sK, sc, warp, lane);
    __syncthreads();
    if (f > w.lo) load_rows<BC>(sK, k + kv_head, tile_at(w, f - 1) * BC, TK, HK * D);
    cp_async_commit();
    if (needs_mask(w, f)) mask_tile(sc, q0, n * BC, warp, lane${docs.args});
    unsigned pk[MT][NT][2];
    softmax_update(sc, m, l, o, pk);
    cp_async_wait<1>();
    __syncthreads();
    pv(pk, sV, o, lane);
  }

  cp_async_wait<0>();
  __syncthreads();
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float sum = l[mt][half];
      sum += shfl_xor(sum, 1);
      sum += shfl_xor(sum, 2);
      const int row = (warp * MT + mt) * 16 + (lane >> 2) + half * 8;
      if ((lane & 3) == 0 && q0 + row < TQ) {
        lse[(static_cast<long long>(b) * HQ + h) * TQ + q0 + row] =
            sum > 0.0f ? (m[mt][half] + log2f(sum)) * LN2 : INFINITY;
      }
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
        *reinterpret_cast<unsigned*>(sQ + swz(row, dt) + (lane & 3) * 2) =
            pack_half(o[mt][dt][2 * half] * inv, o[mt][dt][2 * half + 1] * inv);
      }
    }
  }
  __syncthreads();
  store_rows<BR>(out + q_head, sQ, q0, TQ, HQ * D);`;
}

/** The forward kernels' parameters: q, k, v, the masks, out and lse. */
export function forwardParams(s: AttentionSpec): KernelParam[] {
  return [
    { name: "q", dtype: s.dtype, access: "read" },
    { name: "k", dtype: s.dtype, access: "read" },
    { name: "v", dtype: s.dtype, access: "read" },
    ...maskParams(s),
    { name: "out", dtype: s.dtype, access: "write" },
    { name: "lse", dtype: "f32", access: "write" },
  ];
}

/** The 16-bit forward kernel for a checked spec and config. */
export function renderForwardMma(s: AttentionSpec, c: AttentionConfig): KernelSource {
  checkForwardMma(s, c);
  const threads = c.warps * 32;
  const mTiles = c.Br / (16 * c.warps);
  const kOffset = tileBytes(c.Br, s.D);
  const vOffset = kOffset + tileBytes(c.Bc, s.D);
  return makeKernel({
    prefix: "attn_fwd",
    dtype: s.dtype,
    summary: `attention forward, ${s.dtype} tensor cores: ${describeShape(s)}; tiles Br=${c.Br} Bc=${c.Bc}, ${c.warps} warps`,
    params: forwardParams(s),
    constants: [
      ["int", "TQ", s.Tq], ["int", "TK", s.Tk], ["int", "HQ", s.Hq], ["int", "HK", s.Hk], ["int", "D", s.D],
      ["int", "GROUP", s.Hq / s.Hk], ["int", "BR", c.Br], ["int", "BC", c.Bc], ["int", "MT", mTiles],
      ["int", "NT", c.Bc / 8], ["int", "NQ", tiles(s.Tq, c.Br)], ["int", "K_OFFSET", kOffset],
      ["int", "V_OFFSET", vOffset], ...listConstant(s, vOffset + tileBytes(c.Bc, s.D)),
      ["float", "SCALE_LOG2", s.scale * LOG2E], ["float", "LN2", Math.LN2],
    ],
    primitives: ["shared_base", "cp_async16", "cp_async_commit", "cp_async_wait", "ldsm_x4", "ldsm_x4_t", "mma_16816",
      "pack_half", "fast_exp2", "shfl_xor", "any_sync"],
    helpers: [renderTileHelpers(s.D, threads), renderMask(maskShape(s, c, "forward")), maskHelper(s), HELPERS].join("\n\n"),
    body: body(s),
    grid: [tiles(s.Tq, c.Br), s.Hq, s.B],
    threads,
    minBlocks: threads <= 128 ? 2 : 1,
    sharedBytes: sharedBytes(s, c),
    flops: forwardFlops(s),
    bytes: forwardBytes(s),
  });
}

/** Bytes the forward pass must move: q, k, v (and document ranges) read once, out and lse written once. */
export function forwardBytes(s: AttentionSpec): number {
  const e = elementBytes(s);
  return (2 * queryElements(s) + 2 * keyElements(s)) * e + rowElements(s) * 4 + documentBytes(s);
}

/** Sizes and masking of a spec in one phrase, for kernel summaries. */
export function describeShape(s: AttentionSpec): string {
  const mask = [s.causal ? "causal" : "", s.window > 0 ? `window ${s.window}` : "", s.documents ? "documents" : "", s.blocks ? "block table" : ""]
    .filter((x) => x !== "").join(", ");
  return `B=${s.B} Tq=${s.Tq} Tk=${s.Tk} Hq=${s.Hq} Hk=${s.Hk} D=${s.D}${mask === "" ? "" : `, ${mask}`}`;
}
