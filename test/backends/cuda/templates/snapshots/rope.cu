// rope: grid [8192, 1, 1], block [256, 1, 1], 100663296 flops, 138412032 bytes
// rope: x*cos + rotate_half(x)*sin on [4, 4096, 32, 64] bf16
namespace rope_dc1706608756_detail {

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
constexpr long long ITEMS = 2097152;  // (b, t, h, VEC pairs)
constexpr int H = 32, D = 64, HALF = 32;
constexpr int VEC = 8;  // pairs per thread

}  // namespace rope_dc1706608756_detail

extern "C" __global__ void __launch_bounds__(256) rope_dc1706608756(
    const __nv_bfloat16* __restrict__ in0,
    const __nv_bfloat16* __restrict__ in1,
    const __nv_bfloat16* __restrict__ in2,
    __nv_bfloat16* __restrict__ out0) {
  using namespace rope_dc1706608756_detail;
  const __nv_bfloat16* const x = in0;
  const __nv_bfloat16* const cos_t = in1;
  const __nv_bfloat16* const sin_t = in2;
  __nv_bfloat16* const y = out0;
  const long long i = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (i >= ITEMS) return;
  const int d = static_cast<int>(i % (HALF / VEC)) * VEC;
  const long long head = i / (HALF / VEC);  // (b, t, h)
  const long long bt = head / H;
  M x1[VEC], x2[VEC], c1[VEC], c2[VEC], s1[VEC], s2[VEC], y1[VEC], y2[VEC];
  load_math<VEC>(x1, x + head * D + d);
  load_math<VEC>(x2, x + head * D + HALF + d);
  load_math<VEC>(c1, cos_t + bt * D + d);
  load_math<VEC>(c2, cos_t + bt * D + HALF + d);
  load_math<VEC>(s1, sin_t + bt * D + d);
  load_math<VEC>(s2, sin_t + bt * D + HALF + d);
#pragma unroll
  for (int j = 0; j < VEC; ++j) {
    y1[j] = x1[j] * c1[j] - x2[j] * s1[j];
    y2[j] = x2[j] * c2[j] + x1[j] * s2[j];
  }
  store_math<VEC>(y + head * D + d, y1);
  store_math<VEC>(y + head * D + HALF + d, y2);
}
