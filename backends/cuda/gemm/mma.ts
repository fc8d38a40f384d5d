// The tensor-core mainloop (config kind `mma`): bf16 or f16 A and B, f32 accumulators, mma.sync m16n8k16. Each K tile of A
// and B goes global -> shared by cp.async into one of STAGES buffers (up to STAGES - 1 tiles in flight), then shared
// -> registers by ldmatrix (.trans when the operand's contiguous axis is M or N rather than K), then into the warp's
// WM x WN accumulators. Shared tiles keep the global operand's orientation, rows of TCOLS elements whose 16-byte
// granules are XOR-swizzled by row (bank-conflict-free ldmatrix and cp.async without padding).
// Invariants: tails are zero-filled in shared memory (rows past M/N/K, and K past the end of the last tile), so
// every product over padding adds 0; a global copy is COPY elements wide with COPY dividing the operand's row length,
// so a copy is either wholly inside the matrix or wholly outside it (COPY = 1 falls back to synchronous loads).

import type { MmaConfig } from "./config.ts";
import { layoutA, layoutB, type GemmSpec, type OperandLayout } from "./spec.ts";

/** Widest copy (elements, at most 8 = 16 bytes) that divides the operand's contiguous row length. */
export function mmaCopyWidth(layout: OperandLayout): number {
  return [8, 4, 2].find((w) => layout.cols % w === 0) ?? 1;
}

function tileStruct(name: string, layout: OperandLayout, extent: number, bk: number): string {
  const [trows, tcols] = layout.kMajor ? [extent, bk] : [bk, extent];
  return `struct ${name} {
  static constexpr bool K_MAJOR = ${layout.kMajor};
  static constexpr int ROWS = ${layout.rows}, COLS = ${layout.cols}, TROWS = ${trows}, TCOLS = ${tcols};
  static constexpr int COPY = ${mmaCopyWidth(layout)};
};`;
}

/** Constants of the mma mainloop: warp tiling and the two operand tiles. */
export function mmaConstants(spec: GemmSpec, c: MmaConfig): string {
  return `constexpr int WM = ${c.wm}, WN = ${c.wn}, WARPS_N = ${c.bn / c.wn}, STAGES = ${c.stages};
constexpr int MI = WM / 16, NI = WN / 8;
// Operands as global row-major [ROWS][COLS] matrices; a block's K tile of one is TROWS x TCOLS.
${tileStruct("TileA", layoutA(spec), c.bm, c.bk)}
${tileStruct("TileB", layoutB(spec), c.bn, c.bk)}
constexpr int A_STAGE = TileA::TROWS * TileA::TCOLS, B_STAGE = TileB::TROWS * TileB::TCOLS;
`;
}

