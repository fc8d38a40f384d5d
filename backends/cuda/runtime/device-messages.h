// The startup errors of a generated CUDA program, as plain C++ so they are tested without a GPU: no driver or a
// driver older than the program's CUDA runtime, no device, a compute capability the build does not run on, and too
// little free device memory for the predicted peak (with the need, what is free, and what to change).
// cuda-device.h gathers the facts from the CUDA runtime and throws these.
// The vendor's words come from TRAINC_GPU_* macros: NVIDIA's by default; the HIP build's CUDA-name table
// (backends/hip/cuda-shim/cuda_runtime.h) defines AMD's.
// Invariant: every error names the device or the versions involved and says what to change.

#pragma once

#ifndef TRAINC_GPU_VENDOR
#define TRAINC_GPU_VENDOR "NVIDIA"
#define TRAINC_GPU_RUNTIME "CUDA"
#define TRAINC_GPU_SMI "nvidia-smi"
#define TRAINC_GPU_VISIBLE "CUDA_VISIBLE_DEVICES"
#endif

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "error.h"

namespace trainc {

/** `13.0` from a CUDA version number such as 13000 (cudaRuntimeGetVersion, cudaDriverGetVersion). */
inline std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

/** Bytes as GiB with one decimal, e.g. `70.2 GiB`. */
inline std::string gib_text(uint64_t bytes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return buffer;
}

/** 6531: the driver is missing (version 0) or older than the CUDA runtime the program was built with. */
inline Error driver_error(int driver_version, int runtime_version) {
  if (driver_version == 0) {
    return Error(6531, "no " TRAINC_GPU_VENDOR " driver is loaded on this machine, so the " TRAINC_GPU_RUNTIME " program cannot run",
                 "run on a machine with an " TRAINC_GPU_VENDOR " GPU and its driver (check " TRAINC_GPU_SMI "), or train with --target cpu");
  }
  return Error(6531,
               "the " TRAINC_GPU_VENDOR " driver supports " TRAINC_GPU_RUNTIME " up to " + cuda_version_text(driver_version) +
                   ", but this program was built with " TRAINC_GPU_RUNTIME " " + cuda_version_text(runtime_version),
               "update the " TRAINC_GPU_VENDOR " driver to one that supports " TRAINC_GPU_RUNTIME " " + cuda_version_text(runtime_version) +
                   ", or build the program with a " TRAINC_GPU_RUNTIME " toolkit no newer than " + cuda_version_text(driver_version));
}

/** 6531: the driver sees no usable device; `detail` is the CUDA runtime's reason. */
inline Error no_device_error(const std::string& detail) {
  return Error(6531, "no " TRAINC_GPU_RUNTIME " device is available (" + detail + ")",
               "check " TRAINC_GPU_SMI " and " TRAINC_GPU_VISIBLE ", or train with --target cpu");
}

/**
 * 6532 when device capability `major.minor` cannot run a build for `arch` (e.g. 90 for sm_90): below it, or, for an
 * arch-specific build (sm_90a), any other capability. Nothing when it can.
 */
inline std::optional<Error> arch_error(const std::string& device, int major, int minor, int arch, bool arch_specific) {
  const int capability = major * 10 + minor;
  const std::string built = "sm_" + std::to_string(arch) + (arch_specific ? "a" : "");
  const std::string have = std::to_string(major) + "." + std::to_string(minor);
  const std::string fix = "compile again with --arch sm_" + std::to_string(capability) + " for this GPU, or run on a GPU the build supports";
  if (capability < arch) {
    return Error(6532, device + " has compute capability " + have + ", below the " + built + " this program was built for", fix);
  }
  if (arch_specific && capability != arch) {
    return Error(6532, device + " has compute capability " + have + ", but " + built + " code runs only on compute capability " +
                           std::to_string(arch / 10) + "." + std::to_string(arch % 10),
                 fix);
  }
  return std::nullopt;
}

/** The run's shape, for the advice when memory is short. */
struct RunShape {
  int micro_batch_size;
  int sequence_len;
};

/** 6533 when `need` bytes exceed `free` of `total` on `device`; nothing when they fit. */
inline std::optional<Error> memory_error(const std::string& device, uint64_t need, uint64_t free, uint64_t total, const RunShape& run) {
  if (need <= free) return std::nullopt;
  return Error(6533,
               "the program needs " + gib_text(need) + " of device memory (predicted peak) but " + device + " has " + gib_text(free) +
                   " free of " + gib_text(total),
               "lower micro_batch_size (now " + std::to_string(run.micro_batch_size) + ") or sequence_len (now " +
                   std::to_string(run.sequence_len) + ") and compile again, or free the GPU (" + gib_text(total - free) +
                   " is in use: see " TRAINC_GPU_SMI ")");
}

}  // namespace trainc
