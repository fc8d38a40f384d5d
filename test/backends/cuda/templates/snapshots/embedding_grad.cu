// embedding_grad: grid [1002, 1, 1], block [256, 1, 1], 33554432 flops, 1185021952 bytes
#ifndef TRAINC_DEVICE_ERROR
#define TRAINC_DEVICE_ERROR
// The first bad-data error of the step (0: none) and {kernel site, flat position, offending value, bound}; the host
// reads them after the step (backends/cuda/templates/device-error.ts).
__device__ int trainc_error_code;
__device__ long long trainc_error_info[4];
static __device__ __forceinline__ void trainc_raise(int code, long long site, long long position, long long value,
                                                    long long bound) {
  if (atomicCAS(&trainc_error_code, 0, code) == 0) {
    trainc_error_info[0] = site;
    trainc_error_info[1] = position;
    trainc_error_info[2] = value;
    trainc_error_info[3] = bound;
  }
}
#endif

// embedding_grad: dweight [128256, 2048] f32 = sum of dy rows per id, deterministic, 128 rows per block
namespace embedding_grad_8d4683dbe0d6_detail {

constexpr long long SITE = 148138045;  // this kernel in trainc_error_info[0]
// The math value of a stored element: bf16 and f16 widen to float exactly, integers to long long.
__device__ __forceinline__ float widen(float x) { return x; }
__device__ __forceinline__ double widen(double x) { return x; }
__device__ __forceinline__ float widen(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float widen(__half x) { return __half2float(x); }
__device__ __forceinline__ long long widen(long long x) { return x; }
__device__ __forceinline__ long long widen(int x) { return x; }
__device__ __forceinline__ long long widen(signed char x) { return x; }
__device__ __forceinline__ long long widen(unsigned char x) { return x; }
// Stores a math value into an element, rounded once to nearest even; integers wrap to the element's width.
__device__ __forceinline__ void narrow(float& d, float v) { d = v; }
__device__ __forceinline__ void narrow(float& d, double v) { d = static_cast<float>(v); }
__device__ __forceinline__ void narrow(double& d, double v) { d = v; }
__device__ __forceinline__ void narrow(__nv_bfloat16& d, float v) { d = __float2bfloat16_rn(v); }
__device__ __forceinline__ void narrow(__nv_bfloat16& d, double v) { d = __double2bfloat16(v); }
__device__ __forceinline__ void narrow(__half& d, float v) { d = __float2half_rn(v); }
__device__ __forceinline__ void narrow(__half& d, double v) { d = __double2half(v); }
template <typename I> __device__ __forceinline__ void narrow(I& d, long long v) { d = static_cast<I>(v); }

// N consecutive elements moved as one access of N * sizeof(T) bytes; the address must be aligned to that size
// (the memory plan aligns every buffer to 256 bytes; templates pick N so that every offset they use stays aligned).
#ifndef TRAINC_CHECK_ALIGNED
#define TRAINC_CHECK_ALIGNED(pointer, bytes)
#endif
template <typename T, int N> struct alignas(sizeof(T) * N) Pack { T v[N]; };
template <int N, typename T> __device__ __forceinline__ Pack<T, N> load_pack(const T* p) {
  TRAINC_CHECK_ALIGNED(p, sizeof(Pack<T, N>));
  return *reinterpret_cast<const Pack<T, N>*>(p);
}
template <int N, typename T> __device__ __forceinline__ void store_pack(T* p, const Pack<T, N>& x) {
  TRAINC_CHECK_ALIGNED(p, sizeof(Pack<T, N>));
  *reinterpret_cast<Pack<T, N>*>(p) = x;
}
// N elements widened to the math type M, and N math values narrowed into elements.
template <int N, typename M, typename T> __device__ __forceinline__ void load_math(M (&out)[N], const T* p) {
  const Pack<T, N> k = load_pack<N>(p);
#pragma unroll
  for (int j = 0; j < N; ++j) out[j] = static_cast<M>(widen(k.v[j]));
}
template <int N, typename M, typename T> __device__ __forceinline__ void store_math(T* p, const M (&in)[N]) {
  Pack<T, N> k;
#pragma unroll
  for (int j = 0; j < N; ++j) narrow(k.v[j], in[j]);
  store_pack<N>(p, k);
}
// N copies of one math value narrowed into elements.
template <int N, typename M, typename T> __device__ __forceinline__ void fill_math(T* p, M value) {
  M v[N];
#pragma unroll
  for (int j = 0; j < N; ++j) v[j] = value;
  store_math<N>(p, v);
}

using M = float;
constexpr long long N = 16384;  // ids
constexpr long long V = 128256;  // vocabulary rows
constexpr long long C = 2048;  // channels
constexpr int THREADS = 256, WARPS = THREADS / 32;
constexpr int R = 128;  // vocabulary rows per block
constexpr int CAP = 8192;  // list entries before a flush
constexpr int VEC = 4;  // elements per vector access
constexpr int PER_LANE = 16;  // columns per lane per chunk
constexpr long long CHUNK = 32LL * PER_LANE;

// Sums the listed dy rows into this block's vocabulary rows [v0, v0 + R), one row per warp at a time, CHUNK
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
}

}  // namespace embedding_grad_8d4683dbe0d6_detail

extern "C" __global__ void __launch_bounds__(256, 4) embedding_grad_8d4683dbe0d6(
    const long long* __restrict__ in0,
    const float* __restrict__ in1,
    float* __restrict__ out0) {
  using namespace embedding_grad_8d4683dbe0d6_detail;
  const long long* const ids = in0;
  const float* const dy = in1;
  float* const dweight = out0;
  __shared__ int list_pos[CAP];
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
  flush(list_pos, list_row, count, v0, first, dy, dweight);
}
