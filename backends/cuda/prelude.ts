// The CUDA prelude every generated program starts with: the headers generated code uses and the small device helpers
// the C-style language table (backends/cuda/language.ts) and the fused/reduce generators call. Kernel templates may
// use these too; anything else they need lives in their own `<name>_detail` namespace (backends/kernel.ts).
// Invariant: every helper is `static __device__ __forceinline__` or a template, so including the prelude in several
// translation units never clashes.

export const CUDA_PRELUDE = String.raw`#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <math_constants.h>
#include <stdint.h>

// An untyped device address that converts to any pointer type: the host passes kernel workspaces with it, whatever
// element type the kernel declares for its workspace parameter.
struct trainc_ptr {
  void* p;
  template <typename T> __host__ __device__ operator T*() const { return static_cast<T*>(p); }
};

template <typename T> static __device__ __forceinline__ T trainc_max(T a, T b) { return a > b ? a : b; }
template <typename T> static __device__ __forceinline__ T trainc_min(T a, T b) { return a < b ? a : b; }
static __device__ __forceinline__ float trainc_max(float a, float b) { return (a != a || b != b) ? CUDART_NAN_F : fmaxf(a, b); }
static __device__ __forceinline__ float trainc_min(float a, float b) { return (a != a || b != b) ? CUDART_NAN_F : fminf(a, b); }
static __device__ __forceinline__ double trainc_max(double a, double b) { return (a != a || b != b) ? CUDART_NAN : fmax(a, b); }
static __device__ __forceinline__ double trainc_min(double a, double b) { return (a != a || b != b) ? CUDART_NAN : fmin(a, b); }

// Integer power by squaring; a negative exponent gives 0 (the interpreter rejects it; device code cannot stop).
template <typename T> static __device__ __forceinline__ T trainc_ipow(T base, T exponent) {
  if (exponent < 0) return 0;
  T result = 1;
  while (exponent) {
    if (exponent & 1) result *= base;
    base *= base;
    exponent >>= 1;
  }
  return result;
}

// Float to integer as the interpreter casts: truncate toward zero, NaN and infinities give 0, narrower types wrap.
template <typename T> static __device__ __forceinline__ T trainc_float_to_int(double x) {
  if (!isfinite(x)) return 0;
  return (T)(long long)trunc(x);
}

template <typename T> static __device__ __forceinline__ T trainc_warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

template <typename T> static __device__ __forceinline__ T trainc_warp_max(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = trainc_max(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Block-wide sum / max of one value per thread; every thread gets the result. 'scratch' holds one slot per warp.
template <typename T> static __device__ __forceinline__ T trainc_block_sum(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  v = trainc_warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : (T)0;
  return trainc_warp_sum(total);
}

template <typename T> static __device__ __forceinline__ T trainc_block_max(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  v = trainc_warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : scratch[0];
  return trainc_warp_max(total);
}

// N consecutive elements aligned to their total size (at most 16 bytes), so one load or store moves them all: the
// fused kernels' vector path reads and writes buffers through it.
template <int N, typename T> struct alignas(N * sizeof(T)) trainc_vec {
  T v[N];
};

static __device__ __forceinline__ float trainc_atomic_add(float* p, float v) { return atomicAdd(p, v); }
static __device__ __forceinline__ double trainc_atomic_add(double* p, double v) { return atomicAdd(p, v); }
static __device__ __forceinline__ int trainc_atomic_add(int* p, int v) { return atomicAdd(p, v); }
static __device__ __forceinline__ long long trainc_atomic_add(long long* p, long long v) {
  return (long long)atomicAdd(reinterpret_cast<unsigned long long*>(p), (unsigned long long)v);
}
`;
