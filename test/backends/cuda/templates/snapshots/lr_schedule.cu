// lr_schedule: grid [1, 1, 1], block [1, 1, 1], 8 flops, 12 bytes
// lr_schedule: cosine learning rate after 100 warmup steps of 5000, in f32
namespace lr_schedule_37a43a4348d0_detail {

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

constexpr double LR = 0.00002;
constexpr double WARMUP = 100.0, WARMUP_DIVISOR = 100.0;
constexpr double REMAINING = 4900.0;  // max(1, total - warmup)
constexpr double PI = 3.141592653589793;

}  // namespace lr_schedule_37a43a4348d0_detail

extern "C" __global__ void __launch_bounds__(1) lr_schedule_37a43a4348d0(
    const long long* __restrict__ in0,
    float* __restrict__ out0) {
  using namespace lr_schedule_37a43a4348d0_detail;
  const long long* const step = in0;
  float* const lr = out0;
  const double t = static_cast<double>(step[0]);  // completed steps
  narrow(lr[0], t < WARMUP ? LR * (t / WARMUP_DIVISOR) : LR * fmax(0.0, 0.5 * (1.0 + cos(PI * ((t - WARMUP) / REMAINING)))));
}
