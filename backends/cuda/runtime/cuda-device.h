// Startup checks of a generated CUDA program and per-kernel device limits: check_device() picks the device and
// fails with a clear message and exit status 1 (through guarded_main) when there is no driver, a driver older than
// the program's CUDA runtime, no device, a compute capability the build cannot run on, or less free memory than
// the predicted peak; allow_shared_memory() raises a kernel's dynamic shared memory limit above the default 48 KiB;
// device_used_bytes() reads how much of the device's memory is in use (by every process), for summary.json.
// Invariant: after check_device() returns, the device is current and the program's predicted need fits in what was
// free at that moment.

#pragma once

#include <cstdint>
#include <string>

#include <cuda_runtime.h>

#include "cuda-check.h"
#include "device-messages.h"
#include "error.h"

namespace trainc {

/** What the program was built for and needs, from the compiler. */
struct DeviceRequirements {
  /** Compute capability the build targets, e.g. 90 for sm_90. */
  int arch;
  /** True for an arch-specific build (sm_90a), which runs only on that exact capability. */
  bool arch_specific;
  /** Predicted peak device memory in bytes (both arenas, workspaces, cuBLASLt workspace). */
  uint64_t need_bytes;
  RunShape run;
};

/** Makes `device` current after checking it against `req` (errors 6531, 6532, 6533); returns its properties. */
inline cudaDeviceProp check_device(const DeviceRequirements& req, int device = 0) {
  int runtime_version = 0;
  int driver_version = 0;
  TRAINC_CUDA_CHECK(cudaRuntimeGetVersion(&runtime_version));
  TRAINC_CUDA_CHECK(cudaDriverGetVersion(&driver_version));
  int count = 0;
  const cudaError_t counted = cudaGetDeviceCount(&count);
  if (counted == cudaErrorInsufficientDriver || driver_version == 0) {
    throw driver_error(driver_version, runtime_version);
  }
  if (counted != cudaSuccess) throw no_device_error(cudaGetErrorString(counted));
  if (device >= count) throw no_device_error("device " + std::to_string(device) + " was asked for; " + std::to_string(count) + " visible");
  TRAINC_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop;
  TRAINC_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const std::string name = "device " + std::to_string(device) + " (" + prop.name + ")";
  if (auto error = arch_error(name, prop.major, prop.minor, req.arch, req.arch_specific)) throw *error;
  size_t free = 0;
  size_t total = 0;
  TRAINC_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  if (auto error = memory_error(name, req.need_bytes, free, total, req.run)) throw *error;
  return prop;
}

/** Bytes of the current device's memory in use now (total less free, as cudaMemGetInfo reports them). */
inline uint64_t device_used_bytes() {
  size_t free = 0;
  size_t total = 0;
  TRAINC_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return static_cast<uint64_t>(total - free);
}

/** Default dynamic shared memory limit per block; above it a kernel's limit must be raised first. */
constexpr size_t kDefaultSharedBytes = 48 * 1024;

/**
 * Lets `kernel` (named `name` in messages) launch with `bytes` of dynamic shared memory; error 6534 when the device
 * allows less per block.
 */
template <typename Kernel>
void allow_shared_memory(Kernel* kernel, const char* name, size_t bytes, const cudaDeviceProp& prop) {
  if (bytes <= kDefaultSharedBytes) return;
  if (bytes > prop.sharedMemPerBlockOptin) {
    fail(6534, std::string("kernel ") + name + " needs " + std::to_string(bytes) + " bytes of shared memory per block, but " + prop.name +
                   " allows " + std::to_string(prop.sharedMemPerBlockOptin),
         "compile again with --arch for this GPU (or autotune on it) so kernels are sized for its shared memory");
  }
  TRAINC_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
}

}  // namespace trainc
