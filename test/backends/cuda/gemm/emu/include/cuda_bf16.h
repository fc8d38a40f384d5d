// Stand-in for CUDA's <cuda_bf16.h> in the host emulation: generated GEMMs include it first, so it also brings in
// the emulated runtime (emu.h). bf16 is stored as its 16 bits (conversions: half-bits.h).
#pragma once

#include "../emu.h"

struct __nv_bfloat16 {
  uint16_t bits;
};
struct __nv_bfloat162 {
  __nv_bfloat16 x, y;
};

inline float __bfloat162float(__nv_bfloat16 h) { return half_bits::bf16_to_float(h.bits); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return {half_bits::float_to_bf16(f)}; }

inline float2 __bfloat1622float2(__nv_bfloat162 h) { return {__bfloat162float(h.x), __bfloat162float(h.y)}; }
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) { return {__float2bfloat16_rn(a), __float2bfloat16_rn(b)}; }

template <class T>
inline T __ldcg(const T* p) {
  return *p;
}
