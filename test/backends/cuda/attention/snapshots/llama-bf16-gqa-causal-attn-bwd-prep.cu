// KernelSource {"name":"attn_bwd_prep_5efd01f99b91","params":[{"name":"out","dtype":"bf16","access":"read"},{"name":"dout","dtype":"bf16","access":"read"},{"name":"delta","dtype":"f32","access":"write"},{"name":"dq_accum","dtype":"f32","access":"write"}],"grid":[65536,1,1],"block":[256,1,1],"sharedBytes":0,"flops":134217728,"bytes":538968064}
#include <cuda_bf16.h>
#include <climits>
#include <cmath>

// attention backward prologue (bf16): delta = rowsum(dout * out), dq accumulator = 0; B=4 Tq=4096 Hq=32 D=128
namespace attn_bwd_prep_5efd01f99b91_detail {

constexpr int TQ = 4096;
constexpr int HQ = 32;
constexpr int D = 128;
constexpr int WARPS = 8;
constexpr long long ROWS = 524288;

// The float value of the bf16 bits b (exact).
__device__ __forceinline__ float bf16_to_f32(unsigned short b) {
  return __uint_as_float(static_cast<unsigned>(b) << 16);
}

// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}



}  // namespace attn_bwd_prep_5efd01f99b91_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_bwd_prep_5efd01f99b91(
    const __nv_bfloat16* __restrict__ out,
    const __nv_bfloat16* __restrict__ dout,
    float* __restrict__ delta,
    float* __restrict__ dq_accum) {
  using namespace attn_bwd_prep_5efd01f99b91_detail;
  const long long row = static_cast<long long>(blockIdx.x) * WARPS + static_cast<int>(threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x) % 32;
  if (row >= ROWS) return;
  const long long base = row * D;
  float sum = 0.0f;
  for (int d = lane; d < D; d += 32) {
    sum = fmaf(bf16_to_f32(reinterpret_cast<const unsigned short*>(dout)[base + d]), bf16_to_f32(reinterpret_cast<const unsigned short*>(out)[base + d]), sum);
    dq_accum[base + d] = 0.0f;
  }
#pragma unroll
  for (int mask = 16; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
  if (lane == 0) {
    const long long b = row / (TQ * HQ);
    const int i = static_cast<int>(row / HQ % TQ), h = static_cast<int>(row % HQ);
    delta[(b * HQ + h) * TQ + i] = sum;
  }
}
