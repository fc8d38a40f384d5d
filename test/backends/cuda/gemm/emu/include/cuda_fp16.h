// Stand-in for CUDA's <cuda_fp16.h> in the host emulation: f16 is stored as its 16 bits (conversions: half-bits.h).
#pragma once

#include "../emu.h"

struct __half {
  uint16_t bits;
};
struct __half2 {
  __half x, y;
};

inline float __half2float(__half h) { return half_bits::f16_to_float(h.bits); }
inline __half __float2half_rn(float f) { return {half_bits::float_to_f16(f)}; }

inline float2 __half22float2(__half2 h) { return {__half2float(h.x), __half2float(h.y)}; }
inline __half2 __floats2half2_rn(float a, float b) { return {__float2half_rn(a), __float2half_rn(b)}; }
