// embedding_grad: dweight[v, :] = sum of the dy rows whose id is v (ir/interpret/embedding.ts), over [V, C].
// Deterministic and sort-free, without atomics or a zeroed output: each block owns R consecutive vocabulary rows and
// writes every one of them exactly once. It scans all N ids in order, appending the positions whose id falls in its
// rows to a shared list in position order (a ballot and a block prefix count keep the order); then each warp sums, for
// each of its rows, the listed dy rows of that row in position order (float accumulation, double for f64) and stores
// the sum (zeros for a row no id names). Results are therefore identical from run to run.
// When more than CAP positions of one block's rows appear (one id repeated thousands of times, a pad token), the list
// is flushed when full: the first flush stores, later ones add to the stored rows (for a bf16 output that rounds once
// per flush instead of once).
// An id outside [0, V) raises 6110 (device-error.ts), reported by block 0, and contributes to no row.
// Cost: every block reads all N ids (they stay in L2); dy is read once; the output is written once.

import { checkInt32, elementBytes, numel, writtenResult, type Anchor } from "./anchor.ts";
import { makeKernel, mathType, vectorWidth } from "./source.ts";

const THREADS = 256;

/** Vocabulary rows per block: aim at two blocks per SM of an H200 (132 SMs), 8 to 128 rows, a multiple of 8. */
export function rowsPerBlock(v: number): number {
  let r = 8;
  while (r < 128 && Math.ceil(v / (r * 2)) >= 264) r *= 2;
  return r;
}

const FLUSH = `// Sums the listed dy rows into this block's vocabulary rows [v0, v0 + R), one row per warp at a time, CHUNK
// columns at a time. The first flush stores every row (zeros where nothing is listed); later ones add to the rows
// they touch. Entries are visited in list order, which is position order.
template <typename G, typename D>
__device__ __forceinline__ void flush(const int* list_pos, const unsigned char* list_row, int count, long long v0,
                                      bool first, const D* __restrict__ dy, G* __restrict__ out) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int r = warp; r < R && v0 + r < V; r += WARPS) {
    G* out_row = out + (v0 + r) * C;
    for (long long c0 = 0; c0 < C; c0 += CHUNK) {
      M acc[PER_LANE / VEC][VEC];
#pragma unroll
      for (int q = 0; q < PER_LANE / VEC; ++q) {
        const long long c = c0 + (q * 32 + lane) * VEC;
#pragma unroll
        for (int j = 0; j < VEC; ++j) acc[q][j] = M(0);
        if (!first && c < C) load_math<VEC>(acc[q], out_row + c);
      }
      bool touched = false;
      for (int e0 = 0; e0 < count; e0 += 32) {
        unsigned hits = __ballot_sync(0xffffffffu, e0 + lane < count && list_row[e0 + lane] == r);
        touched = touched || hits != 0;
        while (hits != 0) {
          const int e = e0 + __ffs(hits) - 1;
          hits &= hits - 1;
          const D* dy_row = dy + static_cast<long long>(list_pos[e]) * C;
#pragma unroll
          for (int q = 0; q < PER_LANE / VEC; ++q) {
            const long long c = c0 + (q * 32 + lane) * VEC;
            if (c < C) {
              M v[VEC];
              load_math<VEC>(v, dy_row + c);
#pragma unroll
              for (int j = 0; j < VEC; ++j) acc[q][j] += v[j];
            }
          }
        }
      }
      if (first || touched) {
#pragma unroll
        for (int q = 0; q < PER_LANE / VEC; ++q) {
          const long long c = c0 + (q * 32 + lane) * VEC;
          if (c < C) store_math<VEC>(out_row + c, acc[q]);
        }
      }
    }
  }
  __syncthreads();
}

// Rank of this thread's hit among the block's hits (in thread order) and the block's hit count.
__device__ __forceinline__ int block_rank(bool hit, int& total) {
  __shared__ int warp_hits[WARPS];
  const unsigned ballot = __ballot_sync(0xffffffffu, hit);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_hits[warp] = __popc(ballot);
  __syncthreads();
  int before = 0;
  total = 0;
#pragma unroll
  for (int w = 0; w < WARPS; ++w) {
    if (w == warp) before = total;
    total += warp_hits[w];
  }
  __syncthreads();
  return before + __popc(ballot & ((1u << lane) - 1u));
}`;

const BODY = `  __shared__ int list_pos[CAP];
  __shared__ unsigned char list_row[CAP];
  const long long v0 = static_cast<long long>(blockIdx.x) * R;
  int count = 0;
  bool first = true;
  for (long long p0 = 0; p0 < N; p0 += THREADS) {
    const long long p = p0 + threadIdx.x;
    const long long id = p < N ? static_cast<long long>(ids[p]) : -1;
    if (p < N && (id < 0 || id >= V) && blockIdx.x == 0) trainc_raise(6110, SITE, p, id, V);
    const bool hit = p < N && id >= v0 && id < v0 + R && id < V;
    int total;
    const int rank = block_rank(hit, total);
    if (count + total > CAP) {
      flush(list_pos, list_row, count, v0, first, dy, dweight);
      first = false;
      count = 0;
    }
    if (hit) {
      list_pos[count + rank] = static_cast<int>(p);
      list_row[count + rank] = static_cast<unsigned char>(id - v0);
    }
    count += total;
    __syncthreads();
  }
  flush(list_pos, list_row, count, v0, first, dy, dweight);`;

/** The embedding_grad kernel. */
export function renderEmbeddingGrad(a: Anchor) {
  const [ids, dy] = a.args;
  const out = writtenResult(a, 0);
  const [v, c] = out.shape as [number, number];
  const n = numel(ids!.shape);
  checkInt32(a, n, "ids");
  const r = rowsPerBlock(v);
  const vec = vectorWidth([c], 16 / Math.max(elementBytes(dy!.dtype), elementBytes(out.dtype)));
  const perLane = Math.min(16, Math.ceil(c / 32 / vec) * vec);  // at most 16 accumulators: 64 registers, 4 blocks/SM
  const cap = Math.min(8192, Math.max(THREADS, Math.ceil(n / THREADS) * THREADS));
  const detail = `using M = ${mathType(out.dtype)};
constexpr long long N = ${n};  // ids
constexpr long long V = ${v};  // vocabulary rows
constexpr long long C = ${c};  // channels
constexpr int THREADS = ${THREADS}, WARPS = THREADS / 32;
constexpr int R = ${r};  // vocabulary rows per block
constexpr int CAP = ${cap};  // list entries before a flush
constexpr int VEC = ${vec};  // elements per vector access
constexpr int PER_LANE = ${perLane};  // columns per lane per chunk
constexpr long long CHUNK = 32LL * PER_LANE;

${FLUSH}`;
  return makeKernel({
    anchor: a, detail, body: BODY, raises: true,
    summary: `dweight [${v}, ${c}] ${out.dtype} = sum of dy rows per id, deterministic, ${r} rows per block`,
    helpers: ["pack"],
    roles: [["ids", ids!], ["dy", dy!], ["dweight", out]],
    threads: THREADS,
    minBlocks: 4,
    grid: [Math.max(1, Math.ceil(v / r)), 1, 1],
    flops: numel(dy!.shape),
  });
}
