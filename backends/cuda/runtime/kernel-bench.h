// Validate-then-time harness for the autotuner's candidates of kernels other than GEMMs (fused, reduce, AdamW,
// attention: autotune/cuda-measure.ts writes the binaries). A binary defines its kernels, each with its buffers
// (element type, count, role) and its candidates (a setup and a launch function each, the heuristic first). A
// candidate may be several launches (attention's backward) sharing scratch buffers (zeroed before a check, never
// compared). For each kernel: random inputs on the device, signed (floats in [-1, 1), integers in [0, 4), flags 0 or
// 1), or positive (floats in [0.5, 1.5), integers in [1, 5)) where the heuristic raises a device error or writes
// values that are not finite on signed ones (a square root, a logarithm, an AdamW step of 0); document ranges one
// document per row (random ones would not partition the row). The heuristic's outputs on them are the reference (the
// test suite checks every heuristic against the interpreter). Then per candidate: validate (outputs filled with NaN
// bytes first, workspace zeroed: every float output within a relative error ||out - ref|| / ||ref|| of 1e-4 (2e-2 for
// 16- and 8-bit floats: a split reduction adds in another order), finite wherever the reference is, integer outputs
// equal, no device error raised), then time (warm-up, L2 flushed before every run, CUDA events around the workspace
// clear and the launches, median of the repeats: bench-common.h).
// Invariants: a candidate is timed only after it validated; --json prints exactly one line per candidate, in order,
// so the caller matches lines to candidates; a launch that fails (too many resources) is that candidate's error; an
// error that breaks the context (an illegal address) ends the binary with status 2, so the caller blames the
// candidate it was measuring. The including file defines the device error variables (device-error.ts) first.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "bench-common.h"

