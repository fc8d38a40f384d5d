// cumsum-tiled: grid [4, 1, 1], block [1024, 1, 1], 0 flops, 262144 bytes
// cumsum: running sum along axis 1 of [4, 4096] i64
namespace cumsum_04fcd14ba9be_detail {

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

// Prefix sums of one value per thread, in thread order over the block's THREADS threads: returns the inclusive
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
}

using A = long long;  // accumulator
constexpr long long LINES = 4;
constexpr int N = 4096;  // line length
constexpr int THREADS = 1024;
constexpr bool EXCLUSIVE = true;
constexpr bool REVERSE = false;

}  // namespace cumsum_04fcd14ba9be_detail

extern "C" __global__ void __launch_bounds__(1024) cumsum_04fcd14ba9be(
    const long long* __restrict__ in0,
    long long* __restrict__ out0) {
  using namespace cumsum_04fcd14ba9be_detail;
  const long long* const x = in0;
  long long* const y = out0;
  if (blockIdx.x >= LINES) return;  // whole blocks
  const long long base = static_cast<long long>(blockIdx.x) * N;
  A carry = A(0);
  for (int t0 = 0; t0 < N; t0 += THREADS) {
    const int s = t0 + threadIdx.x;  // position in scan order
    const long long at = base + (REVERSE ? N - 1 - s : s);
    const A v = s < N ? static_cast<A>(widen(x[at])) : A(0);
    A exclusive, total;
    const A inclusive = block_scan<THREADS>(v, exclusive, total);
    if (s < N) narrow(y[at], carry + (EXCLUSIVE ? exclusive : inclusive));
    carry += total;
  }
}
