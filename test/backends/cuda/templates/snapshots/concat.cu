// concat: grid [8192, 1, 1], block [256, 1, 1], 0 flops, 67108864 bytes
// concat: join 2 operands along axis 3 into [4, 4096, 8, 128] bf16
namespace concat_af7be13cefe9_detail {

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

constexpr long long ROW = 128;  // elements of one output row (all axes from 3 on)
constexpr int W = 8;  // elements per word
constexpr long long WORDS = 2097152;
constexpr long long RUN0 = 64, START0 = 0;  // operand 0
constexpr long long RUN1 = 64, START1 = 64;  // operand 1

}  // namespace concat_af7be13cefe9_detail

extern "C" __global__ void __launch_bounds__(256) concat_af7be13cefe9(
    const __nv_bfloat16* __restrict__ in0,
    const __nv_bfloat16* __restrict__ in1,
    __nv_bfloat16* __restrict__ out0) {
  using namespace concat_af7be13cefe9_detail;
  const __nv_bfloat16* const x0 = in0;
  const __nv_bfloat16* const x1 = in1;
  __nv_bfloat16* const y = out0;
  const long long word = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (word >= WORDS) return;
  const long long o = word / (ROW / W);
  const long long r = word % (ROW / W) * W;  // element offset in the output row
  auto* dst = y + o * ROW + r;
  if (r < START0 + RUN0) store_pack<W>(dst, load_pack<W>(x0 + o * RUN0 + (r - START0)));
  else store_pack<W>(dst, load_pack<W>(x1 + o * RUN1 + (r - START1)));
}
