// KernelSource {"name":"gemm_5cecdd8a8bc0f588","params":[{"name":"a","dtype":"bf16","access":"read"},{"name":"b","dtype":"bf16","access":"read"},{"name":"c","dtype":"bf16","access":"write"}],"grid":[10,1,5],"block":[128,1,1],"sharedBytes":36864,"flops":81000000,"bytes":1059000}
// trainc GEMM gemm_5cecdd8a8bc0f588: gemm bf16->bf16 [5x] M=300 N=200 K=135 (B broadcast); config mma 64x128x32 w32x64 s3 k1 g4
// grid (10, 1, 5), block 128, dynamic shared memory 36864 bytes
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace gemm_5cecdd8a8bc0f588_detail {

typedef __nv_bfloat16 in_t;
typedef __nv_bfloat16 out_t;
constexpr int M = 300, N = 200, K = 135;
constexpr long long A_BATCH_STRIDE = 40500LL, B_BATCH_STRIDE = 0LL, C_BATCH_STRIDE = 60000LL;
constexpr bool ACCUMULATE = false;
constexpr int BM = 64, BN = 128, BK = 32, THREADS = 128;
constexpr int TILES_M = (M + BM - 1) / BM, TILES_N = (N + BN - 1) / BN, GROUP_M = 4;
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

constexpr int WM = 32, WN = 64, WARPS_N = 2, STAGES = 3;
constexpr int MI = WM / 16, NI = WN / 8;
// Operands as global row-major [ROWS][COLS] matrices; a block's K tile of one is TROWS x TCOLS.
struct TileA {
  static constexpr bool K_MAJOR = true;
  static constexpr int ROWS = 300, COLS = 135, TROWS = 64, TCOLS = 32;
  static constexpr int COPY = 1;
};
struct TileB {
  static constexpr bool K_MAJOR = false;
  static constexpr int ROWS = 135, COLS = 200, TROWS = 32, TCOLS = 128;
  static constexpr int COPY = 8;
};
constexpr int A_STAGE = TileA::TROWS * TileA::TCOLS, B_STAGE = TileB::TROWS * TileB::TCOLS;

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

__device__ __forceinline__ float load1(const out_t* p) { return __bfloat162float(__ldcg(p)); }
__device__ __forceinline__ void store1(out_t* p, float v) { *p = __float2bfloat16_rn(v); }
__device__ __forceinline__ void add_loaded(const out_t* p, float (&v)[2]) {
  const float2 t = __bfloat1622float2(__ldcg(reinterpret_cast<const __nv_bfloat162*>(p)));
  v[0] += t.x;
  v[1] += t.y;
}
__device__ __forceinline__ void store_vec(out_t* p, const float (&v)[2]) {
  *reinterpret_cast<__nv_bfloat162*>(p) = __floats2bfloat162_rn(v[0], v[1]);
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

struct Accumulators {
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

}  // namespace gemm_5cecdd8a8bc0f588_detail

extern "C" __global__ void __launch_bounds__(gemm_5cecdd8a8bc0f588_detail::THREADS, 1)
gemm_5cecdd8a8bc0f588(const __nv_bfloat16* __restrict__ a, const __nv_bfloat16* __restrict__ b, __nv_bfloat16* c) {
  gemm_5cecdd8a8bc0f588_detail::run(a, b, nullptr, c, nullptr);
}
