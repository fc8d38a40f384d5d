// Test driver of gemm_lt (backends/cuda/runtime/gemm-lt.h), run by gemm-lt.test.ts with host memory against
// fake-cublaslt.cpp (or no library at all):
//   check    runs row-major GEMMs of every transpose, type, batch, broadcast and scale combination through gemm_lt and
//            compares them with a direct row-major reference (gemm-reference.h); prints one line per case and exits 1
//            on a mismatch
//   reason   runs one GEMM and prints whether it ran, and the reason when it did not

#include <cstdio>
#include <string>
#include <vector>

#include <dlfcn.h>

#include "gemm-lt.h"
#include "gemm-reference.h"

namespace {

using gemm_test::Matrix;
using trainc::GemmType;

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
    for (int variant = 0; variant < 128; variant++) {
      const bool batched = (variant & 16) != 0;
      const trainc::GemmLtShape s{d[0], d[1], d[2], (variant & 1) != 0, (variant & 2) != 0, (variant & 4) ? GemmType::BF16 : GemmType::F32,
                                  (variant & 8) ? GemmType::BF16 : GemmType::F32, batched ? 3 : 1, batched && (variant & 32) != 0,
                                  batched && (variant & 64) != 0};
      const float alpha = variant % 3 == 0 ? 1.0f : 0.5f;
      const float beta = variant % 5 == 0 ? 1.0f : 0.0f;
      Matrix a(s.ab, gemm_test::elements_a(s), 1);
      Matrix b(s.ab, gemm_test::elements_b(s), 2);
      Matrix c(s.c, gemm_test::elements_c(s), 3);
      const std::vector<float> want = gemm_test::reference(s, a, b, c, alpha, beta);
      std::string why;
      const bool ran = trainc::gemm_lt(lt, {s, a.data(), b.data(), c.data(), alpha, beta, nullptr, 0, nullptr}, &why);
      const size_t wrong = ran ? gemm_test::mismatches(c, want) : 0;
      std::printf("%lldx%lldx%lld variant %d: %s\n", static_cast<long long>(s.m), static_cast<long long>(s.n), static_cast<long long>(s.k),
                  variant, !ran ? ("not run: " + why).c_str() : wrong ? "WRONG" : "ok");
      failures += !ran || wrong;
    }
  }
  trainc::GemmLtShape again{3, 5, 7, false, false, GemmType::F32, GemmType::F32, 1, false, false};
  Matrix a(GemmType::F32, 21, 1), b(GemmType::F32, 35, 2), c(GemmType::F32, 15, 3);
  std::string why;
  const int before = heuristic_calls();
  trainc::gemm_lt(lt, {again, a.data(), b.data(), c.data(), 1, 0, nullptr, 0, nullptr}, &why);
  std::printf("plans reused: %s\n", heuristic_calls() == before ? "yes" : "no");
  return failures == 0 ? 0 : 1;
}

int reason() {
  trainc::CublasLt lt;
  const trainc::GemmLtShape s{2, 2, 2, false, false, GemmType::BF16, GemmType::F32, 1, false, false};
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
