// Stand-in for CUDA's <cuda_fp16.h> in the host emulation: f16 is stored as its 16 bits; float -> f16 rounds to
// nearest even, with subnormals, overflow to infinity, and NaN kept a (quiet) NaN.
#pragma once

#include "../emu.h"

struct __half {
  uint16_t bits;
};
struct __half2 {
  __half x, y;
};

inline float __half2float(__half h) { return ::emu::f16_bits_to_float(h.bits); }

inline __half __float2half_rn(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  if (std::isnan(f)) return {static_cast<uint16_t>(sign | 0x7E00)};
  const float a = std::fabs(f);
  if (a >= 65520.0f) return {static_cast<uint16_t>(sign | 0x7C00)};
  // Multiples of 2^-24 below 2^-14 (subnormals), of 2^(e-10) in [2^e, 2^(e+1)): round a / step to an integer, evenly.
  const int e = a < 0x1p-14f ? -14 : std::ilogb(a);
  const float steps = std::nearbyint(std::ldexp(a, 10 - e));
  const uint32_t q = static_cast<uint32_t>(steps);
  if (e == -14 && q < 0x400) return {static_cast<uint16_t>(sign | q)};
  const uint32_t bits = (static_cast<uint32_t>(e + 15) << 10) + (q - 0x400);
  return {static_cast<uint16_t>(sign | bits)};
}

inline float2 __half22float2(__half2 h) { return {__half2float(h.x), __half2float(h.y)}; }
inline __half2 __floats2half2_rn(float a, float b) { return {__float2half_rn(a), __float2half_rn(b)}; }
