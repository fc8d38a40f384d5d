// CUDA's cuda_fp16.h names for HIP: __half and its conversions (hip_fp16.h), plus the double one HIP 5.2 lacks.
#pragma once
#include <hip/hip_fp16.h>
static __device__ __forceinline__ __half __double2half(double v) { return __float2half_rn(static_cast<float>(v)); }
