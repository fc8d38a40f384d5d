// Validate-then-time harness for GEMM candidates on the device, shared by the autotuner's tuning binaries
// (autotune/cuda-measure.ts, JSON lines out) and the GEMM lab (bench/kernels/gemm, a table out). A binary defines its
// shapes, each with candidates: generated kernels (a setup and a launch function) and cuBLASLt algorithms (the i-th of
// its heuristic's list, through gemm-lt.h). For each shape: random inputs on the device, a float64 reference on a
// sample of entries (rows and columns at the edges plus random ones), then per candidate: validate (every output
// finite, relative error ||C - ref|| / ||ref|| on the sample within 1e-5 for f32 shapes and 2e-2 for 16-bit ones;
// accumulating shapes checked with C_in aliasing C and with a separate C_in; split-K flags zero after every launch),
// then time (warm-up, L2 flushed before every run, CUDA events around the GEMM alone, median of the repeats).
// Invariants: a candidate is timed only after it validated; the exit status is 0 only when every candidate validated
// (a cuBLASLt algorithm the library does not offer is reported as such, not as a failure); --json prints exactly one
// line per candidate measured, so the caller can match lines to candidates; --ceilings measures the device's roofline
// instead (print_ceilings); --library prints only which cuBLASLt loaded (its version keys the tuning DB).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench-common.h"
#include "gemm-lt.h"

namespace gemm_bench {

constexpr double kPeak16 = 790e12;

/** Element types of a shape's operands and output. */
enum class Type { F32, BF16, F16 };

/** One candidate: a generated kernel (`setup` raises its shared memory limit, `launch` runs it) or cuBLASLt's algorithm. */
struct Candidate {
  const char* config;
  void (*setup)();
  void (*launch)(const void* a, const void* b, const void* c_in, void* c, int* flags, cudaStream_t stream);
  int flag_count;
  /** -1 for a generated kernel, else the index of a cuBLASLt algorithm. */
  int library_algo;
};

struct Dims {
  int m, n, k, batch;
  bool transpose_a, transpose_b, broadcast_a, broadcast_b, accumulate;
};

struct Shape {
  const char* name;
  const char* description;
  Dims dims;
  Type in, out;
  double flops;
  const Candidate* candidates;
  int candidate_count;
};

struct Options {
  const char* filter = nullptr;
  int repeats = 20;
  int warmup = 3;
  bool time = true;
  bool json = false;
};

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ void from_float(float* p, float v) { *p = v; }
__device__ __forceinline__ void from_float(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }
__device__ __forceinline__ void from_float(__half* p, float v) { *p = __float2half_rn(v); }

template <class T>
__global__ void fill_uniform(T* p, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    from_float(p + i, static_cast<float>(bench::mix(seed * 0x100000001B3ull + i) >> 40) / 8388608.0f - 1.0f);
  }
}

// ref[e] = (C_init) + sum_k op(A)[b][i][k] * op(B)[b][k][j] in float64, for entry e = (b, i, j).
template <class In, class Out>
__global__ void reference_entries(const In* a, const In* b, const Out* c_init, Dims d, const int3* entries, int count, double* ref) {
  const int e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= count) return;
  const int3 at = entries[e];
  const In* az = a + (d.broadcast_a ? 0 : static_cast<size_t>(at.x) * d.m * d.k);
  const In* bz = b + (d.broadcast_b ? 0 : static_cast<size_t>(at.x) * d.k * d.n);
  double sum = d.accumulate ? to_float(c_init[(static_cast<size_t>(at.x) * d.m + at.y) * d.n + at.z]) : 0.0;
  for (int p = 0; p < d.k; ++p) {
    const double x = to_float(az[d.transpose_a ? static_cast<size_t>(p) * d.m + at.y : static_cast<size_t>(at.y) * d.k + p]);
    const double y = to_float(bz[d.transpose_b ? static_cast<size_t>(at.z) * d.k + p : static_cast<size_t>(p) * d.n + at.z]);
    sum += x * y;
  }
  ref[e] = sum;
}