namespace kernel_bench {

/** Element types of buffers (BOOL: one byte holding 0 or 1). */
enum class Type { F64, F32, F16, BF16, F8E4M3, F8E5M2, I64, I32, I8, U8, BOOL };

/**
 * What a buffer is to the kernel: random input, result compared with the reference, state between launches, or
 * document ranges [B, T, 2] (int32: one document per row of `tokens` positions, [0, T) at every position).
 */
enum class Role { Input, Output, Scratch, Ranges };

struct Buffer {
  Type type;
  size_t count;
  Role role;
  long long tokens;  // Ranges only
};

struct Candidate {
  const char* config;
  void (*setup)();
  /** Launches (all of the candidate's kernels) on `stream` with the buffers in order and the zeroed workspace. */
  void (*launch)(void* const* buffers, void* workspace, cudaStream_t stream);
  size_t workspace_bytes;
};

struct Kernel {
  const char* name;
  const Buffer* buffers;
  int buffer_count;
  const Candidate* candidates;
  int candidate_count;
};

struct Options {
  int repeats = 20;
  int warmup = 3;
  bool json = false;
};

enum class Domain { Signed, Positive };

inline size_t type_bytes(Type t) {
  switch (t) {
    case Type::F64: case Type::I64: return 8;
    case Type::F32: case Type::I32: return 4;
    case Type::F16: case Type::BF16: return 2;
    default: return 1;
  }
}

inline bool is_float(Type t) { return t == Type::F64 || t == Type::F32 || t == Type::F16 || t == Type::BF16 || t == Type::F8E4M3 || t == Type::F8E5M2; }
inline bool is_narrow(Type t) { return is_float(t) && type_bytes(t) <= 2; }

__device__ __forceinline__ double as_double(double v) { return v; }
__device__ __forceinline__ double as_double(float v) { return v; }
__device__ __forceinline__ double as_double(__half v) { return __half2float(v); }
__device__ __forceinline__ double as_double(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ double as_double(__nv_fp8_e4m3 v) { return static_cast<float>(v); }
__device__ __forceinline__ double as_double(__nv_fp8_e5m2 v) { return static_cast<float>(v); }
template <class T> __device__ __forceinline__ double as_double(T v) { return static_cast<double>(v); }

template <class T> __device__ __forceinline__ T from_double(double v) { return static_cast<T>(v); }
template <> __device__ __forceinline__ __half from_double<__half>(double v) { return __float2half_rn(static_cast<float>(v)); }
template <> __device__ __forceinline__ __nv_bfloat16 from_double<__nv_bfloat16>(double v) { return __float2bfloat16_rn(static_cast<float>(v)); }
template <> __device__ __forceinline__ __nv_fp8_e4m3 from_double<__nv_fp8_e4m3>(double v) { return __nv_fp8_e4m3(static_cast<float>(v)); }
template <> __device__ __forceinline__ __nv_fp8_e5m2 from_double<__nv_fp8_e5m2>(double v) { return __nv_fp8_e5m2(static_cast<float>(v)); }

/** Random values of `domain` (see the header): floats when `real`, integers otherwise, 0 or 1 when `flag`. */
template <class T>
__global__ void fill(T* p, size_t n, uint64_t seed, bool real, bool flag, bool positive) {
  BENCH_LOOP(i, n) {
    const double u = static_cast<double>(bench::mix(seed * 0x100000001B3ull + i) >> 11) / 9007199254740992.0;
    const double v = flag ? (u < 0.5 ? 0 : 1) : real ? (positive ? u + 0.5 : 2 * u - 1) : std::floor(4 * u) + (positive ? 1 : 0);
    p[i] = from_double<T>(v);
  }
}

template <class T>
__global__ void widen(const T* p, size_t n, double* out) {
  BENCH_LOOP(i, n) out[i] = as_double(p[i]);
}

/** acc = {sum of squared differences, sum of squared references, mismatches}: over finite references, a difference;
 * elsewhere (or for integers) a mismatch when the values differ (NaN matching NaN). */
template <class T>
__global__ void compare(const T* got, const double* ref, size_t n, bool real, double* acc) {
  double diff = 0, norm = 0, bad = 0;
  BENCH_LOOP(i, n) {
    const double g = as_double(got[i]), r = ref[i];
    if (real && isfinite(r)) {
      if (!isfinite(g)) bad += 1;
      diff += (g - r) * (g - r);
      norm += r * r;
    } else if (!(g == r || (isnan(g) && isnan(r)))) {
      bad += 1;
    }
  }
  atomicAdd(&acc[0], diff);
  atomicAdd(&acc[1], norm);
  atomicAdd(&acc[2], bad);
}

__global__ void fill_ranges(int* p, size_t n, long long tokens) {
  BENCH_LOOP(i, n) p[i] = i % 2 == 0 ? 0 : static_cast<int>(tokens);
}

using bench::blocks_for;
using bench::kThreads;

/** Calls f(static_cast<T*>(nullptr)) with T the storage type of `t`. */
template <class F>
void with_type(Type t, F f) {
  switch (t) {
    case Type::F64: return f(static_cast<double*>(nullptr));
    case Type::F32: return f(static_cast<float*>(nullptr));
    case Type::F16: return f(static_cast<__half*>(nullptr));
    case Type::BF16: return f(static_cast<__nv_bfloat16*>(nullptr));
    case Type::F8E4M3: return f(static_cast<__nv_fp8_e4m3*>(nullptr));
    case Type::F8E5M2: return f(static_cast<__nv_fp8_e5m2*>(nullptr));
    case Type::I64: return f(static_cast<long long*>(nullptr));
    case Type::I32: return f(static_cast<int*>(nullptr));
    case Type::I8: return f(static_cast<signed char*>(nullptr));
    default: return f(static_cast<unsigned char*>(nullptr));
  }
}

/** The device state of one kernel's measurement. */
struct State {
  const Kernel* kernel;
  std::vector<void*> buffers;
  std::vector<double*> refs;  // per output buffer, else nullptr
  void* workspace;
  size_t workspace_bytes;
  double* acc;
  bench::Flush flush;
};

inline int raised() {
  int code = 0;
  BENCH_CHECK(cudaMemcpyFromSymbol(&code, trainc_error_code, sizeof(code)));
  const int zero = 0;
  BENCH_CHECK(cudaMemcpyToSymbol(trainc_error_code, &zero, sizeof(zero)));
  return code;
}

inline void fill_inputs(State& s, Domain domain) {
  for (int b = 0; b < s.kernel->buffer_count; ++b) {
    const Buffer& buf = s.kernel->buffers[b];
    if (buf.role == Role::Ranges) fill_ranges<<<blocks_for(buf.count), kThreads>>>(static_cast<int*>(s.buffers[b]), buf.count, buf.tokens);
    if (buf.role != Role::Input) continue;
    with_type(buf.type, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      fill<T><<<blocks_for(buf.count), kThreads>>>(static_cast<T*>(s.buffers[b]), buf.count, 1000 + b, is_float(buf.type),
                                                      buf.type == Type::BOOL, domain == Domain::Positive);
    });
  }
  BENCH_CHECK(cudaGetLastError());
}

/**
 * Runs `cand` once on outputs of NaN bytes and zeroed scratch; the launch's error (cudaSuccess when it ran) and the
 * device error raised.
 */
inline cudaError_t run_once(State& s, const Candidate& cand, int* code) {
  for (int b = 0; b < s.kernel->buffer_count; ++b) {
    const Buffer& buf = s.kernel->buffers[b];
    if (buf.role == Role::Output || buf.role == Role::Scratch) {
      BENCH_CHECK(cudaMemset(s.buffers[b], buf.role == Role::Output ? 0xFF : 0, buf.count * type_bytes(buf.type)));
    }
  }
  BENCH_CHECK(cudaMemset(s.workspace, 0, s.workspace_bytes));
  cand.launch(s.buffers.data(), s.workspace, 0);
  const cudaError_t launched = cudaGetLastError();
  BENCH_CHECK(cudaDeviceSynchronize());
  *code = raised();
  return launched;
}

/** Keeps the outputs as the reference; whether every float output is finite. */
inline bool keep_reference(State& s) {
  bool finite = true;
  for (int b = 0; b < s.kernel->buffer_count; ++b) {
    const Buffer& buf = s.kernel->buffers[b];
    if (buf.role != Role::Output) continue;
    with_type(buf.type, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      widen<T><<<blocks_for(buf.count), kThreads>>>(static_cast<const T*>(s.buffers[b]), buf.count, s.refs[b]);
    });
    BENCH_CHECK(cudaDeviceSynchronize());
    if (!is_float(buf.type)) continue;
    std::vector<double> host(buf.count);
    BENCH_CHECK(cudaMemcpy(host.data(), s.refs[b], buf.count * sizeof(double), cudaMemcpyDeviceToHost));
    finite &= std::all_of(host.begin(), host.end(), [](double v) { return std::isfinite(v); });
  }
  return finite;
}

