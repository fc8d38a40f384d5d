// KernelSource {"name":"attn_bwd_prep_d761445fac94","params":[{"name":"out","dtype":"f32","access":"read"},{"name":"dout","dtype":"f32","access":"read"},{"name":"delta","dtype":"f32","access":"write"},{"name":"dq","dtype":"f32","access":"write"}],"grid":[256,1,1],"block":[256,1,1],"sharedBytes":0,"flops":65536,"bytes":401408}
#include <cuda_bf16.h>
#include <climits>
#include <cmath>

// attention backward prologue (f32): delta = rowsum(dout * out), dq accumulator = 0; B=16 Tq=32 Hq=4 D=16
namespace attn_bwd_prep_d761445fac94_detail {

constexpr int TQ = 32;
constexpr int HQ = 4;
constexpr int D = 16;
constexpr int WARPS = 8;
constexpr long long ROWS = 2048;

// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}



}  // namespace attn_bwd_prep_d761445fac94_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_bwd_prep_d761445fac94(
    const float* __restrict__ out,
    const float* __restrict__ dout,
    float* __restrict__ delta,
    float* __restrict__ dq) {
  using namespace attn_bwd_prep_d761445fac94_detail;
  const long long row = static_cast<long long>(blockIdx.x) * WARPS + static_cast<int>(threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x) % 32;
  if (row >= ROWS) return;
  const long long base = row * D;
  float sum = 0.0f;
  for (int d = lane; d < D; d += 32) {
    sum = fmaf(dout[base + d], out[base + d], sum);
    dq[base + d] = 0.0f;
  }
#pragma unroll
  for (int mask = 16; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
  if (lane == 0) {
    const long long b = row / (TQ * HQ);
    const int i = static_cast<int>(row / HQ % TQ), h = static_cast<int>(row % HQ);
    delta[(b * HQ + h) * TQ + i] = sum;
  }
}
