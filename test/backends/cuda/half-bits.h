// The 16-bit float formats as bits, for the CPU emulations of CUDA (gemm/emu and attention/emu): bf16 and f16 to
// float (exact) and float to each, rounded to nearest even as CUDA's __float2bfloat16_rn / __float2half_rn do (f16
// with subnormals and overflow to infinity; NaN stays a quiet NaN).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace half_bits {

inline float bf16_to_float(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f)) return static_cast<uint16_t>((u >> 16) | 0x40);
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

inline float f16_to_float(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  const float sign = (bits & 0x8000) ? -1.0f : 1.0f;
  if (exponent == 0x1F) return mantissa ? NAN : sign * INFINITY;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
}

inline uint16_t float_to_f16(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (std::isnan(f)) return sign | 0x7E00;
  const float a = std::fabs(f);
  if (a >= 65520.0f) return sign | 0x7C00;
  // Multiples of 2^-24 below 2^-14 (subnormals), of 2^(e-10) in [2^e, 2^(e+1)): round a / step to an integer, evenly.
  const int e = a < 0x1p-14f ? -14 : std::ilogb(a);
  const uint32_t q = static_cast<uint32_t>(std::nearbyint(std::ldexp(a, 10 - e)));
  if (e == -14 && q < 0x400) return static_cast<uint16_t>(sign | q);
  return static_cast<uint16_t>(sign | ((static_cast<uint32_t>(e + 15) << 10) + (q - 0x400)));
}

// The value of 16 bits of f16 (when f16) or bf16, and a float rounded to one of them.
inline float to_float(uint16_t bits, bool f16) { return f16 ? f16_to_float(bits) : bf16_to_float(bits); }
inline uint16_t from_float(float f, bool f16) { return f16 ? float_to_f16(f) : float_to_bf16(f); }

}  // namespace half_bits