template <class Out>
__global__ void gather_entries(const Out* c, Dims d, const int3* entries, int count, double* out) {
  const int e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e < count) out[e] = to_float(c[(static_cast<size_t>(entries[e].x) * d.m + entries[e].y) * d.n + entries[e].z]);
}

template <class Out>
__global__ void count_nonfinite(const Out* c, size_t n, unsigned long long* count) {
  unsigned long long local = 0;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    local += !isfinite(to_float(c[i]));
  }
  if (local > 0) atomicAdd(count, local);
}

// Rows (or columns) to sample: the edges, the middle and pseudo-random ones; all of them when there are few.
inline std::vector<int> sample_indices(int extent, uint32_t seed) {
  std::vector<int> out;
  if (extent <= 48) {
    for (int i = 0; i < extent; ++i) out.push_back(i);
    return out;
  }
  for (int i : {0, 1, extent / 2, extent - 2, extent - 1}) out.push_back(i);
  while (out.size() < 48) {
    seed = seed * 1664525u + 1013904223u;
    out.push_back(static_cast<int>((seed >> 8) % static_cast<uint32_t>(extent)));
  }
  return out;
}

inline std::vector<int3> sample_entries(const Dims& d) {
  std::vector<int> batches = d.batch <= 2 ? std::vector<int>{0, d.batch - 1} : std::vector<int>{0, d.batch / 2, d.batch - 1};
  batches.erase(std::unique(batches.begin(), batches.end()), batches.end());
  std::vector<int3> entries;
  for (int z : batches) {
    for (int i : sample_indices(d.m, 17u + z)) {
      for (int j : sample_indices(d.n, 91u + z)) entries.push_back(make_int3(z, i, j));
    }
  }
  return entries;
}

using bench::blocks_for;
using bench::kThreads;

template <class T>
T* device_alloc(size_t count) {
  T* p = nullptr;
  BENCH_CHECK(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T)));
  return p;
}

/** The device buffers of one shape, and what every candidate of it shares. */
struct Buffers {
  void* a;
  void* b;
  void* c;
  void* c_init;  // C_in of accumulating shapes
  int3* entries;
  double* ref;
  double* got;
  unsigned long long* nonfinite;
  bench::Flush flush;
  int count;
  size_t c_count;
  trainc::CublasLt* lt;
  void* workspace;
};

struct Result {
  double rel;
  unsigned long long nonfinite;
};

inline trainc::GemmType lt_type(Type t) {
  return t == Type::F32 ? trainc::GemmType::F32 : t == Type::BF16 ? trainc::GemmType::BF16 : trainc::GemmType::F16;
}

/** Runs `cand` once on the shape's buffers; false with the reason when cuBLASLt cannot run its algorithm. */
inline bool launch(const Shape& s, const Candidate& cand, const Buffers& buf, const void* c_in, int* flags, std::string* why) {
  if (cand.library_algo < 0) {
    cand.launch(buf.a, buf.b, c_in, buf.c, flags, 0);
    return true;
  }
  const Dims& d = s.dims;
  const trainc::GemmLtShape shape{d.m, d.n, d.k, d.transpose_a, d.transpose_b, lt_type(s.in), lt_type(s.out), d.batch, d.broadcast_a,
                                  d.broadcast_b};
  return buf.lt->gemm({shape, buf.a, buf.b, buf.c, 1.0f, 0.0f, buf.workspace, trainc::kLibraryWorkspaceBytes, 0, cand.library_algo}, why);
}

