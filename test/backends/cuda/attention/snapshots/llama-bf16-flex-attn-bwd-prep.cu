// KernelSource {"name":"attn_bwd_prep_3336971a1215","params":[{"name":"out","dtype":"bf16","access":"read"},{"name":"dout","dtype":"bf16","access":"read"},{"name":"delta","dtype":"f32","access":"write"},{"name":"dq_accum","dtype":"f32","access":"write"}],"grid":[32768,1,1],"block":[256,1,1],"sharedBytes":0,"flops":134217728,"bytes":538968064}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention backward prologue (bf16): delta = rowsum(dout * out), dq accumulator = 0; B=4 Tq=4096 Hq=32 D=128
namespace attn_bwd_prep_3336971a1215_detail {

typedef __nv_bfloat16 half_t;
constexpr int TQ = 4096;
constexpr int HQ = 32;
constexpr int CHUNKS = 16;
constexpr int LANES = 16;
constexpr int WARPS = 8;
constexpr long long ROWS = 524288;
constexpr long long ZERO_CHUNKS = 16777216;

// The float value of the bf16 bits b (exact).
__device__ __forceinline__ float half_to_f32(unsigned short b) {
  return __uint_as_float(static_cast<unsigned>(b) << 16);
}

// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}

// Sum of the products of the eight 16-bit pairs of a and b, in f32.
__device__ __forceinline__ float chunk_dot(const uint4& a, const uint4& b) {
  const unsigned wa[4] = {a.x, a.y, a.z, a.w}, wb[4] = {b.x, b.y, b.z, b.w};
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    sum = fmaf(half_to_f32(static_cast<unsigned short>(wa[i])), half_to_f32(static_cast<unsigned short>(wb[i])), sum);
    sum = fmaf(half_to_f32(static_cast<unsigned short>(wa[i] >> 16)),
               half_to_f32(static_cast<unsigned short>(wb[i] >> 16)), sum);
  }
  return sum;
}

}  // namespace attn_bwd_prep_3336971a1215_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_bwd_prep_3336971a1215(
    const __nv_bfloat16* __restrict__ out,
    const __nv_bfloat16* __restrict__ dout,
    float* __restrict__ delta,
    float* __restrict__ dq_accum) {
  using namespace attn_bwd_prep_3336971a1215_detail;
  const int lane = static_cast<int>(threadIdx.x) % 32, sub = lane % LANES;
  const long long row = (static_cast<long long>(blockIdx.x) * WARPS + static_cast<int>(threadIdx.x) / 32) *
      (32 / LANES) + lane / LANES;
  const bool valid = row < ROWS;
  const uint4 zero = {0u, 0u, 0u, 0u};
  uint4* acc = reinterpret_cast<uint4*>(dq_accum);
  for (long long z = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; z < ZERO_CHUNKS;
       z += static_cast<long long>(gridDim.x) * blockDim.x) {
    acc[z] = zero;
  }
  float sum = 0.0f;
  if (valid) {
    const uint4* o = reinterpret_cast<const uint4*>(out) + row * CHUNKS;
    const uint4* g = reinterpret_cast<const uint4*>(dout) + row * CHUNKS;
    for (int c = sub; c < CHUNKS; c += LANES) sum += chunk_dot(o[c], g[c]);
  }
#pragma unroll
  for (int mask = LANES / 2; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
  if (valid && sub == 0) {
    const long long b = row / (TQ * HQ);
    const int i = static_cast<int>(row / HQ % TQ), h = static_cast<int>(row % HQ);
    delta[(b * HQ + h) * TQ + i] = sum;
  }
}
