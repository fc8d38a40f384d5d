// Test driver of gemm_lt (backends/cuda/runtime/gemm-lt.h), run by gemm-lt.test.ts with host memory against
// fake-cublaslt.cpp (or no library at all):
//   check    runs row-major GEMMs of every transpose, type, batch and scale combination through gemm_lt and compares
//            them with a direct row-major reference; prints one line per case and exits 1 on a mismatch
//   reason   runs one GEMM and prints whether it ran, and the reason when it did not
// Matrices are small integers over 8 (exact in bf16 and in f32 sums), so results compare exactly.

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <dlfcn.h>

#include "float-bits.h"
#include "gemm-lt.h"

namespace {

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
};

/** Row-major reference: C = alpha op(A) op(B) + beta C over every batch, rounded to C's type. */
std::vector<float> reference(const trainc::GemmLtShape& s, const Matrix& a, const Matrix& b, const Matrix& c, float alpha, float beta) {
  std::vector<float> out;
  const size_t m = static_cast<size_t>(s.m), n = static_cast<size_t>(s.n), k = static_cast<size_t>(s.k);
  for (size_t z = 0; z < static_cast<size_t>(s.batch); z++) {
    for (size_t i = 0; i < m; i++) {
      for (size_t j = 0; j < n; j++) {
        double sum = 0;
        for (size_t l = 0; l < k; l++) {
          const float x = a.at(z * m * k + (s.trans_a ? l * m + i : i * k + l));
          const float y = b.at(z * k * n + (s.trans_b ? j * k + l : l * n + j));
          sum += static_cast<double>(x) * y;
        }
        const float v = static_cast<float>(alpha * sum + beta * static_cast<double>(c.at(z * m * n + i * n + j)));
        out.push_back(s.c == GemmType::F32 ? v : trainc::bf16_to_f32(trainc::f32_to_bf16(v)));
      }
    }
  }
  return out;
}

int heuristic_calls() {
  void* lib = dlopen("libcublasLt.so.13", RTLD_NOW | RTLD_NOLOAD);
  auto* count = lib != nullptr ? reinterpret_cast<int (*)()>(dlsym(lib, "fakeHeuristicCalls")) : nullptr;
  return count != nullptr ? count() : -1;
}

int check() {
  trainc::CublasLt lt;
  int failures = 0;
  const int64_t dims[][3] = {{3, 5, 7}, {1, 1, 1}, {8, 4, 16}};
  for (const auto& d : dims) {
    for (int variant = 0; variant < 32; variant++) {
      const trainc::GemmLtShape s{d[0], d[1], d[2], (variant & 1) != 0, (variant & 2) != 0, (variant & 4) ? GemmType::BF16 : GemmType::F32,
                                  (variant & 8) ? GemmType::BF16 : GemmType::F32, (variant & 16) ? 3 : 1};
      const float alpha = variant % 3 == 0 ? 1.0f : 0.5f;
      const float beta = variant % 5 == 0 ? 1.0f : 0.0f;
      const size_t batch = static_cast<size_t>(s.batch);
      Matrix a(s.ab, batch * static_cast<size_t>(s.m * s.k), 1);
      Matrix b(s.ab, batch * static_cast<size_t>(s.k * s.n), 2);
      Matrix c(s.c, batch * static_cast<size_t>(s.m * s.n), 3);
      const std::vector<float> want = reference(s, a, b, c, alpha, beta);
      std::string why;
      const bool ran = trainc::gemm_lt(lt, {s, a.data(), b.data(), c.data(), alpha, beta, nullptr, 0, nullptr}, &why);
      size_t wrong = 0;
      for (size_t i = 0; ran && i < want.size(); i++) wrong += c.at(i) != want[i];
      std::printf("%lldx%lldx%lld variant %d: %s\n", static_cast<long long>(s.m), static_cast<long long>(s.n), static_cast<long long>(s.k),
                  variant, !ran ? ("not run: " + why).c_str() : wrong ? "WRONG" : "ok");
      failures += !ran || wrong;
    }
  }
  trainc::GemmLtShape again{3, 5, 7, false, false, GemmType::F32, GemmType::F32, 1};
  Matrix a(GemmType::F32, 21, 1), b(GemmType::F32, 35, 2), c(GemmType::F32, 15, 3);
  std::string why;
  const int before = heuristic_calls();
  trainc::gemm_lt(lt, {again, a.data(), b.data(), c.data(), 1, 0, nullptr, 0, nullptr}, &why);
  std::printf("plans reused: %s\n", heuristic_calls() == before ? "yes" : "no");
  return failures == 0 ? 0 : 1;
}

int reason() {
  trainc::CublasLt lt;
  const trainc::GemmLtShape s{2, 2, 2, false, false, GemmType::BF16, GemmType::F32, 1};
  Matrix a(s.ab, 4, 1), b(s.ab, 4, 2), c(s.c, 4, 3);
  std::string why;
  const bool ran = trainc::gemm_lt(lt, {s, a.data(), b.data(), c.data(), 1, 0, nullptr, 0, nullptr}, &why);
  std::printf("%s\n", ran ? "ran" : ("fallback: " + why).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc == 2 ? argv[1] : "";
  if (command == "check") return check();
  if (command == "reason") return reason();
  std::fprintf(stderr, "usage: check | reason\n");
  return 2;
}
