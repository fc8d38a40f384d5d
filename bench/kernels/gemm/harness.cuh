// GEMM lab harness (host + helper kernels), inlined by render-lab.ts at the top of the generated gemm_lab.cu, before
// the kernels under test. For each shape: random inputs on the device, a float64 reference on a sample of entries (rows
// and columns at the edges plus random ones), then per candidate config: validate (every output finite, relative
// error ||C - ref|| / ||ref|| on the sample within 1e-5 for f32 shapes and 2e-2 for bf16 ones; accumulating shapes
// are checked with C_in aliasing C and with a separate C_in), then time (warm-up, L2 flushed before every run, CUDA
// events around the kernel alone, median of the repeats) and print a table with TFLOP/s and % of 790 TFLOP/s (dense
// bf16 peak of the H200; f32 shapes show '-').
// Invariants: a candidate is timed only after it validated; split-K flags start at zero and must be zero again after
// every launch; the exit status is 0 only when every candidate validated.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define LAB_CHECK(call)                                                                                    \
  do {                                                                                                     \
    const cudaError_t lab_error = (call);                                                                  \
    if (lab_error != cudaSuccess) {                                                                        \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(lab_error)); \
      std::exit(2);                                                                                        \
    }                                                                                                      \
  } while (0)

namespace lab {

constexpr double kPeakBf16 = 790e12;

// One generated kernel: `setup` raises its dynamic shared memory limit, `launch` runs it on a stream.
struct Candidate {
  const char* config;
  void (*setup)();
  void (*launch)(const void* a, const void* b, const void* c_in, void* c, int* flags, cudaStream_t stream);
  int flag_count;
};

struct Dims {
  int m, n, k, batch;
  bool transpose_a, transpose_b, broadcast_a, broadcast_b, accumulate;
};

struct Shape {
  const char* name;
  const char* description;
  Dims dims;
  bool in_bf16, out_bf16;
  double flops;
  const Candidate* candidates;
  int candidate_count;
};

struct Options {
  const char* filter = nullptr;
  int repeats = 20;
  int warmup = 3;
  bool time = true;
};

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ void from_float(float* p, float v) { *p = v; }
__device__ __forceinline__ void from_float(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }

__device__ __forceinline__ uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

template <class T>
__global__ void fill_uniform(T* p, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    from_float(p + i, static_cast<float>(mix(seed * 0x100000001B3ull + i) >> 40) / 8388608.0f - 1.0f);
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

__global__ void flush_l2(float4* p, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    p[i] = make_float4(static_cast<float>(i), 0.f, 0.f, 0.f);
  }
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

constexpr int kThreads = 256;
inline int blocks_for(size_t n) { return static_cast<int>(std::min<size_t>((n + kThreads - 1) / kThreads, 65535)); }

template <class T>
T* device_alloc(size_t count) {
  T* p = nullptr;
  LAB_CHECK(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T)));
  return p;
}

}  // namespace lab
