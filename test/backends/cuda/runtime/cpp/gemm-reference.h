// Host matrices and the row-major reference GEMM shared by the gemm_lt and GEMM-choice test drivers (gemm-tool.cpp,
// choice-tool.cpp): C = alpha op(A) op(B) + beta C over every batch entry (a broadcast operand stored once), rounded to
// C's type. Matrices hold small multiples of 1/8 (exact in bf16 and in f32 sums), so results compare exactly.

#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "float-bits.h"
#include "gemm-lt.h"

namespace gemm_test {

using trainc::GemmType;

/** A host matrix stored in `type`: f32 values or bf16 codes. */
struct Matrix {
  GemmType type;
  std::vector<float> f32;
  std::vector<uint16_t> bf16;

  Matrix(GemmType t, size_t n, int seed) : type(t) {
    for (size_t i = 0; i < n; i++) {
      const float v = static_cast<float>(static_cast<int>((i * 7 + static_cast<size_t>(seed) * 13) % 17) - 8) / 8.0f;
      f32.push_back(v);
      bf16.push_back(trainc::f32_to_bf16(v));
    }
  }
  void* data() { return type == GemmType::F32 ? static_cast<void*>(f32.data()) : static_cast<void*>(bf16.data()); }
  float at(size_t i) const { return type == GemmType::F32 ? f32[i] : trainc::bf16_to_f32(bf16[i]); }
  void zero() {
    for (float& v : f32) v = 0;
    for (uint16_t& v : bf16) v = 0;
  }
};

/** Elements of A, B and C (a broadcast operand holds one matrix). */
inline size_t elements_a(const trainc::GemmLtShape& s) { return static_cast<size_t>((s.broadcast_a ? 1 : s.batch) * s.m * s.k); }
inline size_t elements_b(const trainc::GemmLtShape& s) { return static_cast<size_t>((s.broadcast_b ? 1 : s.batch) * s.k * s.n); }
inline size_t elements_c(const trainc::GemmLtShape& s) { return static_cast<size_t>(s.batch * s.m * s.n); }

/** Row-major reference: C = alpha op(A) op(B) + beta C over every batch, rounded to C's type. */
inline std::vector<float> reference(const trainc::GemmLtShape& s, const Matrix& a, const Matrix& b, const Matrix& c, float alpha, float beta) {
  std::vector<float> out;
  const size_t m = static_cast<size_t>(s.m), n = static_cast<size_t>(s.n), k = static_cast<size_t>(s.k);
  for (size_t z = 0; z < static_cast<size_t>(s.batch); z++) {
    const size_t az = s.broadcast_a ? 0 : z * m * k;
    const size_t bz = s.broadcast_b ? 0 : z * k * n;
    for (size_t i = 0; i < m; i++) {
      for (size_t j = 0; j < n; j++) {
        double sum = 0;
        for (size_t l = 0; l < k; l++) {
          const float x = a.at(az + (s.trans_a ? l * m + i : i * k + l));
          const float y = b.at(bz + (s.trans_b ? j * k + l : l * n + j));
          sum += static_cast<double>(x) * y;
        }
        const float v = static_cast<float>(alpha * sum + beta * static_cast<double>(c.at(z * m * n + i * n + j)));
        out.push_back(s.c == GemmType::F32 ? v : trainc::bf16_to_f32(trainc::f32_to_bf16(v)));
      }
    }
  }
  return out;
}

/** Elements of `c` that differ from `want`. */
inline size_t mismatches(const Matrix& c, const std::vector<float>& want) {
  size_t wrong = 0;
  for (size_t i = 0; i < want.size(); i++) wrong += c.at(i) != want[i];
  return wrong;
}

}  // namespace gemm_test
