// The f32 mainloop (config kind `simt`): true f32 FMAs, no TF32, so the f32 training mode matches references to 1e-5.
// Each K tile of A and B is fetched global -> registers (vectors of W floats along the operand's contiguous axis)
// while the previous tile is computed, then stored to the other of two shared buffers, transposed where needed so
// both shared tiles are [BK][extent + PAD] with M (or N) contiguous. A thread owns TM x TN outputs in 4-wide
// groups spread BM / (TM / 4) rows apart (and likewise for columns), so its shared reads are float4 and a warp's
// reads of one k row do not collide in banks.
// Invariants: every output is one sequential fmaf chain over k = 0 .. K-1 (within a split), so results do not depend
// on the tiling; out-of-range elements are fetched as 0; W divides the operand's row length.

import { SIMT_PAD, type SimtConfig } from "./config.ts";
import { layoutA, layoutB, type GemmSpec, type OperandLayout } from "./spec.ts";

/** Widest vector (floats, at most 4) that divides the operand's contiguous row length. */
export function simtVectorWidth(layout: OperandLayout): number {
  return [4, 2].find((w) => layout.cols % w === 0) ?? 1;
}

function operand(name: string, layout: OperandLayout, extent: number): string {
  return `using ${name} = SimtOperand<${layout.kMajor}, ${layout.rows}, ${layout.cols}, ${extent}, ${simtVectorWidth(layout)}>;`;
}

/** Constants of the simt mainloop: thread tiling and the two operand loaders. */
export function simtConstants(c: SimtConfig): string {
  return `constexpr int TM = ${c.tm}, TN = ${c.tn}, RM = TM / 4, RN = TN / 4, THREADS_N = BN / TN, PAD = ${SIMT_PAD};
constexpr int A_ROW = BM + PAD, B_ROW = BN + PAD, A_STAGE = BK * A_ROW, B_STAGE = BK * B_ROW;
`;
}

/** Loader aliases; they follow the SimtOperand template in SIMT_MAINLOOP. */
export function simtOperands(spec: GemmSpec, c: SimtConfig): string {
  return `${operand("OperandA", layoutA(spec), c.bm)}
${operand("OperandB", layoutB(spec), c.bn)}
`;
}

/** The loader template (before the operand aliases). */
export const SIMT_LOADER = `struct Accumulators {
  float v[TM][TN];
};

// One operand's K tile in flight: global [ROWS][COLS] row-major (K_MAJOR: rows run along M or N, columns along K),
// fetched as W-float vectors along COLS into registers, then put into shared [BK][EXTENT + PAD].
template <bool K_MAJOR, int ROWS, int COLS, int EXTENT, int W>
struct SimtOperand {
  static constexpr int COUNT = EXTENT * BK / W;
  static constexpr int PER_THREAD = (COUNT + THREADS - 1) / THREADS;
  static constexpr int ROW = EXTENT + PAD;
  float v[PER_THREAD][W];

  // Tile coordinates (x along the extent, k) of vector idx: x runs fastest in both orientations.
  __device__ __forceinline__ static void place(int idx, int& x, int& k) {
    if constexpr (K_MAJOR) {
      x = idx % EXTENT;
      k = (idx / EXTENT) * W;
    } else {
      x = (idx % (EXTENT / W)) * W;
      k = idx / (EXTENT / W);
    }
  }

  __device__ __forceinline__ void fetch(const float* g, int x0, int k0) {
#pragma unroll
    for (int i = 0; i < PER_THREAD; ++i) {
      const int idx = threadIdx.x + i * THREADS;
      int x, k;
      place(idx, x, k);
      const int row = K_MAJOR ? x0 + x : k0 + k, col = K_MAJOR ? k0 + k : x0 + x;
      const bool valid = (COUNT % THREADS == 0 || idx < COUNT) && row < ROWS && col < COLS;
      const float* p = g + (valid ? static_cast<long long>(row) * COLS + col : 0);
      if constexpr (W == 4) {
        const float4 t = valid ? *reinterpret_cast<const float4*>(p) : make_float4(0.f, 0.f, 0.f, 0.f);
        v[i][0] = t.x;
        v[i][1] = t.y;
        v[i][2] = t.z;
        v[i][3] = t.w;
      } else if constexpr (W == 2) {
        const float2 t = valid ? *reinterpret_cast<const float2*>(p) : make_float2(0.f, 0.f);
        v[i][0] = t.x;
        v[i][1] = t.y;
      } else {
        v[i][0] = valid ? *p : 0.f;
      }
    }
  }

  __device__ __forceinline__ void put(float* s) const {
#pragma unroll
    for (int i = 0; i < PER_THREAD; ++i) {
      const int idx = threadIdx.x + i * THREADS;
      if (COUNT % THREADS == 0 || idx < COUNT) {
        int x, k;
        place(idx, x, k);
        if constexpr (K_MAJOR) {
#pragma unroll
          for (int e = 0; e < W; ++e) s[(k + e) * ROW + x] = v[i][e];
        } else if constexpr (W == 4) {
          *reinterpret_cast<float4*>(s + k * ROW + x) = make_float4(v[i][0], v[i][1], v[i][2], v[i][3]);
        } else {
#pragma unroll
          for (int e = 0; e < W; ++e) s[k * ROW + x + e] = v[i][e];
        }
      }
    }
  }
};
`;