/** The mma mainloop's functions: swizzle, tile loads, the stage compute, the pipelined loop and the store walk. */
export const MMA_MAINLOOP = `struct Accumulators {
  float v[MI][NI][4];
};

// Element offset of (r, c) in a shared tile of TCOLS-element rows: 16-byte granules XOR-swizzled by row, so the 8
// rows one ldmatrix matrix reads, and the granules 8 threads of a cp.async wave write, land in distinct banks.
template <int TCOLS>
__device__ __forceinline__ int swizzle(int r, int c) {
  constexpr int G = TCOLS / 8;
  int x;
  if constexpr (G >= 8) {
    x = r & 7;
  } else {
    x = (r / (8 / G)) & (G - 1);
  }
  return r * TCOLS + (((c >> 3) ^ x) << 3) + (c & 7);
}

template <int COPY>
__device__ __forceinline__ void copy_chunk(in_t* dst, const in_t* src, bool valid) {
  if constexpr (COPY == 1) {
    *dst = valid ? *src : in_t{};
  } else {
    cp_async<COPY * 2>(dst, src, valid);
  }
}

// Copies the tile at (row0, col0) of operand T into shared memory s (zero outside the matrix).
template <class T>
__device__ __forceinline__ void load_tile(in_t* s, const in_t* g, int row0, int col0) {
  constexpr int PER_ROW = T::TCOLS / T::COPY;
  constexpr int COUNT = T::TROWS * PER_ROW;
#pragma unroll(T::COPY == 1 ? 1 : (COUNT + THREADS - 1) / THREADS)
  for (int i = 0; i < (COUNT + THREADS - 1) / THREADS; ++i) {
    const int idx = threadIdx.x + i * THREADS;
    if (COUNT % THREADS == 0 || idx < COUNT) {
      const int r = idx / PER_ROW, col = (idx % PER_ROW) * T::COPY;
      const int gr = row0 + r, gc = col0 + col;
      const bool valid = (T::ROWS % T::TROWS == 0 || gr < T::ROWS) && (T::COLS % T::TCOLS == 0 || gc < T::COLS);
      copy_chunk<T::COPY>(s + swizzle<T::TCOLS>(r, col), g + (valid ? static_cast<long long>(gr) * T::COLS + gc : 0), valid);
    }
  }
}

__device__ __forceinline__ void load_stage(in_t* smem, int stage, const in_t* a, const in_t* b, int m0, int n0, int kt) {
  const int k0 = kt * BK;
  load_tile<TileA>(smem + stage * A_STAGE, a, TileA::K_MAJOR ? m0 : k0, TileA::K_MAJOR ? k0 : m0);
  load_tile<TileB>(smem + STAGES * A_STAGE + stage * B_STAGE, b, TileB::K_MAJOR ? n0 : k0, TileB::K_MAJOR ? k0 : n0);
}

// A fragments of one 16-deep k step: ldmatrix.x4 per 16 x 16 piece (rows m, columns k of op(A)).
__device__ __forceinline__ void load_a(const in_t* sa, int wm0, int kk, int lane, unsigned (&af)[MI][4]) {
  const int j = lane >> 3, r = lane & 7;
#pragma unroll
  for (int mi = 0; mi < MI; ++mi) {
    const int m = wm0 + mi * 16;
    if constexpr (TileA::K_MAJOR) {
      ldmatrix_x4(af[mi], sa + swizzle<TileA::TCOLS>(m + (lane & 15), kk + (lane >> 4) * 8));
    } else {
      ldmatrix_x4_trans(af[mi], sa + swizzle<TileA::TCOLS>(kk + r + 8 * (j >> 1), m + 8 * (j & 1)));
    }
  }
}

// B fragments of one k step: each ldmatrix.x4 covers 16 columns n (two n8 fragments) by 16 k.
__device__ __forceinline__ void load_b(const in_t* sb, int wn0, int kk, int lane, unsigned (&bf)[NI][2]) {
  const int j = lane >> 3, r = lane & 7;
#pragma unroll
  for (int p = 0; p < NI / 2; ++p) {
    const int n = wn0 + p * 16;
    unsigned t[4];
    if constexpr (TileB::K_MAJOR) {
      ldmatrix_x4(t, sb + swizzle<TileB::TCOLS>(n + r + 8 * (j >> 1), kk + 8 * (j & 1)));
    } else {
      ldmatrix_x4_trans(t, sb + swizzle<TileB::TCOLS>(kk + r + 8 * (j & 1), n + 8 * (j >> 1)));
    }
    bf[2 * p][0] = t[0];
    bf[2 * p][1] = t[1];
    bf[2 * p + 1][0] = t[2];
    bf[2 * p + 1][1] = t[3];
  }
}

__device__ __forceinline__ void compute_stage(const in_t* sa, const in_t* sb, int wm0, int wn0, int lane, Accumulators& acc) {
#pragma unroll
  for (int kk = 0; kk < BK; kk += 16) {
    unsigned af[MI][4], bf[NI][2];
    load_a(sa, wm0, kk, lane, af);
    load_b(sb, wn0, kk, lane, bf);
#pragma unroll
    for (int mi = 0; mi < MI; ++mi) {
#pragma unroll
      for (int ni = 0; ni < NI; ++ni) mma_16816(acc.v[mi][ni], af[mi], bf[ni][0], bf[ni][1]);
    }
  }
}

// Multi-stage pipeline over K tiles kt0 .. kt0 + count - 1: group g of cp.async copies fills stage g % STAGES.
__device__ __forceinline__ void mainloop(const in_t* a, const in_t* b, int m0, int n0, int kt0, int count, Accumulators& acc) {
  in_t* smem = reinterpret_cast<in_t*>(shared_memory());
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm0 = (warp / WARPS_N) * WM, wn0 = (warp % WARPS_N) * WN;
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < count) load_stage(smem, s, a, b, m0, n0, kt0 + s);
    cp_async_commit();
  }
  for (int t = 0; t < count; ++t) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    const int next = t + STAGES - 1;
    if (next < count) load_stage(smem, next % STAGES, a, b, m0, n0, kt0 + next);
    cp_async_commit();
    const int stage = t % STAGES;
    compute_stage(smem + stage * A_STAGE, smem + STAGES * A_STAGE + stage * B_STAGE, wm0, wn0, lane, acc);
  }
  cp_async_wait<0>();
}

// Accumulator (mi, ni, 2h + e) of lane l sits at row g + 8h, column 2q + e of its 16 x 8 piece (g = l / 4, q = l % 4).
__device__ __forceinline__ void store_tile(out_t* c, const out_t* src, int m0, int n0, Accumulators& acc) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm0 = m0 + (warp / WARPS_N) * WM + (lane >> 2), wn0 = n0 + (warp % WARPS_N) * WN + 2 * (lane & 3);
#pragma unroll
  for (int mi = 0; mi < MI; ++mi) {
#pragma unroll
    for (int ni = 0; ni < NI; ++ni) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float v[2] = {acc.v[mi][ni][2 * h], acc.v[mi][ni][2 * h + 1]};
        emit<2>(c, src, wm0 + mi * 16 + 8 * h, wn0 + ni * 8, v);
      }
    }
  }
}
`;