template <class In, class Out>
Result check_once(const Shape& s, const Candidate& cand, const Buffers& buf, int* flags, bool alias, std::string* why) {
  const Dims& d = s.dims;
  if (!d.accumulate || !alias) BENCH_CHECK(cudaMemset(buf.c, 0xFF, buf.c_count * sizeof(Out)));
  if (d.accumulate && alias) BENCH_CHECK(cudaMemcpy(buf.c, buf.c_init, buf.c_count * sizeof(Out), cudaMemcpyDeviceToDevice));
  const void* c_in = !d.accumulate ? nullptr : alias ? buf.c : buf.c_init;
  if (!launch(s, cand, buf, c_in, flags, why)) return {INFINITY, 0};
  BENCH_CHECK(cudaGetLastError());
  BENCH_CHECK(cudaDeviceSynchronize());
  BENCH_CHECK(cudaMemset(buf.nonfinite, 0, sizeof(unsigned long long)));
  count_nonfinite<Out><<<blocks_for(buf.c_count), kThreads>>>(static_cast<const Out*>(buf.c), buf.c_count, buf.nonfinite);
  gather_entries<Out><<<blocks_for(buf.count), kThreads>>>(static_cast<const Out*>(buf.c), d, buf.entries, buf.count, buf.got);
  BENCH_CHECK(cudaGetLastError());
  std::vector<double> ref(buf.count), got(buf.count);
  unsigned long long nonfinite = 0;
  BENCH_CHECK(cudaMemcpy(ref.data(), buf.ref, buf.count * sizeof(double), cudaMemcpyDeviceToHost));
  BENCH_CHECK(cudaMemcpy(got.data(), buf.got, buf.count * sizeof(double), cudaMemcpyDeviceToHost));
  BENCH_CHECK(cudaMemcpy(&nonfinite, buf.nonfinite, sizeof(nonfinite), cudaMemcpyDeviceToHost));
  double num = 0, den = 0;
  for (int e = 0; e < buf.count; ++e) {
    num += (got[e] - ref[e]) * (got[e] - ref[e]);
    den += ref[e] * ref[e];
  }
  return {nonfinite > 0 ? INFINITY : std::sqrt(num / (den > 0 ? den : 1)), nonfinite};
}

inline int flags_left(const int* flags, int count) {
  if (count == 0) return 0;
  std::vector<int> host(count);
  BENCH_CHECK(cudaMemcpy(host.data(), flags, count * sizeof(int), cudaMemcpyDeviceToHost));
  return static_cast<int>(std::count_if(host.begin(), host.end(), [](int f) { return f != 0; }));
}

inline double time_ms(const Candidate& cand, const Shape& s, const Buffers& buf, int* flags, const Options& opt) {
  const void* c_in = s.dims.accumulate ? buf.c : nullptr;
  std::string why;
  return bench::median_ms(buf.flush, opt.warmup, opt.repeats, [&] { launch(s, cand, buf, c_in, flags, &why); });
}

/** What measuring one candidate found. */
struct Measured {
  bool ok;
  bool unavailable;  // a cuBLASLt algorithm the library does not offer for the shape
  double ms;
  double rel;
  unsigned long long nonfinite;
  int flags_left;
  std::string why;
};

template <class In, class Out>
Measured measure(const Shape& s, const Candidate& cand, const Buffers& buf, const Options& opt) {
  const bool generated = cand.library_algo < 0;
  if (generated) cand.setup();
  int* flags = device_alloc<int>(cand.flag_count);
  BENCH_CHECK(cudaMemset(flags, 0, std::max(cand.flag_count, 1) * sizeof(int)));
  const double limit = s.in != Type::F32 || s.out != Type::F32 ? 2e-2 : 1e-5;
  Measured m{false, false, NAN, 0, 0, 0, ""};
  Result r = check_once<In, Out>(s, cand, buf, flags, true, &m.why);
  if (!m.why.empty()) {
    BENCH_CHECK(cudaFree(flags));
    m.unavailable = true;
    return m;
  }
  if (s.dims.accumulate) {
    const Result separate = check_once<In, Out>(s, cand, buf, flags, false, &m.why);
    r = {std::max(r.rel, separate.rel), r.nonfinite + separate.nonfinite};
  }
  m.rel = r.rel;
  m.nonfinite = r.nonfinite;
  m.flags_left = flags_left(flags, cand.flag_count);
  m.ok = r.rel <= limit && m.flags_left == 0;
  if (m.ok && opt.time) {
    m.ms = time_ms(cand, s, buf, flags, opt);
    m.flags_left = flags_left(flags, cand.flag_count);
    m.ok = m.flags_left == 0;
  }
  BENCH_CHECK(cudaFree(flags));
  if (!m.ok) {
    char text[160];
    std::snprintf(text, sizeof(text), "relative error %.2e against the float64 reference (bound %.0e)%s%s", r.rel, limit,
                  r.nonfinite > 0 ? ", outputs not finite or not written" : "", m.flags_left > 0 ? ", split-K flags left set" : "");
    m.why = text;
  }
  return m;
}

