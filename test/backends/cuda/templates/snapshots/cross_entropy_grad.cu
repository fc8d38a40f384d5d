// cross_entropy_grad: grid [16384, 1, 1], block [1024, 1, 1], 16810770432 flops, 8405581824 bytes
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

// cross_entropy_grad: (softmax(logits) - onehot(target)) * dloss per row of [4, 4096, 128256] bf16
namespace cross_entropy_grad_19f7c3e6cd75_detail {

constexpr long long SITE = 27229246;  // this kernel in trainc_error_info[0]
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

// exp and log in the math type (float or double).
__device__ __forceinline__ float exp_m(float x) { return expf(x); }
__device__ __forceinline__ double exp_m(double x) { return exp(x); }
__device__ __forceinline__ float log_m(float x) { return logf(x); }
__device__ __forceinline__ double log_m(double x) { return log(x); }
__device__ __forceinline__ bool finite_m(float x) { return isfinite(x); }
__device__ __forceinline__ bool finite_m(double x) { return isfinite(x); }

// A running softmax statistic over some values: their maximum m (NaN if any is NaN) and s = sum of exp(x - m).
// Empty (or all -inf): m = -inf, s = 0.
template <typename M> struct Stat { M m; M s; };
template <typename M> __device__ __forceinline__ Stat<M> stat_empty() { return {-static_cast<M>(INFINITY), M(0)}; }
// s rescaled from maximum m to a maximum to >= m; exact when they are equal, so infinite maxima never give inf - inf.
template <typename M> __device__ __forceinline__ M rescale(M s, M m, M to) { return m == to ? s : s * exp_m(m - to); }
template <int N, typename M> __device__ __forceinline__ void stat_push(Stat<M>& st, const M (&x)[N]) {
  M top = st.m;
#pragma unroll
  for (int j = 0; j < N; ++j) top = trainc_max(top, x[j]);
  if (top == -static_cast<M>(INFINITY)) return;
  M s = rescale(st.s, st.m, top);
#pragma unroll
  for (int j = 0; j < N; ++j) s += exp_m(x[j] - top);
  st = {top, s};
}
template <typename M> __device__ __forceinline__ Stat<M> stat_merge(Stat<M> a, Stat<M> b) {
  const M top = trainc_max(a.m, b.m);
  if (top == -static_cast<M>(INFINITY)) return a;
  return {top, rescale(a.s, a.m, top) + rescale(b.s, b.m, top)};
}
// log(sum exp(x)) of the values: m + log(s), or m itself when m is not finite (all -inf, an inf, or a NaN).
template <typename M> __device__ __forceinline__ M stat_lse(Stat<M> st) { return finite_m(st.m) ? st.m + log_m(st.s) : st.m; }

// Combines the statistics of the THREADS threads sharing a row: a warp (THREADS = 32) or the whole block. Every
// thread of the row gets the same result (merging is symmetric, and the block step reads the partials in order).
template <int THREADS, typename M> __device__ __forceinline__ Stat<M> row_reduce(Stat<M> st) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const Stat<M> other = {__shfl_xor_sync(0xffffffffu, st.m, o), __shfl_xor_sync(0xffffffffu, st.s, o)};
    st = stat_merge(st, other);
  }
  if constexpr (THREADS > 32) {
    __shared__ Stat<M> partial[THREADS / 32];
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = st;
    __syncthreads();
    st = partial[0];
#pragma unroll
    for (int w = 1; w < THREADS / 32; ++w) st = stat_merge(st, partial[w]);
    __syncthreads();
  }
  return st;
}

using M = float;
constexpr long long ROWS = 16384;
constexpr int N = 128256;  // row length
constexpr int VEC = 8;  // elements per vector access
constexpr int THREADS = 1024;  // threads per row
constexpr int ROWS_PER_BLOCK = 1;
constexpr long long IGNORE = -100;  // ignore_index

}  // namespace cross_entropy_grad_19f7c3e6cd75_detail

extern "C" __global__ void __launch_bounds__(1024) cross_entropy_grad_19f7c3e6cd75(
    const __nv_bfloat16* in0,
    const long long* in1,
    const float* in2,
    __nv_bfloat16* out0) {
  using namespace cross_entropy_grad_19f7c3e6cd75_detail;
  const __nv_bfloat16* const logits = in0;
  const long long* const targets = in1;
  const float* const dloss = in2;
  __nv_bfloat16* const grad = out0;
  const int lane = threadIdx.x % THREADS;
  const long long row = static_cast<long long>(blockIdx.x) * ROWS_PER_BLOCK + threadIdx.x / THREADS;
  if (row >= ROWS) return;
  const long long target = static_cast<long long>(targets[row]);
  const auto* x_row = logits + row * N;
  auto* g_row = grad + row * N;
  if (target == IGNORE || target < 0 || target >= N) {
    const bool bad = target != IGNORE;
    if (bad && lane == 0) trainc_raise(6111, SITE, row, target, N);
    const M fill = bad ? static_cast<M>(NAN) : M(0);
    for (int i = lane * VEC; i < N; i += THREADS * VEC) fill_math<VEC>(g_row + i, fill);
    return;
  }
  Stat<M> st = stat_empty<M>();
#pragma unroll 4
  for (int i = lane * VEC; i < N; i += THREADS * VEC) {
    M v[VEC];
    load_math<VEC>(v, x_row + i);
    stat_push(st, v);
  }
  st = row_reduce<THREADS>(st);
  const M lse = stat_lse(st);
  const M d = static_cast<M>(widen(dloss[row]));
#pragma unroll 4
  for (int i = lane * VEC; i < N; i += THREADS * VEC) {
    M v[VEC];
    load_math<VEC>(v, x_row + i);
#pragma unroll
    for (int j = 0; j < VEC; ++j) {
      const M prob = exp_m(v[j] - lse);
      v[j] = (i + j == target ? prob - M(1) : prob) * d;
    }
    store_math<VEC>(g_row + i, v);
  }
}
