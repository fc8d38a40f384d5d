// JavaScript's number formatting, so the CUDA program prints exactly what the cpu target prints
// (compiler/train/report.ts): String(x) and JSON.stringify(x) (shortest round-trip digits, JavaScript's choice of
// plain or exponent notation), x.toFixed(f) and x.toExponential(f) (the exact decimal value rounded half up, as the
// ECMAScript spec picks "the larger n" on a tie), Math.round, and an integer's toLocaleString("en-US").
// Invariant: exact decimal expansions come from glibc's printf, which prints every digit of a double exactly at
// any precision; kExactDigits covers the longest expansion a double has (1074 fractional digits).

#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace trainc::js {

/** Digits after the point that print any double exactly (%f needs 1074, %e at most 767 significant digits). */
constexpr int kExactDigits = 1100;

namespace detail {

/** printf of `x` with format `%.<kExactDigits><conversion>`. */
inline std::string exact(double x, char conversion) {
  const char format[] = {'%', '.', '*', conversion, '\0'};
  const int n = std::snprintf(nullptr, 0, format, kExactDigits, x);
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, kExactDigits, x);
  out.resize(static_cast<size_t>(n));
  return out;
}

/** Adds one to a string of decimal digits, growing it on a carry out of the first digit. */
inline std::string increment(std::string digits) {
  for (size_t i = digits.size(); i-- > 0;) {
    if (digits[i] != '9') {
      digits[i]++;
      return digits;
    }
    digits[i] = '0';
  }
  return "1" + digits;
}

/** Shortest round-trip decimal digits of a finite a > 0, and n such that a = 0.digits * 10^n. */
inline std::string shortest(double a, int* n) {
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, a, std::chars_format::scientific).ptr;
  const std::string text(buffer, end);
  const size_t e = text.find('e');
  *n = std::atoi(text.c_str() + e + 1) + 1;
  return text.substr(0, 1) + (e > 1 ? text.substr(2, e - 2) : "");
}

}  // namespace detail

/** String(x): Number::toString. */
inline std::string to_string(double x) {
  if (std::isnan(x)) return "NaN";
  if (x == 0) return "0";
  if (x < 0) return "-" + to_string(-x);
  if (std::isinf(x)) return "Infinity";
  int n = 0;
  const std::string digits = detail::shortest(x, &n);
  const int k = static_cast<int>(digits.size());
  if (k <= n && n <= 21) return digits + std::string(static_cast<size_t>(n - k), '0');
  if (0 < n && n <= 21) return digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  if (-6 < n && n <= 0) return "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  const int exponent = n - 1;
  const std::string tail = std::string("e") + (exponent < 0 ? "-" : "+") + std::to_string(std::abs(exponent));
  return k == 1 ? digits + tail : digits.substr(0, 1) + "." + digits.substr(1) + tail;
}

/** JSON.stringify(x): String(x), or null for NaN and infinities. */
inline std::string json_number(double x) { return std::isfinite(x) ? to_string(x) : "null"; }

/** x.toFixed(f) for 0 <= f <= 100. */
inline std::string to_fixed(double x, int f) {
  if (std::isnan(x)) return "NaN";
  if (std::fabs(x) >= 1e21) return to_string(x);
  if (x < 0) return "-" + to_fixed(-x, f);
  const std::string text = detail::exact(std::fabs(x), 'f');  // fabs: -0 prints as 0
  const size_t point = text.find('.');
  std::string digits = text.substr(0, point) + text.substr(point + 1, static_cast<size_t>(f));
  if (text[point + 1 + static_cast<size_t>(f)] >= '5') digits = detail::increment(digits);
  if (f == 0) return digits;
  return digits.substr(0, digits.size() - static_cast<size_t>(f)) + "." + digits.substr(digits.size() - static_cast<size_t>(f));
}

/** x.toExponential(f) for 0 <= f <= 100. */
inline std::string to_exponential(double x, int f) {
  if (std::isnan(x)) return "NaN";
  if (x < 0) return "-" + to_exponential(-x, f);
  if (std::isinf(x)) return "Infinity";
  std::string digits(static_cast<size_t>(f) + 1, '0');
  int exponent = 0;
  if (x != 0) {
    const std::string text = detail::exact(x, 'e');
    const size_t e = text.find('e');
    const std::string all = text.substr(0, 1) + text.substr(2, e - 2);
    exponent = std::atoi(text.c_str() + e + 1);
    digits = all.substr(0, static_cast<size_t>(f) + 1);
    if (all[static_cast<size_t>(f) + 1] >= '5') digits = detail::increment(digits);
    if (digits.size() > static_cast<size_t>(f) + 1) {
      digits.pop_back();
      exponent++;
    }
  }
  const std::string mantissa = f == 0 ? digits : digits.substr(0, 1) + "." + digits.substr(1);
  return mantissa + "e" + (exponent < 0 ? "-" : "+") + std::to_string(std::abs(exponent));
}

/** Math.round(x): the nearest integer, halves toward +infinity, -0 for x in [-0.5, 0). */
inline double math_round(double x) {
  if (!std::isfinite(x)) return x;
  if (x < 0 && x >= -0.5) return -0.0;
  const double below = std::floor(x);
  return x - below >= 0.5 ? below + 1 : below;
}

/**
 * An integral value's toLocaleString("en-US"): its shortest round-trip digits (zero-filled to the units, as Intl
 * prints doubles beyond 2^53) grouped by commas.
 */
inline std::string locale_integer(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x < 0 ? "-\u221e" : "\u221e";
  std::string whole = "0";
  if (x != 0) {
    int n = 0;
    const std::string digits = detail::shortest(std::fabs(x), &n);
    whole = digits + std::string(static_cast<size_t>(n) - digits.size(), '0');
  }
  std::string out;
  for (size_t i = 0; i < whole.size(); i++) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  return (std::signbit(x) ? "-" : "") + out;
}

}  // namespace trainc::js
