// KernelSource {"name":"gemm_eee0a8dd7caa7201","params":[{"name":"a","dtype":"f32","access":"read"},{"name":"b","dtype":"f32","access":"read"},{"name":"c","dtype":"f32","access":"write"}],"grid":[16,1,1],"block":[64,1,1],"sharedBytes":9216,"flops":1179648,"bytes":172544}
// trainc GEMM gemm_eee0a8dd7caa7201: gemm f32->f32 M=512 N=18 K=64 (B^T); config simt 32x32x16 t4x4 k1 g8
// grid (16, 1, 1), block 64, dynamic shared memory 9216 bytes
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace gemm_eee0a8dd7caa7201_detail {

typedef float in_t;
typedef float out_t;
constexpr int M = 512, N = 18, K = 64;
constexpr long long A_BATCH_STRIDE = 32768LL, B_BATCH_STRIDE = 1152LL, C_BATCH_STRIDE = 9216LL;
constexpr bool ACCUMULATE = false;
constexpr int BM = 32, BN = 32, BK = 16, THREADS = 64;
constexpr int TILES_M = (M + BM - 1) / BM, TILES_N = (N + BN - 1) / BN, GROUP_M = 8;
constexpr int K_TILES = (K + BK - 1) / BK, SPLITS = 1;
constexpr int K_TILES_PER_SPLIT = (K_TILES + SPLITS - 1) / SPLITS;
constexpr bool M_TAIL = M % BM != 0, N_TAIL = N % BN != 0;

// Dynamic shared memory of the block.
__device__ __forceinline__ unsigned char* shared_memory() {
  extern __shared__ __align__(128) unsigned char dynamic_smem[];
  return dynamic_smem;
}

__device__ __forceinline__ unsigned shared_address(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// Asynchronous global -> shared copy of BYTES (4, 8 or 16); zero-fills the destination when !valid.
template <int BYTES>
__device__ __forceinline__ void cp_async(void* dst, const void* src, bool valid) {
  const int src_bytes = valid ? BYTES : 0;
  if constexpr (BYTES == 16) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
                 :: "r"(shared_address(dst)), "l"(src), "r"(src_bytes));
  } else {
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n"
                 :: "r"(shared_address(dst)), "l"(src), "n"(BYTES), "r"(src_bytes));
  }
}

__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}

// Waits until at most N committed groups of this thread are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" :: "n"(N) : "memory");
}

// Four 8x8 b16 matrices; lane l addresses row l % 8 of matrix l / 8.
__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(shared_address(p)) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(shared_address(p)) : "memory");
}

// d += a (16x16, row) * b (16x8, col), bf16 in, f32 accumulate.
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Spins until *flag == value (gpu-scope acquire).
__device__ __forceinline__ void flag_wait(const int* flag, int value) {
  int seen;
  do {
    asm volatile("ld.acquire.gpu.global.b32 %0, [%1];\n" : "=r"(seen) : "l"(flag) : "memory");
  } while (seen != value);
}

// *flag = value (gpu-scope release).
__device__ __forceinline__ void flag_release(int* flag, int value) {
  asm volatile("st.release.gpu.global.b32 [%0], %1;\n" :: "l"(flag), "r"(value) : "memory");
}

constexpr int TM = 4, TN = 4, RM = TM / 4, RN = TN / 4, THREADS_N = BN / TN, PAD = 4;
constexpr int A_ROW = BM + PAD, B_ROW = BN + PAD, A_STAGE = BK * A_ROW, B_STAGE = BK * B_ROW;

struct Accumulators {
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

using OperandA = SimtOperand<true, 512, 64, 32, 4>;
using OperandB = SimtOperand<true, 18, 64, 32, 4>;

// Tile (tm, tn) of linear block index t: GROUP_M tile rows are swept column by column, so the B tiles a group
// reads stay in L2 while its A tiles are reused along the row.
__device__ __forceinline__ void tile_coords(int t, int& tm, int& tn) {
  const int per_group = GROUP_M * TILES_N;
  const int first = (t / per_group) * GROUP_M;
  const int rows = min(TILES_M - first, GROUP_M);
  const int r = t % per_group;
  tm = first + r % rows;
  tn = r / rows;
}

__device__ __forceinline__ float load1(const out_t* p) { return __ldcg(p); }
__device__ __forceinline__ void store1(out_t* p, float v) { *p = v; }
__device__ __forceinline__ void add_loaded(const out_t* p, float (&v)[4]) {
  const float4 t = __ldcg(reinterpret_cast<const float4*>(p));
  v[0] += t.x;
  v[1] += t.y;
  v[2] += t.z;
  v[3] += t.w;
}
__device__ __forceinline__ void store_vec(out_t* p, const float (&v)[4]) {
  *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
}

// Writes W consecutive outputs of `row` from column `col` (W-aligned), adding src's values when src is not null.
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

__device__ __forceinline__ void compute_stage(const float* sa, const float* sb, int ty, int tx,
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

__device__ __forceinline__ void run(const in_t* a, const in_t* b, const out_t* c_in, out_t* c, int* flags) {
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

}  // namespace gemm_eee0a8dd7caa7201_detail

extern "C" __global__ void __launch_bounds__(gemm_eee0a8dd7caa7201_detail::THREADS, 1)
gemm_eee0a8dd7caa7201(const float* __restrict__ a, const float* __restrict__ b, float* c) {
  gemm_eee0a8dd7caa7201_detail::run(a, b, nullptr, c, nullptr);
}
