// softmax-lines: grid [1, 1, 1], block [256, 1, 1], 350 flops, 560 bytes
// softmax: exp(x - max) / sum(exp(x - max)) along axis 1 of [2, 5, 7] f32
namespace softmax_4a8fdb37d314_detail {

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

using M = float;
constexpr long long LINES = 14;  // outer * inner lines along the axis
constexpr int MID = 5;  // line length
constexpr long long INNER = 7;  // stride between a line's elements

}  // namespace softmax_4a8fdb37d314_detail

extern "C" __global__ void __launch_bounds__(256) softmax_4a8fdb37d314(
    const float* __restrict__ in0,
    float* __restrict__ out0) {
  using namespace softmax_4a8fdb37d314_detail;
  const float* const x = in0;
  float* const y = out0;
  const long long line = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (line >= LINES) return;
  const long long base = (line / INNER) * MID * INNER + line % INNER;
  Stat<M> st = stat_empty<M>();
  for (int k = 0; k < MID; ++k) {
    const M v[1] = {static_cast<M>(widen(x[base + k * INNER]))};
    stat_push(st, v);
  }
  for (int k = 0; k < MID; ++k) {
    const long long at = base + k * INNER;
    narrow(y[at], exp_m(static_cast<M>(widen(x[at])) - st.m) / st.s);
  }
}
