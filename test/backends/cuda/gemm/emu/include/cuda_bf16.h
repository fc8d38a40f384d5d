// Stand-in for CUDA's <cuda_bf16.h> in the host emulation: generated GEMMs include it first, so it also brings in
// the emulated runtime (emu.h). bf16 is stored as its 16 bits; float -> bf16 rounds to nearest even (NaN stays NaN).
#pragma once

#include "../emu.h"

struct __nv_bfloat16 {
  uint16_t bits;
};
struct __nv_bfloat162 {
  __nv_bfloat16 x, y;
};

inline float __bfloat162float(__nv_bfloat16 h) { return ::emu::bf16_bits_to_float(h.bits); }

inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f)) return {static_cast<uint16_t>((u >> 16) | 0x40)};
  u += 0x7FFF + ((u >> 16) & 1);
  return {static_cast<uint16_t>(u >> 16)};
}

inline float2 __bfloat1622float2(__nv_bfloat162 h) { return {__bfloat162float(h.x), __bfloat162float(h.y)}; }
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) { return {__float2bfloat16_rn(a), __float2bfloat16_rn(b)}; }

template <class T>
inline T __ldcg(const T* p) {
  return *p;
}