/** Prints one candidate's result: a JSON line (--json) or a table row. */
inline void print(const Shape& s, int shape_index, int index, const Measured& m, const Options& opt) {
  const Candidate& cand = s.candidates[index];
  if (opt.json) {
    std::printf("{\"shape\":%d,\"candidate\":%d,", shape_index, index);
    if (m.ok && !std::isnan(m.ms)) std::printf("\"ms\":%.6f}\n", m.ms);
    else std::printf("\"error\":%s}\n", bench::json_text(m.ok ? "not timed" : m.why).c_str());
    return;
  }
  char ms_text[16] = "-", rate[16] = "-", share[16] = "-";
  if (!std::isnan(m.ms)) {
    const double tflops = s.flops / (m.ms * 1e-3) / 1e12;
    std::snprintf(ms_text, sizeof(ms_text), "%.4f", m.ms);
    std::snprintf(rate, sizeof(rate), "%.1f", tflops);
    if (s.in != Type::F32) std::snprintf(share, sizeof(share), "%.1f%%", 100.0 * tflops * 1e12 / kPeak16);
  }
  std::printf("  %c %-34s %10s %9s %7s  %9.2e  %s", index == 0 ? '*' : ' ', cand.config, ms_text, rate, share, m.rel,
              m.unavailable ? "n/a" : m.ok ? "ok" : "FAIL");
  if (m.unavailable) std::printf(" (%s)", m.why.c_str());
  if (m.nonfinite > 0) std::printf(" (%llu outputs not finite or not written)", m.nonfinite);
  if (m.flags_left > 0) std::printf(" (%d split-K flags left set)", m.flags_left);
  std::printf("\n");
}

template <class In, class Out>
bool run_shape(const Shape& s, int shape_index, const Options& opt, Buffers buf) {
  const Dims& d = s.dims;
  const size_t a_count = static_cast<size_t>(d.broadcast_a ? 1 : d.batch) * d.m * d.k;
  const size_t b_count = static_cast<size_t>(d.broadcast_b ? 1 : d.batch) * d.k * d.n;
  buf.c_count = static_cast<size_t>(d.batch) * d.m * d.n;
  buf.a = device_alloc<In>(a_count);
  buf.b = device_alloc<In>(b_count);
  buf.c = device_alloc<Out>(buf.c_count);
  buf.c_init = d.accumulate ? device_alloc<Out>(buf.c_count) : nullptr;
  fill_uniform<In><<<blocks_for(a_count), kThreads>>>(static_cast<In*>(buf.a), a_count, 1);
  fill_uniform<In><<<blocks_for(b_count), kThreads>>>(static_cast<In*>(buf.b), b_count, 2);
  if (d.accumulate) fill_uniform<Out><<<blocks_for(buf.c_count), kThreads>>>(static_cast<Out*>(buf.c_init), buf.c_count, 3);
  const std::vector<int3> entries = sample_entries(d);
  buf.count = static_cast<int>(entries.size());
  buf.entries = device_alloc<int3>(entries.size());
  buf.ref = device_alloc<double>(entries.size());
  buf.got = device_alloc<double>(entries.size());
  buf.nonfinite = device_alloc<unsigned long long>(1);
  BENCH_CHECK(cudaMemcpy(buf.entries, entries.data(), entries.size() * sizeof(int3), cudaMemcpyHostToDevice));
  reference_entries<In, Out><<<blocks_for(buf.count), kThreads>>>(static_cast<const In*>(buf.a), static_cast<const In*>(buf.b),
                                                                  static_cast<const Out*>(buf.c_init), d, buf.entries, buf.count, buf.ref);
  BENCH_CHECK(cudaGetLastError());
  BENCH_CHECK(cudaDeviceSynchronize());
  if (!opt.json) std::printf("%s: %s\n", s.name, s.description);
  bool ok = true;
  for (int i = 0; i < s.candidate_count; ++i) {
    const Measured m = measure<In, Out>(s, s.candidates[i], buf, opt);
    print(s, shape_index, i, m, opt);
    ok &= m.ok || m.unavailable;
  }
  for (void* p : {buf.a, buf.b, buf.c, buf.c_init, static_cast<void*>(buf.entries), static_cast<void*>(buf.ref),
                  static_cast<void*>(buf.got), static_cast<void*>(buf.nonfinite)}) {
    if (p != nullptr) BENCH_CHECK(cudaFree(p));
  }
  return ok;
}

