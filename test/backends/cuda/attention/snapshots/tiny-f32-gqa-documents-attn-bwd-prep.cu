// KernelSource {"name":"attn_bwd_prep_a7b3ffcbe320","params":[{"name":"out","dtype":"f32","access":"read"},{"name":"dout","dtype":"f32","access":"read"},{"name":"delta","dtype":"f32","access":"write"},{"name":"dq","dtype":"f32","access":"write"}],"grid":[32,1,1],"block":[256,1,1],"sharedBytes":0,"flops":65536,"bytes":401408}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention backward prologue (f32): delta = rowsum(dout * out), dq accumulator = 0; B=16 Tq=32 Hq=4 D=16
namespace attn_bwd_prep_a7b3ffcbe320_detail {

constexpr int TQ = 32;
constexpr int HQ = 4;
constexpr int CHUNKS = 4;
constexpr int LANES = 4;
constexpr int WARPS = 8;
constexpr long long ROWS = 2048;
constexpr long long ZERO_CHUNKS = 8192;

// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}

// Sum of the products of the four f32 pairs of a and b.
__device__ __forceinline__ float chunk_dot(const uint4& a, const uint4& b) {
  return __uint_as_float(a.x) * __uint_as_float(b.x) + __uint_as_float(a.y) * __uint_as_float(b.y) +
         __uint_as_float(a.z) * __uint_as_float(b.z) + __uint_as_float(a.w) * __uint_as_float(b.w);
}

}  // namespace attn_bwd_prep_a7b3ffcbe320_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_bwd_prep_a7b3ffcbe320(
    const float* __restrict__ out,
    const float* __restrict__ dout,
    float* __restrict__ delta,
    float* __restrict__ dq) {
  using namespace attn_bwd_prep_a7b3ffcbe320_detail;
  const int lane = static_cast<int>(threadIdx.x) % 32, sub = lane % LANES;
  const long long row = (static_cast<long long>(blockIdx.x) * WARPS + static_cast<int>(threadIdx.x) / 32) *
      (32 / LANES) + lane / LANES;
  const bool valid = row < ROWS;
  const uint4 zero = {0u, 0u, 0u, 0u};
  uint4* acc = reinterpret_cast<uint4*>(dq);
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
