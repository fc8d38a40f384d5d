// KernelSource {"name":"attn_bwd_dq_82ea822fb6e4","params":[{"name":"dq_accum","dtype":"f32","access":"read"},{"name":"dq","dtype":"bf16","access":"write"}],"grid":[65536,1,1],"block":[256,1,1],"sharedBytes":0,"flops":67108864,"bytes":402653184}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention backward epilogue: dq = bf16(scale * dq_accum); B=4 Tq=4096 Hq=32 D=128
namespace attn_bwd_dq_82ea822fb6e4_detail {

typedef __nv_bfloat16 half_t;
constexpr long long QUADS = 16777216;
constexpr float SCALE = 0.0883883461f;

// Two floats rounded to nearest-even bf16, lo in the low half.
__device__ __forceinline__ unsigned pack_half(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}



}  // namespace attn_bwd_dq_82ea822fb6e4_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_bwd_dq_82ea822fb6e4(
    const float* __restrict__ dq_accum,
    __nv_bfloat16* __restrict__ dq) {
  using namespace attn_bwd_dq_82ea822fb6e4_detail;
  const long long p =
      static_cast<long long>(blockIdx.x) * 256 + static_cast<int>(threadIdx.x);
  if (p >= QUADS) return;
  const float4 a = reinterpret_cast<const float4*>(dq_accum)[p];
  reinterpret_cast<uint2*>(dq)[p] = {pack_half(SCALE * a.x, SCALE * a.y), pack_half(SCALE * a.z, SCALE * a.w)};
}
