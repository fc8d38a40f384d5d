// C++ text every generated GEMM shares, whatever its mainloop: the problem constants, the block raster, the epilogue
// (store C, or add C_in, or add the partial sum an earlier split-K slice left in C) and the block's `run` driver.
// A mainloop (mma.ts, simt.ts) supplies `struct Accumulators`, `mainloop(...)` and `store_tile(...)`, which calls
// `emit<W>` for W consecutive outputs of one row.
// Invariants: C_in and C are never `__restrict__` (they may alias); C_in and split partials are read with __ldcg
// (L2, never a stale L1 line); split s of a tile waits for flag == s, and the last split resets the flag to 0, so
// the flags buffer is zero between launches. Split s waits only for blocks of a lower linear index (splits run along
// grid.y), which the GPU dispatches first, so the wait cannot deadlock.

import { HALF_TYPES } from "../half.ts";
import type { GemmConfig, GemmGeometry } from "./config.ts";
import type { GemmDtype, GemmSpec } from "./spec.ts";

/** The C type of a GEMM operand's elements. */
export const gemmCType = (dtype: GemmDtype): string => (dtype === "f32" ? "float" : HALF_TYPES[dtype].c);

/** Problem, tile and split constants (the mainloop adds its own). */
export function commonConstants(spec: GemmSpec, config: GemmConfig, g: GemmGeometry): string {
  const aStride = spec.broadcastA ? 0 : spec.m * spec.k;
  const bStride = spec.broadcastB ? 0 : spec.k * spec.n;
  return `typedef ${gemmCType(spec.inputDtype)} in_t;
typedef ${gemmCType(spec.outputDtype)} out_t;
constexpr int M = ${spec.m}, N = ${spec.n}, K = ${spec.k};
constexpr long long A_BATCH_STRIDE = ${aStride}LL, B_BATCH_STRIDE = ${bStride}LL, C_BATCH_STRIDE = ${spec.m * spec.n}LL;
constexpr bool ACCUMULATE = ${spec.accumulate};
constexpr int BM = ${config.bm}, BN = ${config.bn}, BK = ${config.bk}, THREADS = ${g.threads};
constexpr int TILES_M = (M + BM - 1) / BM, TILES_N = (N + BN - 1) / BN, GROUP_M = ${config.groupM};
constexpr int K_TILES = (K + BK - 1) / BK, SPLITS = ${config.splitK};
constexpr int K_TILES_PER_SPLIT = (K_TILES + SPLITS - 1) / SPLITS;
constexpr bool M_TAIL = M % BM != 0, N_TAIL = N % BN != 0;
`;
}

/** Block raster: tile coordinates of a linear block index, GROUP_M tile rows swept together. */
export const RASTER = `// Tile (tm, tn) of linear block index t: GROUP_M tile rows are swept column by column, so the B tiles a group
// reads stay in L2 while its A tiles are reused along the row.
__device__ __forceinline__ void tile_coords(int t, int& tm, int& tn) {
  const int per_group = GROUP_M * TILES_N;
  const int first = (t / per_group) * GROUP_M;
  const int rows = min(TILES_M - first, GROUP_M);
  const int r = t % per_group;
  tm = first + r % rows;
  tn = r / rows;
}
`;

