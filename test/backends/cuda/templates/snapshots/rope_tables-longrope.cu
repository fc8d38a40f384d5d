// rope_tables-longrope: grid [1, 1, 1], block [256, 1, 1], 768 flops, 2176 bytes
// rope_tables: longrope rotary cos/sin tables [2, 16, 8] f32
namespace rope_tables_d141bb7070d4_detail {

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

constexpr long long ROWS = 32;  // positions
constexpr int DIM = 8, HALF = 4;
constexpr double SCALING = 1.224744871391589;  // attention scaling folded into cos and sin
constexpr bool WRITE_COS = true, WRITE_SIN = true;
constexpr long long ORIGINAL = 16;  // original_max_position_embeddings
static __device__ const double SHORT_INV_FREQ[4] = {
    1.0, 0.095238097012043, 0.00833333283662796, 0.0007142857066355646,
};
static __device__ const double LONG_INV_FREQ[4] = {
    1.0, 0.06666667014360428, 0.0033333334140479565, 0.00016666666488163173,
};
// LongRoPE: long factors past the original context.
__device__ __forceinline__ double batch_inv_freq(long long seq_len, int k) {
  return seq_len > ORIGINAL ? LONG_INV_FREQ[k] : SHORT_INV_FREQ[k];
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

}  // namespace rope_tables_d141bb7070d4_detail

extern "C" __global__ void __launch_bounds__(256) rope_tables_d141bb7070d4(
    const int* __restrict__ in0,
    float* __restrict__ out0,
    float* __restrict__ out1) {
  using namespace rope_tables_d141bb7070d4_detail;
  const int* const pos = in0;
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