/** Why the outputs are off the reference, or empty when they match. */
inline std::string check_outputs(State& s) {
  for (int b = 0; b < s.kernel->buffer_count; ++b) {
    const Buffer& buf = s.kernel->buffers[b];
    if (buf.role != Role::Output) continue;
    BENCH_CHECK(cudaMemset(s.acc, 0, 3 * sizeof(double)));
    with_type(buf.type, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      compare<T><<<blocks_for(buf.count), kThreads>>>(static_cast<const T*>(s.buffers[b]), s.refs[b], buf.count, is_float(buf.type), s.acc);
    });
    double acc[3];
    BENCH_CHECK(cudaMemcpy(acc, s.acc, sizeof(acc), cudaMemcpyDeviceToHost));
    const double rel = std::sqrt(acc[0] / (acc[1] > 0 ? acc[1] : 1));
    const double bound = is_narrow(buf.type) ? 2e-2 : 1e-4;
    char text[200];
    if (acc[2] > 0) {
      std::snprintf(text, sizeof(text), "output %d: %.0f values differ from the reference (not finite, unwritten or wrong)", b, acc[2]);
      return text;
    }
    if (!(rel <= bound)) {
      std::snprintf(text, sizeof(text), "output %d: relative error %.2e against the heuristic's outputs (bound %.0e)", b, rel, bound);
      return text;
    }
  }
  return "";
}

/** One launch as the program makes it: the workspace cleared, then the kernel. */
inline void launch(State& s, const Candidate& cand) {
  if (cand.workspace_bytes > 0) BENCH_CHECK(cudaMemsetAsync(s.workspace, 0, cand.workspace_bytes, 0));
  cand.launch(s.buffers.data(), s.workspace, 0);
}

inline double time_ms(State& s, const Candidate& cand, const Options& opt) {
  const double ms = bench::median_ms(s.flush, opt.warmup, opt.repeats, [&] { launch(s, cand); });
  raised();
  return ms;
}

