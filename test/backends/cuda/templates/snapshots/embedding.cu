// embedding: grid [16384, 1, 1], block [256, 1, 1], 0 flops, 134348800 bytes
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

// embedding: rows of [128256, 2048] bf16 at 16384 ids
namespace embedding_efd82dce07b5_detail {

constexpr long long SITE = 251495132;  // this kernel in trainc_error_info[0]
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

constexpr long long OUTER = 1, SIZE = 128256, COUNT = 16384, INNER = 2048;
constexpr int W = 8;  // elements per word
constexpr long long WORDS = OUTER * COUNT * INNER / W;

}  // namespace embedding_efd82dce07b5_detail

extern "C" __global__ void __launch_bounds__(256) embedding_efd82dce07b5(
    const __nv_bfloat16* __restrict__ in0,
    const long long* __restrict__ in1,
    __nv_bfloat16* __restrict__ out0) {
  using namespace embedding_efd82dce07b5_detail;
  const __nv_bfloat16* const data = in0;
  const long long* const indices = in1;
  __nv_bfloat16* const y = out0;
  const long long word = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (word >= WORDS) return;
  const long long i = word % (INNER / W) * W;
  const long long k = word / (INNER / W) % COUNT;
  const long long o = word / (INNER / W) / COUNT;
  const long long id = static_cast<long long>(indices[k]);
  auto* dst = y + (o * COUNT + k) * INNER + i;
  if (id < 0 || id >= SIZE) {
    if (o == 0 && i == 0) trainc_raise(6110, SITE, k, id, SIZE);
    store_pack<W>(dst, Pack<__nv_bfloat16, W>{});
    return;
  }
  store_pack<W>(dst, load_pack<W>(data + (o * SIZE + id) * INNER + i));
}
