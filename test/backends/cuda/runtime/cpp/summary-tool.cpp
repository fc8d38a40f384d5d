// Test driver of the run's profile and summary files (backends/cuda/runtime/run-summary.h), run by summary.test.ts:
//   summary <file>   reads {"seconds": [...], "tokens": [...], "memory": [predicted, arena, peak_used],
//                    "gemms": [generated, cublaslt]} on stdin and writes summary.json's text to <file>
//   profile <file>   writes the profile of a made-up run to <file>: launches of a three-entry launch table (a fused
//                    kernel, a GEMM on cuBLASLt, an optimizer kernel), timed 0.5, 1.25 and 0.125 ms, in a step of 2 ms
// Errors print as the runtime prints them (error[E...]) with exit status 1.

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "error.h"
#include "json.h"
#include "run-summary.h"

namespace {

int summary(const std::string& file) {
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const trainc::json::Value doc = trainc::json::parse(input);
  trainc::RunSummary s{};
  for (const auto& v : doc.find("seconds")->items) s.step_seconds.push_back(v.number);
  for (const auto& v : doc.find("tokens")->items) s.step_tokens.push_back(static_cast<int64_t>(v.number));
  const auto& memory = doc.find("memory")->items;
  s.memory = {static_cast<uint64_t>(memory.at(0).number), static_cast<uint64_t>(memory.at(1).number), static_cast<uint64_t>(memory.at(2).number)};
  s.generated_gemms = static_cast<size_t>(doc.find("gemms")->items.at(0).number);
  s.cublaslt_gemms = static_cast<size_t>(doc.find("gemms")->items.at(1).number);
  trainc::write_report_file(file, trainc::summary_json(s), "run summary");
  return 0;
}

int profile(const std::string& file) {
  static const trainc::LaunchInfo launches[] = {
      {"micro_step", "k0_fused", "fused_0123456789abcdef", "fused", 16.0, -1},
      {"micro_step", "k1_matmul", "gemm_fedcba9876543210", "matmul", 68719476736.0, 0},
      {"optimizer_step", "k0_adamw", "adamw_00112233445566", "adamw", 0.0, -1},
  };
  const std::vector<trainc::LaunchTime> times{{&launches[0], "", 0.5}, {&launches[1], "cublaslt", 1.25}, {&launches[2], "", 0.125}};
  trainc::write_report_file(file, trainc::profile_json(2, times), "kernel profile");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&]() -> int {
    const std::string command = argc == 3 ? argv[1] : "";
    if (command == "summary") return summary(argv[2]);
    if (command == "profile") return profile(argv[2]);
    std::fprintf(stderr, "usage: summary <file> | profile <file>\n");
    return 2;
  });
}