/** Scalar and W-wide loads (through L2) and stores of C for the output dtype. */
function accessors(spec: GemmSpec, width: 2 | 4): string {
  if (spec.outputDtype !== "f32") {
    const h = HALF_TYPES[spec.outputDtype];
    return `__device__ __forceinline__ float load1(const out_t* p) { return ${h.toFloat}(__ldcg(p)); }
__device__ __forceinline__ void store1(out_t* p, float v) { *p = ${h.fromFloat}(v); }
__device__ __forceinline__ void add_loaded(const out_t* p, float (&v)[2]) {
  const float2 t = ${h.pairToFloat2}(__ldcg(reinterpret_cast<const ${h.pair}*>(p)));
  v[0] += t.x;
  v[1] += t.y;
}
__device__ __forceinline__ void store_vec(out_t* p, const float (&v)[2]) {
  *reinterpret_cast<${h.pair}*>(p) = ${h.floatsToPair}(v[0], v[1]);
}
`;
  }
  const vec = width === 2 ? "float2" : "float4";
  const lanes = width === 2 ? ["x", "y"] : ["x", "y", "z", "w"];
  return `__device__ __forceinline__ float load1(const out_t* p) { return __ldcg(p); }
__device__ __forceinline__ void store1(out_t* p, float v) { *p = v; }
__device__ __forceinline__ void add_loaded(const out_t* p, float (&v)[${width}]) {
  const ${vec} t = __ldcg(reinterpret_cast<const ${vec}*>(p));
${lanes.map((l, i) => `  v[${i}] += t.${l};`).join("\n")}
}
__device__ __forceinline__ void store_vec(out_t* p, const float (&v)[${width}]) {
  *reinterpret_cast<${vec}*>(p) = make_${vec}(${lanes.map((_, i) => `v[${i}]`).join(", ")});
}
`;
}

/** The epilogue: emit<W>, and the split-K ordering around it. */
export function epilogue(spec: GemmSpec, width: 2 | 4): string {
  return `${accessors(spec, width)}
// Writes W consecutive outputs of \`row\` from column \`col\` (W-aligned), adding src's values when src is not null.
template <int W>
__device__ __forceinline__ void emit(out_t* c, const out_t* src, int row, int col, float (&v)[W]) {
  if (M_TAIL && row >= M) return;
  const long long at = static_cast<long long>(row) * N + col;
  if constexpr (N % W == 0) {
    if (N_TAIL && col >= N) return;
    if (src != nullptr) add_loaded(src + at, v);
    store_vec(c + at, v);
  } else {
#pragma unroll
    for (int e = 0; e < W; ++e) {
      if (col + e < N) store1(c + at + e, src != nullptr ? v[e] + load1(src + at + e) : v[e]);
    }
  }
}

// What the block adds to its products: C_in (accumulate), nothing, or for split s > 0 the sum splits 0..s-1 left
// in C, once split s - 1 has released the tile's flag.
__device__ __forceinline__ const out_t* epilogue_source(const out_t* c_in, const out_t* c, const int* flag, int split) {
  if constexpr (SPLITS > 1) {
    if (split > 0) {
      if (threadIdx.x == 0) flag_wait(flag, split);
      __syncthreads();
      return c;
    }
  }
  return ACCUMULATE ? c_in : nullptr;
}

// Hands the tile to the next split (the last split resets the flag for the next launch).
__device__ __forceinline__ void epilogue_done(int* flag, int split) {
  if constexpr (SPLITS > 1) {
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) flag_release(flag, split + 1 == SPLITS ? 0 : split + 1);
  }
}
`;
}

/** The block driver: locate the tile, run the mainloop over this split's K tiles, then the epilogue. */
export const RUN = `__device__ __forceinline__ void run(const in_t* a, const in_t* b, const out_t* c_in, out_t* c, int* flags) {
  int tm, tn;
  tile_coords(blockIdx.x, tm, tn);
  const int split = blockIdx.y;
  const long long batch = blockIdx.z;
  a += batch * A_BATCH_STRIDE;
  b += batch * B_BATCH_STRIDE;
  c += batch * C_BATCH_STRIDE;
  if constexpr (ACCUMULATE) c_in += batch * C_BATCH_STRIDE;
  int* flag = nullptr;
  if constexpr (SPLITS > 1) flag = flags + batch * (TILES_M * TILES_N) + blockIdx.x;
  const int kt0 = split * K_TILES_PER_SPLIT;
  const int count = min(K_TILES, kt0 + K_TILES_PER_SPLIT) - kt0;
  Accumulators acc = {};
  mainloop(a, b, tm * BM, tn * BN, kt0, count, acc);
  const out_t* src = epilogue_source(c_in, c, flag, split);
  store_tile(c, src, tm * BM, tn * BN, acc);
  epilogue_done(flag, split);
}
`;
