// CUDA's cuda_bf16.h names for HIP: __nv_bfloat16 is hip_bfloat16 (HIP 5.2 has no hip_bf16.h), float conversions round
// to nearest even as CUDA's _rn ones do; from double, through float rounded to odd, so the result is rounded once.
#pragma once
#include <hip/hip_bfloat16.h>
typedef hip_bfloat16 __nv_bfloat16;
static __device__ __forceinline__ float __bfloat162float(__nv_bfloat16 x) { return static_cast<float>(x); }
static __device__ __forceinline__ __nv_bfloat16 __float2bfloat16_rn(float v) { return __nv_bfloat16(v); }
static __device__ __forceinline__ __nv_bfloat16 __double2bfloat16(double v) {
  float f = static_cast<float>(v);
  if (fabs(static_cast<double>(f)) > fabs(v)) f = nextafterf(f, 0.0f);
  if (static_cast<double>(f) != v) f = __uint_as_float(__float_as_uint(f) | 1u);
  return __nv_bfloat16(f);
}
