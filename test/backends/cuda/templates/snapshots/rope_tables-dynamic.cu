// rope_tables-dynamic: grid [264, 1, 1], block [256, 1, 1], 3145728 flops, 8519680 bytes
// rope_tables: dynamic rotary cos/sin tables [4, 4096, 64] f32
namespace rope_tables_13941021b303_detail {

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

constexpr long long ROWS = 16384;  // positions
constexpr int DIM = 64, HALF = 32;
constexpr double SCALING = 1.0;  // attention scaling folded into cos and sin
constexpr bool WRITE_COS = true, WRITE_SIN = true;
constexpr long long MAX_POSITIONS = 2048;  // max_position_embeddings
constexpr double FACTOR = 2.0, FACTOR_MINUS_1 = 1.0;
constexpr double MAX_F = 2048.0, THETA = 10000.0;
constexpr double GROWTH = 1.0322580337524414;  // dim / (dim - 2)
static __device__ const double DEFAULT_INV_FREQ[32] = {
    1.0, 0.7498942017555237, 0.5623413324356079, 0.4216965138912201,
    0.3162277638912201, 0.23713736236095428, 0.17782793939113617, 0.1333521455526352,
    0.10000000149011612, 0.07498941570520401, 0.05623412877321243, 0.04216964915394783,
    0.03162277862429619, 0.0237137358635664, 0.017782794311642647, 0.01333521492779255,
    0.009999999776482582, 0.007498942315578461, 0.005623413249850273, 0.0042169648222625256,
    0.003162277862429619, 0.0023713738191872835, 0.0017782794311642647, 0.0013335214462131262,
    0.0010000000474974513, 0.0007498941849917173, 0.000562341301701963, 0.00042169648804701865,
    0.0003162277862429619, 0.0002371373848291114, 0.00017782794020604342, 0.0001333521504420787,
};
static __device__ const double EXPONENTS[32] = {
    0.0, 0.03125, 0.0625, 0.09375,
    0.125, 0.15625, 0.1875, 0.21875,
    0.25, 0.28125, 0.3125, 0.34375,
    0.375, 0.40625, 0.4375, 0.46875,
    0.5, 0.53125, 0.5625, 0.59375,
    0.625, 0.65625, 0.6875, 0.71875,
    0.75, 0.78125, 0.8125, 0.84375,
    0.875, 0.90625, 0.9375, 0.96875,
};
// float32 rounding of one torch tensor step (Math.fround in ir/rope.ts).
__device__ __forceinline__ double fr(double x) { return static_cast<double>(static_cast<float>(x)); }
// Dynamic NTK: default frequencies up to MAX_POSITIONS, then theta grows with seq_len.
__device__ __forceinline__ double batch_inv_freq(long long seq_len, int k) {
  if (seq_len <= MAX_POSITIONS) return DEFAULT_INV_FREQ[k];
  const double ratio = fr(fr(fr(fr(static_cast<double>(seq_len)) * FACTOR) / MAX_F) - FACTOR_MINUS_1);
  const double base = fr(THETA * fr(pow(ratio, GROWTH)));
  return fr(1.0 / fr(pow(base, EXPONENTS[k])));
}

// Writes cos and sin of one angle, times the attention scaling, to columns k and k + HALF of a row.
template <typename T>
__device__ __forceinline__ void write_pair(T* cos_out, T* sin_out, long long row, int k, double angle) {
  double s, c;
  sincos(angle, &s, &c);
  if (WRITE_COS) {
    narrow(cos_out[row * DIM + k], c * SCALING);
    narrow(cos_out[row * DIM + k + HALF], c * SCALING);
  }
  if (WRITE_SIN) {
    narrow(sin_out[row * DIM + k], s * SCALING);
    narrow(sin_out[row * DIM + k + HALF], s * SCALING);
  }
}

}  // namespace rope_tables_13941021b303_detail

extern "C" __global__ void __launch_bounds__(256) rope_tables_13941021b303(
    const long long* __restrict__ in0,
    float* __restrict__ out0,
    float* __restrict__ out1) {
  using namespace rope_tables_13941021b303_detail;
  const long long* const pos = in0;
  float* const cos_out = out0;
  float* const sin_out = out1;
  __shared__ double inv_freq[HALF];
  __shared__ long long warp_top[8];
  long long top = -1;  // the batch's largest position (every block reads them all)
  for (long long r = threadIdx.x; r < ROWS; r += 256) top = trainc_max(top, static_cast<long long>(pos[r]));
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) top = trainc_max(top, __shfl_xor_sync(0xffffffffu, top, o));
  if (threadIdx.x % 32 == 0) warp_top[threadIdx.x / 32] = top;
  __syncthreads();
#pragma unroll
  for (int w = 0; w < 8; ++w) top = trainc_max(top, warp_top[w]);
  for (int k = threadIdx.x; k < HALF; k += 256) inv_freq[k] = batch_inv_freq(top + 1, k);
  __syncthreads();
  for (long long i = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x; i < ROWS * HALF;
       i += static_cast<long long>(gridDim.x) * 256) {
    const long long row = i / HALF;
    const int k = static_cast<int>(i % HALF);
    write_pair(cos_out, sin_out, row, k, static_cast<double>(pos[row]) * inv_freq[k]);
  }
}