inline void print(const Kernel& k, int kernel_index, int index, double ms, const std::string& why, const Options& opt) {
  if (opt.json) {
    std::printf("{\"shape\":%d,\"candidate\":%d,", kernel_index, index);
    if (why.empty()) std::printf("\"ms\":%.6f}\n", ms);
    else std::printf("\"error\":%s}\n", bench::json_text(why).c_str());
  } else {
    std::printf("  %c %-44s %10s  %s\n", index == 0 ? '*' : ' ', k.candidates[index].config,
                why.empty() ? std::to_string(ms).c_str() : "-", why.empty() ? "ok" : why.c_str());
  }
  std::fflush(stdout);
}

/** Why candidate `cand` is wrong or cannot run, or empty when it validated. */
inline std::string validate(State& s, const Candidate& cand) {
  int code = 0;
  const cudaError_t launched = run_once(s, cand, &code);
  if (launched != cudaSuccess) return std::string("the launch failed: ") + cudaGetErrorString(launched);
  if (code != 0) return "it raised device error " + std::to_string(code) + " on inputs the heuristic runs without one";
  return check_outputs(s);
}

/** Measures every candidate of kernel `k`; false when some candidate failed. */
inline bool run_kernel(const Kernel& k, int kernel_index, const Options& opt, const bench::Flush& flush) {
  State s{&k, {}, {}, nullptr, 1, nullptr, flush};
  for (int b = 0; b < k.buffer_count; ++b) {
    void* p = nullptr;
    BENCH_CHECK(cudaMalloc(&p, std::max<size_t>(k.buffers[b].count, 1) * type_bytes(k.buffers[b].type)));
    s.buffers.push_back(p);
    double* ref = nullptr;
    if (k.buffers[b].role == Role::Output) BENCH_CHECK(cudaMalloc(&ref, std::max<size_t>(k.buffers[b].count, 1) * sizeof(double)));
    s.refs.push_back(ref);
  }
  for (int i = 0; i < k.candidate_count; ++i) s.workspace_bytes = std::max(s.workspace_bytes, k.candidates[i].workspace_bytes);
  BENCH_CHECK(cudaMalloc(&s.workspace, s.workspace_bytes));
  BENCH_CHECK(cudaMalloc(&s.acc, 3 * sizeof(double)));
  if (!opt.json) std::printf("%s\n", k.name);
  const Candidate& heuristic = k.candidates[0];
  heuristic.setup();
  std::string reference_problem;
  for (Domain domain : {Domain::Signed, Domain::Positive}) {
    fill_inputs(s, domain);
    int code = 0;
    const cudaError_t launched = run_once(s, heuristic, &code);
    reference_problem = launched != cudaSuccess ? std::string("the heuristic's launch failed: ") + cudaGetErrorString(launched)
                        : code != 0             ? "the heuristic raised device error " + std::to_string(code) + " on positive inputs"
                                                : "";
    const bool finite = reference_problem.empty() && keep_reference(s);
    if (finite || domain == Domain::Positive) break;
  }
  bool ok = reference_problem.empty();
  for (int i = 0; i < k.candidate_count; ++i) {
    const Candidate& cand = k.candidates[i];
    if (!reference_problem.empty()) {
      print(k, kernel_index, i, 0, "no reference: " + reference_problem, opt);
      continue;
    }
    cand.setup();
    const std::string why = validate(s, cand);
    ok &= why.empty();
    print(k, kernel_index, i, why.empty() ? time_ms(s, cand, opt) : 0, why, opt);
  }
  for (size_t b = 0; b < s.buffers.size(); ++b) {
    BENCH_CHECK(cudaFree(s.buffers[b]));
    if (s.refs[b] != nullptr) BENCH_CHECK(cudaFree(s.refs[b]));
  }
  BENCH_CHECK(cudaFree(s.workspace));
  BENCH_CHECK(cudaFree(s.acc));
  return ok;
}

/** Parses the command line, measures every kernel and prints the results. */
inline int main(int argc, char** argv, const Kernel* kernels, int kernel_count) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) opt.repeats = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--json") == 0) opt.json = true;
    else {
      std::fprintf(stderr, "usage: %s [--repeats <n>] [--json]\n", argv[0]);
      return 2;
    }
  }
  const bench::Flush flush = bench::make_flush();
  int failed = 0;
  for (int i = 0; i < kernel_count; ++i) failed += !run_kernel(kernels[i], i, opt, flush);
  BENCH_CHECK(cudaFree(flush.p));
  return failed == 0 ? 0 : 1;
}

}  // namespace kernel_bench
