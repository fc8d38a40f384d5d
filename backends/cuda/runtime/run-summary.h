// What a CUDA training run writes about itself besides metrics.jsonl (plain C++17, no CUDA):
//   --profile <file>          {"step_ms": S, "kernels": [{"graph": "micro_step", "kernel": "k12_matmul",
//                              "source": "gemm_0123abcd", "kind": "matmul", "backend": "cublaslt", "ms": 0.123,
//                              "flops": 68719476736}, ...]}
//                             one object per kernel launch of one micro_step and one optimizer_step, in launch
//                             order; backend is "generated" or "cublaslt" for a GEMM, "" for any other kernel; flops
//                             are the compiler's count for the launch (0 where it counts none); step_ms is the GPU
//                             time of the two graphs, copies and gaps between launches included
//   <output_dir>/summary.json {"steps": N, "tokens_per_second": R, "step_seconds": [...],
//                              "device_memory": {"predicted_bytes": P, "arena_bytes": A, "peak_used_bytes": U},
//                              "gemm_backends": {"generated": n, "cublaslt": m}}
//                             R is the median over steps 3..N of input tokens / step seconds (null when N < 3);
//                             step_seconds are wall-clock seconds per optimizer step (every micro-step, the
//                             optimizer step and reading batches; checkpoints excluded); P is the compiler's
//                             predicted peak, A what the arenas allocated, U the most device memory in use at the end
//                             of steps 1-3 less what was in use right after the CUDA context was created
// Numbers are written as JavaScript's JSON.stringify writes them (js-format.h).
// Invariant: a file is written whole or not at all (a temporary name renamed into place).

#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "error.h"
#include "js-format.h"
#include "json.h"

namespace trainc {

/** One kernel launch of the program, as the host emitter tabulates them (gemm: its GEMM site, or -1). */
struct LaunchInfo {
  const char* graph;
  const char* kernel;
  const char* source;
  const char* kind;
  double flops;
  int gemm;
};

/** What one launch of a profiled run took, and the GEMM backend it ran on ("" when it is no GEMM). */
struct LaunchTime {
  const LaunchInfo* launch;
  std::string backend;
  double ms;
};

/** The --profile file's text (see the file comment). */
inline std::string profile_json(double step_ms, const std::vector<LaunchTime>& times) {
  std::string text = "{\"step_ms\": " + js::json_number(step_ms) + ", \"kernels\": [";
  for (size_t i = 0; i < times.size(); i++) {
    const LaunchInfo& l = *times[i].launch;
    text += std::string(i == 0 ? "\n" : ",\n") + "  {\"graph\": " + json::quote(l.graph) + ", \"kernel\": " + json::quote(l.kernel) +
            ", \"source\": " + json::quote(l.source) + ", \"kind\": " + json::quote(l.kind) + ", \"backend\": " + json::quote(times[i].backend) +
            ", \"ms\": " + js::json_number(times[i].ms) + ", \"flops\": " + js::json_number(l.flops) + "}";
  }
  return text + (times.empty() ? "]}\n" : "\n]}\n");
}

/** Device memory of a run, in bytes (see the file comment). */
struct DeviceMemory {
  uint64_t predicted;
  uint64_t arena;
  uint64_t peak_used;
};

/** Everything summary.json holds. */
struct RunSummary {
  std::vector<double> step_seconds;
  /** Input tokens of each step, beside step_seconds. */
  std::vector<int64_t> step_tokens;
  DeviceMemory memory;
  size_t generated_gemms;
  size_t cublaslt_gemms;
};

/** Steps before this one (0-based) are left out of the throughput: they include start-up work. */
constexpr size_t kSteadyFromStep = 2;

/** Median input tokens per second over the steps from kSteadyFromStep on; NaN when there are none. */
inline double steady_tokens_per_second(const RunSummary& s) {
  std::vector<double> rates;
  for (size_t i = kSteadyFromStep; i < s.step_seconds.size(); i++) rates.push_back(static_cast<double>(s.step_tokens.at(i)) / s.step_seconds[i]);
  if (rates.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(rates.begin(), rates.end());
  const size_t mid = rates.size() / 2;
  return rates.size() % 2 == 1 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

/** summary.json's text (see the file comment). */
inline std::string summary_json(const RunSummary& s) {
  std::string seconds;
  for (size_t i = 0; i < s.step_seconds.size(); i++) seconds += (i == 0 ? "" : ", ") + js::json_number(s.step_seconds[i]);
  return "{\"steps\": " + std::to_string(s.step_seconds.size()) + ", \"tokens_per_second\": " + js::json_number(steady_tokens_per_second(s)) +
         ", \"step_seconds\": [" + seconds + "],\n \"device_memory\": {\"predicted_bytes\": " + std::to_string(s.memory.predicted) +
         ", \"arena_bytes\": " + std::to_string(s.memory.arena) + ", \"peak_used_bytes\": " + std::to_string(s.memory.peak_used) +
         "},\n \"gemm_backends\": {\"generated\": " + std::to_string(s.generated_gemms) + ", \"cublaslt\": " + std::to_string(s.cublaslt_gemms) +
         "}}\n";
}

/** Writes `text` to `path` whole (a temporary file renamed into place); error 6521 naming `what` when it cannot. */
inline void write_report_file(const std::string& path, const std::string& text, const char* what) {
  const std::string partial = path + ".partial";
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  bool ok = f != nullptr && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  int error = errno;
  if (f != nullptr && std::fclose(f) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (ok && std::rename(partial.c_str(), path.c_str()) != 0) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    std::remove(partial.c_str());
    fail(6521, std::string("cannot write the ") + what + " '" + path + "': " + std::strerror(error),
         "check that the folder exists, is writable and the disk has room");
  }
}

}  // namespace trainc
