// cumsum-lines: grid [1, 1, 1], block [256, 1, 1], 1800 flops, 14400 bytes
// cumsum: running sum along axis 1 of [2, 300, 3] f32
namespace cumsum_3e92f63d6ce4_detail {

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

using A = float;  // accumulator
constexpr long long LINES = 6;
constexpr int N = 300;  // line length
constexpr long long INNER = 3;  // stride between a line's elements
constexpr bool EXCLUSIVE = false;
constexpr bool REVERSE = true;

}  // namespace cumsum_3e92f63d6ce4_detail

extern "C" __global__ void __launch_bounds__(256) cumsum_3e92f63d6ce4(
    const float* __restrict__ in0,
    float* __restrict__ out0) {
  using namespace cumsum_3e92f63d6ce4_detail;
  const float* const x = in0;
  float* const y = out0;
  const long long line = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (line >= LINES) return;
  const long long base = (line / INNER) * N * INNER + line % INNER;
  A acc = A(0);
  for (int s = 0; s < N; ++s) {
    const long long at = base + (REVERSE ? N - 1 - s : s) * INNER;
    const A v = static_cast<A>(widen(x[at]));
    if (EXCLUSIVE) {
      narrow(y[at], acc);
      acc += v;
    } else {
      acc += v;
      narrow(y[at], acc);
    }
  }
}
