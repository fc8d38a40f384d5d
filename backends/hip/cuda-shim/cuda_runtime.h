// HIP under CUDA's names: the table that lets the CUDA backend's generated code and runtime headers build with hipcc
// or clang for AMD GPUs (backends/hip/toolchain.ts puts this folder first on the include path). Each CUDA runtime name
// the generated program uses maps to its HIP twin; warp intrinsics keep CUDA's 32-lane warps (the kernels assume
// them) by passing width 32 to HIP's shuffles, which on 64-wide wavefronts work within each half.
// Invariant: only names trainc's generated code and runtime use are here (grep backends/cuda for a new one).
#pragma once

#include <hip/hip_runtime.h>

#include "math_constants.h"

// The vendor's words in the runtime's messages (backends/cuda/runtime/device-messages.h).
#define TRAINC_GPU_VENDOR "AMD"
#define TRAINC_GPU_RUNTIME "HIP"
#define TRAINC_GPU_SMI "rocm-smi"
#define TRAINC_GPU_VISIBLE "HIP_VISIBLE_DEVICES"

// Types and constants.
#define cudaError_t hipError_t
#define cudaSuccess hipSuccess
#define cudaStream_t hipStream_t
#define cudaEvent_t hipEvent_t
#define cudaGraph_t hipGraph_t
#define cudaGraphExec_t hipGraphExec_t
#define cudaDeviceProp hipDeviceProp_t
#define cudaStreamNonBlocking hipStreamNonBlocking
#define cudaStreamCaptureModeGlobal hipStreamCaptureModeGlobal
#define cudaMemcpyHostToDevice hipMemcpyHostToDevice
#define cudaMemcpyDeviceToHost hipMemcpyDeviceToHost
#define cudaMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define cudaFuncAttributeMaxDynamicSharedMemorySize hipFuncAttributeMaxDynamicSharedMemorySize
// The most shared memory (LDS) a block may have: HIP has no opt-in limit above the default, so it is the per-block one.
#define sharedMemPerBlockOptin sharedMemPerBlock

// Errors the runtime tells apart. HIP 5.2 has no codes for the last four: they keep CUDA's numbers, which HIP never
// returns, so the runtime's switch over them stays valid and never takes those branches.
#define cudaErrorMemoryAllocation hipErrorOutOfMemory
#define cudaErrorIllegalAddress hipErrorIllegalAddress
#define cudaErrorLaunchFailure hipErrorLaunchFailure
#define cudaErrorAssert hipErrorAssert
#define cudaErrorLaunchOutOfResources hipErrorLaunchOutOfResources
#define cudaErrorInvalidConfiguration hipErrorInvalidConfiguration
#define cudaErrorInsufficientDriver hipErrorInsufficientDriver
#define cudaErrorMisalignedAddress static_cast<hipError_t>(716)
#define cudaErrorIllegalInstruction static_cast<hipError_t>(715)
#define cudaErrorInvalidPc static_cast<hipError_t>(718)
#define cudaErrorHardwareStackError static_cast<hipError_t>(714)

// Functions.
#define cudaGetErrorString hipGetErrorString
#define cudaGetErrorName hipGetErrorName
#define cudaGetLastError hipGetLastError
#define cudaGetDeviceCount hipGetDeviceCount
#define cudaSetDevice hipSetDevice
#define cudaGetDeviceProperties hipGetDeviceProperties
#define cudaRuntimeGetVersion hipRuntimeGetVersion
#define cudaDriverGetVersion hipDriverGetVersion
#define cudaMemGetInfo hipMemGetInfo
#define cudaMalloc hipMalloc
#define cudaMallocHost hipHostMalloc
#define cudaFree hipFree
#define cudaMemcpy hipMemcpy
#define cudaMemcpyAsync hipMemcpyAsync
#define cudaMemsetAsync hipMemsetAsync
#define cudaStreamCreateWithFlags hipStreamCreateWithFlags
#define cudaStreamSynchronize hipStreamSynchronize
#define cudaStreamBeginCapture hipStreamBeginCapture
#define cudaStreamEndCapture hipStreamEndCapture
#define cudaGraphInstantiate(exec, graph, flags) hipGraphInstantiate(exec, graph, nullptr, nullptr, 0)
#define cudaGraphLaunch hipGraphLaunch
#define cudaGraphDestroy hipGraphDestroy
#define cudaGraphExecDestroy hipGraphExecDestroy
#define cudaEventCreate hipEventCreate
#define cudaEventRecord hipEventRecord
#define cudaEventSynchronize hipEventSynchronize
#define cudaEventElapsedTime hipEventElapsedTime
#define cudaEventDestroy hipEventDestroy
#define cudaMemcpyFromSymbol(dst, symbol, bytes) hipMemcpyFromSymbol(dst, HIP_SYMBOL(symbol), bytes)
#define cudaFuncSetAttribute(kernel, attribute, value) hipFuncSetAttribute(reinterpret_cast<const void*>(kernel), attribute, value)

// Warp intrinsics on CUDA's 32-lane warps.
template <typename T> static __device__ __forceinline__ T __shfl_xor_sync(unsigned, T v, int mask) { return __shfl_xor(v, mask, 32); }
template <typename T> static __device__ __forceinline__ T __shfl_up_sync(unsigned, T v, int delta) { return __shfl_up(v, delta, 32); }
template <typename T> static __device__ __forceinline__ T __shfl_down_sync(unsigned, T v, int delta) { return __shfl_down(v, delta, 32); }
static __device__ __forceinline__ unsigned __ballot_sync(unsigned, int predicate) {
  return static_cast<unsigned>(__ballot(predicate) >> (__lane_id() & 32));
}
