// dequantize-paired: grid [8192, 1, 1], block [256, 1, 1], 16777216 flops, 42991616 bytes
// dequantize: nf4 codes of [2048, 8192] times absmax per 64 elements, to bf16
namespace dequantize_528c9b2b4a5a_detail {

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

constexpr long long NUMEL = 16777216;
constexpr long long BLOCK = 64;  // elements per absmax
constexpr int G = 8;  // elements per thread
static __device__ const double LEVELS[16] = {
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
};

}  // namespace dequantize_528c9b2b4a5a_detail

extern "C" __global__ void __launch_bounds__(256) dequantize_528c9b2b4a5a(
    const unsigned char* __restrict__ in0,
    const float* __restrict__ in1,
    __nv_bfloat16* __restrict__ out0) {
  using namespace dequantize_528c9b2b4a5a_detail;
  const unsigned char* const codes = in0;
  const float* const absmax = in1;
  __nv_bfloat16* const y = out0;
  const long long i = (static_cast<long long>(blockIdx.x) * 256 + threadIdx.x) * G;
  if (i >= NUMEL) return;
  const Pack<unsigned char, G / 2> bytes = load_pack<G / 2>(codes + i / 2);
  const double scale = static_cast<double>(widen(absmax[i / BLOCK]));
  double out[G];
#pragma unroll
  for (int j = 0; j < G / 2; ++j) {
    out[2 * j] = LEVELS[bytes.v[j] & 15] * scale;
    out[2 * j + 1] = LEVELS[bytes.v[j] >> 4] * scale;
  }
  store_math<G>(y + i, out);
}