inline bool dispatch(const Shape& s, int shape_index, const Options& opt, const Buffers& shared) {
  if (s.in == Type::F32) return run_shape<float, float>(s, shape_index, opt, shared);
  if (s.in == Type::BF16) {
    return s.out == Type::BF16 ? run_shape<__nv_bfloat16, __nv_bfloat16>(s, shape_index, opt, shared)
                               : run_shape<__nv_bfloat16, float>(s, shape_index, opt, shared);
  }
  return s.out == Type::F16 ? run_shape<__half, __half>(s, shape_index, opt, shared) : run_shape<__half, float>(s, shape_index, opt, shared);
}

constexpr int kFmaChains = 8;
constexpr int kFmaSteps = 4096;

/** kFmaChains independent chains of kFmaSteps f32 fused multiply-adds per thread: the CUDA cores' arithmetic ceiling. */
__global__ void fma_chains(float* out) {
  float a[kFmaChains];
  for (int i = 0; i < kFmaChains; ++i) a[i] = threadIdx.x * 1e-9f * (i + 1);
  for (int s = 0; s < kFmaSteps; ++s) {
#pragma unroll
    for (int i = 0; i < kFmaChains; ++i) a[i] = fmaf(a[i], 0.999999f, 1e-7f);
  }
  float sum = 0;
  for (int i = 0; i < kFmaChains; ++i) sum += a[i];
  if (sum == 12345.0f) out[threadIdx.x] = sum;
}

/**
 * The device's roofline as one JSON line: bandwidth from timing the L2 flush (a write of twice the L2), arithmetic
 * from the fastest of cuBLASLt's first four algorithms on an 8192^3 bf16 GEMM (about the best the tensor cores reach,
 * so a GEMM of another shape may beat it by a few percent), or without cuBLASLt from chains of f32 multiply-adds.
 */
