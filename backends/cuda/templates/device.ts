// Device helpers the anchor templates share, as CUDA C++ text: element conversions, aligned vector accesses, the
// online softmax statistic (running max and rescaled sum) with its warp/block reduction, and a block-wide prefix sum.
// A kernel renders the helpers it names, with their dependencies, inside its own `<name>_detail` namespace
// (backends/kernel.ts), so every kernel source stands alone on top of the CUDA prelude (backends/cuda/prelude.ts,
// whose NaN-propagating trainc_max the statistic uses).
// Invariants: every helper is a template or `__forceinline__`, so identical kernels in several translation units
// never clash; the statistic and the scan give every participating thread the same result; none of them clamps.

/** Names of the shared helpers. */
export type Helper = "convert" | "pack" | "math" | "stat" | "row_reduce" | "block_scan";

const DEPENDS: Readonly<Record<Helper, readonly Helper[]>> = {
  convert: [],
  pack: ["convert"],
  math: [],
  stat: ["math"],
  row_reduce: ["stat"],
  block_scan: [],
};

const SOURCES: Readonly<Record<Helper, string>> = {
  convert: String.raw`// The math value of a stored element: bf16 and f16 widen to float exactly, integers to long long.
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
template <typename I> __device__ __forceinline__ void narrow(I& d, long long v) { d = static_cast<I>(v); }`,

  pack: String.raw`// N consecutive elements moved as one access of N * sizeof(T) bytes; the address must be aligned to that size
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
}`,

  math: String.raw`// exp and log in the math type (float or double).
__device__ __forceinline__ float exp_m(float x) { return expf(x); }
__device__ __forceinline__ double exp_m(double x) { return exp(x); }
__device__ __forceinline__ float log_m(float x) { return logf(x); }
__device__ __forceinline__ double log_m(double x) { return log(x); }
__device__ __forceinline__ bool finite_m(float x) { return isfinite(x); }
__device__ __forceinline__ bool finite_m(double x) { return isfinite(x); }`,

  stat: String.raw`// A running softmax statistic over some values: their maximum m (NaN if any is NaN) and s = sum of exp(x - m).
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
template <typename M> __device__ __forceinline__ M stat_lse(Stat<M> st) { return finite_m(st.m) ? st.m + log_m(st.s) : st.m; }`,

  row_reduce: String.raw`// Combines the statistics of the THREADS threads sharing a row: a warp (THREADS = 32) or the whole block. Every
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
}`,

  block_scan: String.raw`// Prefix sums of one value per thread, in thread order over the block's THREADS threads: returns the inclusive
// sum and sets the exclusive sum and the block total. Every thread of the block must call it.
template <int THREADS, typename A> __device__ __forceinline__ A block_scan(A v, A& exclusive, A& total) {
  __shared__ A warp_totals[THREADS / 32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  A inclusive = v;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const A y = __shfl_up_sync(0xffffffffu, inclusive, o);
    if (lane >= o) inclusive += y;
  }
  A before_lane = __shfl_up_sync(0xffffffffu, inclusive, 1);
  if (lane == 0) before_lane = A(0);
  if (lane == 31) warp_totals[warp] = inclusive;
  __syncthreads();
  A before_warp = A(0);
  total = A(0);
#pragma unroll
  for (int w = 0; w < THREADS / 32; ++w) {
    if (w == warp) before_warp = total;
    total += warp_totals[w];
  }
  __syncthreads();
  exclusive = before_warp + before_lane;
  return before_warp + inclusive;
}`,
};

const ORDER: readonly Helper[] = ["convert", "pack", "math", "stat", "row_reduce", "block_scan"];

/** The text of the named helpers and everything they depend on, in dependency order. */
export function renderHelpers(names: readonly Helper[]): string {
  const wanted = new Set<Helper>();
  const add = (h: Helper): void => {
    if (wanted.has(h)) return;
    wanted.add(h);
    DEPENDS[h].forEach(add);
  };
  names.forEach(add);
  return ORDER.filter((h) => wanted.has(h)).map((h) => SOURCES[h]).join("\n\n");
}
