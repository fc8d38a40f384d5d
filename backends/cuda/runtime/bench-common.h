// What the validate-then-time harnesses share (gemm-bench.h for GEMMs, kernel-bench.h for every other kernel the
// autotuner measures): the fatal-error check, the hash behind their random inputs, the L2 flush, one-dimensional
// launch sizes, CUDA-event times (and their median with the L2 flushed before each run), and JSON string literals.
// Invariants: BENCH_CHECK ends the binary with status 2 (a broken context: the caller blames the candidate being
// measured); median_ms times only `run`, never the flush before it.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#define BENCH_CHECK(call)                                                                                  \
  do {                                                                                                     \
    const cudaError_t bench_error = (call);                                                                \
    if (bench_error != cudaSuccess) {                                                                      \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(bench_error)); \
      std::exit(2);                                                                                        \
    }                                                                                                      \
  } while (0)

#define BENCH_LOOP(i, n) \
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<size_t>(gridDim.x) * blockDim.x)

namespace bench {

/** SplitMix64's finalizer: the random inputs' bits. */
__device__ __forceinline__ uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/** Writes `n` float4s, evicting what the L2 held (a buffer of twice the L2). */
__global__ void flush_l2(float4* p, size_t n) {
  BENCH_LOOP(i, n) p[i] = make_float4(static_cast<float>(i), 0.f, 0.f, 0.f);
}

constexpr int kThreads = 256;
/** Blocks of kThreads for a grid-stride loop over `n` elements (1 to 65535). */
inline int blocks_for(size_t n) { return static_cast<int>(std::max<size_t>(1, std::min<size_t>((n + kThreads - 1) / kThreads, 65535))); }

/** The L2 flush buffer of this device: twice its L2. */
struct Flush {
  float4* p = nullptr;
  size_t count = 0;
};

inline Flush make_flush() {
  cudaDeviceProp prop;
  BENCH_CHECK(cudaGetDeviceProperties(&prop, 0));
  Flush f;
  f.count = 2 * static_cast<size_t>(prop.l2CacheSize) / sizeof(float4);
  BENCH_CHECK(cudaMalloc(&f.p, f.count * sizeof(float4)));
  return f;
}

/** Milliseconds of `runs` runs of `run`, each timed alone by CUDA events after `before` (untimed). */
inline std::vector<float> event_ms(int runs, const std::function<void()>& before, const std::function<void()>& run) {
  cudaEvent_t start, stop;
  BENCH_CHECK(cudaEventCreate(&start));
  BENCH_CHECK(cudaEventCreate(&stop));
  std::vector<float> samples;
  for (int r = 0; r < runs; ++r) {
    before();
    BENCH_CHECK(cudaEventRecord(start));
    run();
    BENCH_CHECK(cudaEventRecord(stop));
    BENCH_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    BENCH_CHECK(cudaEventElapsedTime(&ms, start, stop));
    samples.push_back(ms);
  }
  BENCH_CHECK(cudaGetLastError());
  BENCH_CHECK(cudaEventDestroy(start));
  BENCH_CHECK(cudaEventDestroy(stop));
  return samples;
}

/** The median milliseconds of `repeats` runs of `run` after `warmup` untimed ones, the L2 flushed before each timed run. */
inline double median_ms(const Flush& flush, int warmup, int repeats, const std::function<void()>& run) {
  for (int i = 0; i < warmup; ++i) run();
  std::vector<float> samples = event_ms(repeats, [&] { flush_l2<<<blocks_for(flush.count), kThreads>>>(flush.p, flush.count); }, run);
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

/** `text` as a JSON string literal (quotes, backslashes and control characters escaped). */
inline std::string json_text(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
    out += ch;
  }
  return out + "\"";
}

}  // namespace bench
