// Test driver of the per-GEMM choice (backends/cuda/runtime/gemm-choice.h), run by gemm-choice.test.ts on host memory
// against fake-cublaslt.cpp (or no library):
//   choose <mode> <generated_ms> <library_ms> [<tuned,...>]
//            makes four GEMM sites (two of one shape, one with A broadcast over a batch, one with B broadcast and A
//            transposed), whose generated kernel is the host reference (gemm-reference.h), and a timer that says
//            generated_ms for the generated kernel and library_ms for cuBLASLt; prints the start line, runs
//            choose() (notes to stdout), prints each site's backend, the choice line and how many times each
//            candidate ran, then launches every site the way a launch function does and checks its result; the
//            optional list gives the sites' GemmSite::tuned values (-2 untuned, -1 generated, 0... a cuBLASLt algorithm)
// Errors print as the runtime prints them (error[E...]) with exit status 1.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "error.h"
#include "gemm-choice.h"
#include "gemm-reference.h"

namespace {

using gemm_test::Matrix;
using trainc::GemmType;

/** A site's host buffers. */
struct Buffers {
  trainc::GemmLtShape shape;
  Matrix a, b, c;
  explicit Buffers(const trainc::GemmLtShape& s)
      : shape(s), a(s.ab, gemm_test::elements_a(s), 1), b(s.ab, gemm_test::elements_b(s), 2), c(s.c, gemm_test::elements_c(s), 3) {}
};

int generated_runs = 0;
int library_runs = 0;

/** What the generated kernel of `buffers` computes: the reference product into C. */
void generated(Buffers& buffers) {
  generated_runs++;
  Matrix zero = buffers.c;
  zero.zero();
  const std::vector<float> product = gemm_test::reference(buffers.shape, buffers.a, buffers.b, zero, 1, 0);
  for (size_t i = 0; i < product.size(); i++) {
    if (buffers.c.type == GemmType::F32) buffers.c.f32[i] = product[i];
    else buffers.c.bf16[i] = trainc::f32_to_bf16(product[i]);
  }
}

int choose(const char* mode_text, double generated_ms, double library_ms, const std::vector<int>& tuned) {
  const trainc::GemmMode mode = trainc::gemm_mode(mode_text);
  std::vector<Buffers> buffers{
      Buffers({3, 5, 7, false, true, GemmType::F32, GemmType::F32, 1, false, false}),
      Buffers({3, 5, 7, false, true, GemmType::F32, GemmType::F32, 1, false, false}),
      Buffers({4, 3, 6, false, false, GemmType::BF16, GemmType::BF16, 2, true, false}),
      Buffers({2, 4, 5, true, false, GemmType::BF16, GemmType::F32, 3, false, true}),
  };
  std::vector<trainc::GemmSite> sites;
  for (size_t i = 0; i < buffers.size(); i++) {
    Buffers& b = buffers[i];
    sites.push_back({"g k" + std::to_string(i), b.shape, b.a.data(), b.b.data(), b.c.data(), [&b](cudaStream_t) { generated(b); },
                     i < tuned.size() ? tuned[i] : trainc::kUntuned});
  }
  const trainc::GemmTimer timer = [&](const std::function<void()>& work) {
    const int before = generated_runs;
    work();
    if (generated_runs > before) return generated_ms;
    library_runs++;
    return library_ms;
  };
  trainc::GemmChooser chooser(mode, nullptr);
  std::printf("%s\n", chooser.library_line().c_str());
  chooser.choose(sites, nullptr, timer, stdout);
  for (size_t i = 0; i < sites.size(); i++) std::printf("%s: %s\n", sites[i].label.c_str(), trainc::backend_name(chooser.backend(i)));
  std::printf("%s\n", chooser.choice_line().c_str());
  std::printf("timed: generated %d, cuBLASLt %d\n", generated_runs, library_runs);
  for (size_t i = 0; i < buffers.size(); i++) {
    Buffers& b = buffers[i];
    Matrix zero = b.c;
    zero.zero();
    const std::vector<float> want = gemm_test::reference(b.shape, b.a, b.b, zero, 1, 0);
    b.c.zero();
    const bool library = chooser.run_library(i, nullptr);
    if (!library) generated(b);
    std::printf("%s ran on %s: %s\n", sites[i].label.c_str(), library ? "cuBLASLt" : "its generated kernel", gemm_test::mismatches(b.c, want) ? "WRONG" : "ok");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&]() -> int {
    if ((argc != 5 && argc != 6) || std::string(argv[1]) != "choose") {
      std::fprintf(stderr, "usage: choose <mode> <generated_ms> <library_ms> [<tuned,...>]\n");
      return 2;
    }
    std::vector<int> tuned;
    for (const char* p = argc == 6 ? argv[5] : ""; *p != '\0'; p += *p == ',') tuned.push_back(static_cast<int>(std::strtol(p, const_cast<char**>(&p), 10)));
    return choose(argv[2], std::atof(argv[3]), std::atof(argv[4]), tuned);
  });
}
