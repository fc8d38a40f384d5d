// adamw: grid [16384, 1, 1], block [256, 1, 1], 268435456 flops, 402653200 bytes
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

// adamw: one AdamW step of 16777216 bf16 parameters (state f32/f32), in double
namespace adamw_e9adcf62f092_detail {

constexpr long long SITE = 245030134;  // this kernel in trainc_error_info[0]
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
constexpr int VEC = 4;  // elements per thread
constexpr double BETA1 = 0.9, BETA2 = 0.999, ONE_MINUS_BETA2 = 0.0010000000000000009;
constexpr double EPS = 1e-8, WEIGHT_DECAY = 0.01;
constexpr double W = 0.09999999999999998;  // 1 - beta1, the weight of lerp(m, g, W)
constexpr bool WRITE_PARAM = true, WRITE_M = true, WRITE_V = true;

// Double arithmetic rounded after every operation, as the interpreter (JavaScript) computes.
__device__ __forceinline__ double add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ double mul(double a, double b) { return __dmul_rn(a, b); }

}  // namespace adamw_e9adcf62f092_detail

extern "C" __global__ void __launch_bounds__(256) adamw_e9adcf62f092(
    const __nv_bfloat16* in0,
    const float* in1,
    const float* in2,
    const float* in3,
    const float* in4,
    const long long* in5,
    const float* in6,
    __nv_bfloat16* out0,
    float* out1,
    float* out2) {
  using namespace adamw_e9adcf62f092_detail;
  const __nv_bfloat16* const param = in0;
  const float* const grad = in1;
  const float* const m = in2;
  const float* const v = in3;
  const float* const lr = in4;
  const long long* const step = in5;
  const float* const grad_scale = in6;
  __nv_bfloat16* const param_out = out0;
  float* const m_out = out1;
  float* const v_out = out2;
  const long long i = (static_cast<long long>(blockIdx.x) * 256 + threadIdx.x) * VEC;
  if (i >= NUMEL) return;
  const long long t = static_cast<long long>(step[0]);
  const double rate = static_cast<double>(widen(lr[0]));
  const double scale = static_cast<double>(widen(grad_scale[0]));
  double p[VEC], g[VEC], mk[VEC], vk[VEC];
  load_math<VEC>(p, param + i);
  load_math<VEC>(g, grad + i);
  load_math<VEC>(mk, m + i);
  load_math<VEC>(vk, v + i);
  const bool skipped = false;  // a step the fp16 loss scaler skips: values stay as read
  if (!skipped && t < 1) {
    if (i == 0) trainc_raise(6120, SITE, 0, t, 1);
  } else if (!skipped) {
    const double step_size = rate / sub(1.0, pow(BETA1, static_cast<double>(t)));
    const double bc2_sqrt = sqrt(sub(1.0, pow(BETA2, static_cast<double>(t))));
    const double decay = sub(1.0, mul(rate, WEIGHT_DECAY));
#pragma unroll
    for (int j = 0; j < VEC; ++j) {
      g[j] = mul(g[j], scale);
      mk[j] = add(mk[j], mul(W, sub(g[j], mk[j])));
      vk[j] = add(mul(vk[j], BETA2), mul(mul(ONE_MINUS_BETA2, g[j]), g[j]));
      p[j] = sub(mul(p[j], decay), mul(step_size, mk[j] / add(sqrt(vk[j]) / bc2_sqrt, EPS)));
    }
  }
  if (WRITE_PARAM) store_math<VEC>(param_out + i, p);
  if (WRITE_M) store_math<VEC>(m_out + i, mk);
  if (WRITE_V) store_math<VEC>(v_out + i, vk);
}
