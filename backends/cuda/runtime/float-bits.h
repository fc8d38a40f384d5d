// Conversions between f64/f32 and the 16-bit float formats safetensors stores (BF16: 8 exponent bits, 7 mantissa
// bits; F16: 5 and 10), the same rounding ir/tensor.ts's roundTo and compiler/import/float-bits.ts's encodeFloat
// do: round to nearest, ties to even, in one step from the source value (an f64 is never rounded to f32 first),
// with subnormals, overflow to infinity, and every NaN stored as the positive quiet NaN (BF16 0x7FC0, F16 0x7E00).
// Invariant: decoding is exact; encode(decode(code)) == code for every non-NaN code.

#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace trainc {

/** Bit layout of a 16-bit IEEE-style float format. */
struct HalfFormat {
  int exponent_bits;
  int mantissa_bits;
};

constexpr HalfFormat kBF16{8, 7};
constexpr HalfFormat kF16{5, 10};

inline uint64_t bits_of(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline uint32_t bits_of(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline float float_from_bits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/** `value` without its `shift` low bits, rounded to nearest even (0 when shift >= 64). */
inline uint64_t round_shifted(uint64_t value, int shift) {
  if (shift >= 64) return 0;
  const uint64_t keep = value >> shift;
  const uint64_t rest = value & ((uint64_t{1} << shift) - 1);
  const uint64_t half = uint64_t{1} << (shift - 1);
  return keep + ((rest > half || (rest == half && (keep & 1))) ? 1 : 0);
}

/** The code of `x` in format `f`, rounded to nearest even from the double in one step. */
inline uint16_t encode_half(double x, HalfFormat f) {
  const int m = f.mantissa_bits;
  const uint32_t top = (1u << f.exponent_bits) - 1;
  const uint64_t b = bits_of(x);
  const uint32_t sign = static_cast<uint32_t>(b >> 63) << 15;
  const int biased = static_cast<int>((b >> 52) & 0x7FF);
  const uint64_t fraction = b & ((uint64_t{1} << 52) - 1);
  if (biased == 0x7FF) return static_cast<uint16_t>(fraction != 0 ? (top << m) | (1u << (m - 1)) : sign | (top << m));
  if (biased == 0) return static_cast<uint16_t>(sign);  // f64 zero or subnormal: below every 16-bit subnormal
  const int bias = (1 << (f.exponent_bits - 1)) - 1;
  const int exponent = biased - 1023;
  const uint64_t significand = (uint64_t{1} << 52) | fraction;
  uint64_t code;
  if (exponent >= 1 - bias) {
    const uint64_t kept = round_shifted(significand, 52 - m);
    code = (static_cast<uint64_t>(exponent + bias) << m) + (kept - (uint64_t{1} << m));
  } else {
    code = round_shifted(significand, 52 + 1 - bias - m - exponent);
  }
  if (code >= (static_cast<uint64_t>(top) << m)) code = static_cast<uint64_t>(top) << m;
  return static_cast<uint16_t>(sign | code);
}

/** The value of a code of format `f` (exact in f32 for BF16 and F16). */
inline float decode_half(uint16_t code, HalfFormat f) {
  const int m = f.mantissa_bits;
  const uint32_t top = (1u << f.exponent_bits) - 1;
  const int bias = (1 << (f.exponent_bits - 1)) - 1;
  const uint32_t sign = static_cast<uint32_t>(code >> 15) << 31;
  const uint32_t exponent = (code >> m) & top;
  const uint32_t mantissa = code & ((1u << m) - 1);
  if (exponent == top) return float_from_bits(sign | 0x7F800000u | (mantissa << (23 - m)));
  if (exponent == 0) {
    const float magnitude = std::ldexp(static_cast<float>(mantissa), 1 - bias - m);
    return sign ? -magnitude : magnitude;
  }
  return float_from_bits(sign | ((exponent - bias + 127) << 23) | (mantissa << (23 - m)));
}

/** f32 -> BF16 code, round to nearest even (the fast path of encode_half(x, kBF16); same results). */
inline uint16_t f32_to_bf16(float x) {
  const uint32_t b = bits_of(x);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0;
  return static_cast<uint16_t>((b + 0x7FFFu + ((b >> 16) & 1)) >> 16);
}

/** BF16 code -> f32 (exact). */
inline float bf16_to_f32(uint16_t code) { return float_from_bits(static_cast<uint32_t>(code) << 16); }

}  // namespace trainc