inline void print_ceilings(Buffers& shared) {
  const auto best_ms = [](const std::function<void()>& work) {
    const std::vector<float> samples = bench::event_ms(10, [] {}, work);
    return static_cast<double>(*std::min_element(samples.begin(), samples.end()));
  };
  const double write_ms = best_ms([&] { bench::flush_l2<<<blocks_for(shared.flush.count), kThreads>>>(shared.flush.p, shared.flush.count); });
  constexpr int n = 8192;
  void* a = device_alloc<__nv_bfloat16>(static_cast<size_t>(n) * n);
  void* c = device_alloc<__nv_bfloat16>(static_cast<size_t>(n) * n);
  fill_uniform<__nv_bfloat16><<<blocks_for(static_cast<size_t>(n) * n), kThreads>>>(static_cast<__nv_bfloat16*>(a), static_cast<size_t>(n) * n, 1);
  const trainc::GemmLtShape shape{n, n, n, false, true, trainc::GemmType::BF16, trainc::GemmType::BF16, 1, false, false};
  std::string why;
  double gemm_ms = INFINITY;
  for (int algo = 0; algo < 4; ++algo) {
    const trainc::GemmLtCall call{shape, a, a, c, 1.0f, 0.0f, shared.workspace, trainc::kLibraryWorkspaceBytes, 0, algo};
    if (shared.lt->gemm(call, &why)) gemm_ms = std::min(gemm_ms, best_ms([&] { shared.lt->gemm(call, &why); }));
  }
  const bool library = std::isfinite(gemm_ms);
  if (!library) gemm_ms = best_ms([&] { fma_chains<<<4096, kThreads>>>(static_cast<float*>(c)); });
  BENCH_CHECK(cudaFree(a));
  BENCH_CHECK(cudaFree(c));
  const double flops = library ? 2.0 * n * n * n : 2.0 * kFmaChains * kFmaSteps * kThreads * 4096;
  std::printf("{\"bytes_per_second\":%.6e,\"flops_per_second\":%.6e}\n", shared.flush.count * sizeof(float4) / (write_ms * 1e-3),
              flops / (gemm_ms * 1e-3));
}

/** Parses the command line, measures every shape (or those --filter names) and prints the results. */
inline int main(int argc, char** argv, const Shape* shapes, int shape_count) {
  Options opt;
  bool ceilings = false;
  bool only_library = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) opt.filter = argv[++i];
    else if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) opt.repeats = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--validate-only") == 0) opt.time = false;
    else if (std::strcmp(argv[i], "--json") == 0) opt.json = true;
    else if (std::strcmp(argv[i], "--ceilings") == 0) ceilings = true;
    else if (std::strcmp(argv[i], "--library") == 0) only_library = true;
    else {
      std::fprintf(stderr, "usage: %s [--filter <text in shape names>] [--repeats <n>] [--validate-only] [--json] [--ceilings] [--library]\n",
                   argv[0]);
      return 2;
    }
  }
  trainc::CublasLt lt;
  std::string why;
  const bool library = lt.ready(&why);
  const std::string library_json = "\"cublaslt\":" + bench::json_text(library ? lt.library() : why) +
                                   ",\"cublaslt_version\":" + (library ? bench::json_text(lt.version()) : "null");
  if (only_library) {
    std::printf("{%s}\n", library_json.c_str());
    return 0;
  }
  cudaDeviceProp prop;
  BENCH_CHECK(cudaGetDeviceProperties(&prop, 0));
  if (opt.json) {
    std::printf("{\"device\":%s,\"sm\":%d,%s}\n", bench::json_text(prop.name).c_str(), prop.major * 10 + prop.minor, library_json.c_str());
  } else {
    std::printf("device: %s, %d SMs, L2 %d MiB; median of %d runs, L2 flushed before each; cuBLASLt: %s\n", prop.name,
                prop.multiProcessorCount, prop.l2CacheSize >> 20, opt.repeats, library ? lt.library().c_str() : why.c_str());
    std::printf("  %-36s %10s %9s %7s  %9s  %s\n", "config (* = default)", "ms", "TFLOP/s", "%790", "rel err", "status");
  }
  Buffers shared{};
  shared.flush = bench::make_flush();
  shared.lt = &lt;
  shared.workspace = device_alloc<char>(trainc::kLibraryWorkspaceBytes);
  if (ceilings) print_ceilings(shared);
  int failed = 0;
  for (int i = 0; !ceilings && i < shape_count; ++i) {
    if (opt.filter != nullptr && std::strstr(shapes[i].name, opt.filter) == nullptr) continue;
    failed += !dispatch(shapes[i], i, opt, shared);
  }
  BENCH_CHECK(cudaFree(shared.flush.p));
  BENCH_CHECK(cudaFree(shared.workspace));
  if (!opt.json) std::printf("%s\n", failed == 0 ? "all candidates validated" : "SOME CANDIDATES FAILED");
  return failed == 0 ? 0 : 1;
}

}  // namespace gemm_bench