/** The simt mainloop's functions: the stage compute, the double-buffered loop and the store walk. */
export const SIMT_MAINLOOP = `__device__ __forceinline__ void compute_stage(const float* sa, const float* sb, int ty, int tx,
                                              Accumulators& acc) {
#pragma unroll
  for (int k = 0; k < BK; ++k) {
    float av[TM], bv[TN];
#pragma unroll
    for (int r = 0; r < RM; ++r) {
      const float4 t = *reinterpret_cast<const float4*>(sa + k * A_ROW + r * (BM / RM) + ty * 4);
      av[4 * r] = t.x;
      av[4 * r + 1] = t.y;
      av[4 * r + 2] = t.z;
      av[4 * r + 3] = t.w;
    }
#pragma unroll
    for (int q = 0; q < RN; ++q) {
      const float4 t = *reinterpret_cast<const float4*>(sb + k * B_ROW + q * (BN / RN) + tx * 4);
      bv[4 * q] = t.x;
      bv[4 * q + 1] = t.y;
      bv[4 * q + 2] = t.z;
      bv[4 * q + 3] = t.w;
    }
#pragma unroll
    for (int i = 0; i < TM; ++i) {
#pragma unroll
      for (int j = 0; j < TN; ++j) acc.v[i][j] = fmaf(av[i], bv[j], acc.v[i][j]);
    }
  }
}

// Double-buffered loop over K tiles kt0 .. kt0 + count - 1: tile t + 1 is fetched into registers during tile t.
__device__ __forceinline__ void mainloop(const float* a, const float* b, int m0, int n0, int kt0, int count,
                                         Accumulators& acc) {
  if (count == 0) return;
  float* smem = reinterpret_cast<float*>(shared_memory());
  float* sb = smem + 2 * A_STAGE;
  const int tx = threadIdx.x % THREADS_N, ty = threadIdx.x / THREADS_N;
  OperandA la;
  OperandB lb;
  la.fetch(a, m0, kt0 * BK);
  lb.fetch(b, n0, kt0 * BK);
  la.put(smem);
  lb.put(sb);
  __syncthreads();
  for (int t = 0; t < count; ++t) {
    const int cur = t & 1;
    const bool more = t + 1 < count;
    if (more) {
      la.fetch(a, m0, (kt0 + t + 1) * BK);
      lb.fetch(b, n0, (kt0 + t + 1) * BK);
    }
    compute_stage(smem + cur * A_STAGE, sb + cur * B_STAGE, ty, tx, acc);
    if (more) {
      la.put(smem + (cur ^ 1) * A_STAGE);
      lb.put(sb + (cur ^ 1) * B_STAGE);
    }
    __syncthreads();
  }
}

// Output (4r + i, 4q + j) of thread (ty, tx) is row r * (BM / RM) + 4 ty + i, column q * (BN / RN) + 4 tx + j.
__device__ __forceinline__ void store_tile(out_t* c, const out_t* src, int m0, int n0, Accumulators& acc) {
  const int tx = threadIdx.x % THREADS_N, ty = threadIdx.x / THREADS_N;
#pragma unroll
  for (int r = 0; r < RM; ++r) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
      for (int q = 0; q < RN; ++q) {
        float v[4] = {acc.v[4 * r + i][4 * q], acc.v[4 * r + i][4 * q + 1], acc.v[4 * r + i][4 * q + 2],
                      acc.v[4 * r + i][4 * q + 3]};
        emit<4>(c, src, m0 + r * (BM / RM) + 4 * ty + i, n0 + q * (BN / RN) + 4 * tx, v);
      }
    }
  }
}
`;
