// Checking CUDA runtime calls in the generated program: TRAINC_CUDA_CHECK(call) throws trainc::Error 6530 naming the
// call, its file:line and the CUDA error (name and cudaGetErrorString), with advice that depends on the error (out of
// memory, a failing kernel, anything else); TRAINC_CHECK_LAUNCH(kernel) does the same for the launch just made.
// Invariant: CUDA errors never pass silently; a sticky kernel error is reported at the first check after it.

#pragma once

#include <string>

#include <cuda_runtime.h>

#include "error.h"

namespace trainc {

/** What to do about a failed CUDA call, by error kind. */
inline std::string cuda_fix(cudaError_t error) {
  switch (error) {
    case cudaErrorMemoryAllocation:
      return "the GPU ran out of memory: lower micro_batch_size or sequence_len and compile again, or free the GPU (see nvidia-smi)";
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorMisalignedAddress:
    case cudaErrorIllegalInstruction:
    case cudaErrorInvalidPc:
    case cudaErrorHardwareStackError:
    case cudaErrorAssert:
      return "a generated kernel failed, which is a bug in trainc: run the program under compute-sanitizer and report it with the program folder";
    case cudaErrorLaunchOutOfResources:
    case cudaErrorInvalidConfiguration:
      return "a kernel's launch configuration does not fit this GPU: compile again with --arch for this GPU, or report it";
    default:
      return "check the GPU with nvidia-smi; if it is healthy, report this with the program folder";
  }
}

/** Throws 6530 for a failed CUDA call `call` at file:line. */
[[noreturn]] inline void cuda_failed(cudaError_t error, const char* call, const char* file, int line) {
  fail(6530, std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " + cudaGetErrorName(error) + " (" +
                 cudaGetErrorString(error) + ")",
       cuda_fix(error));
}

}  // namespace trainc

/** Evaluates a CUDA runtime call and throws trainc::Error 6530 unless it returned cudaSuccess. */
#define TRAINC_CUDA_CHECK(call)                                                        \
  do {                                                                                 \
    const cudaError_t trainc_cuda_error_ = (call);                                     \
    if (trainc_cuda_error_ != cudaSuccess) {                                           \
      ::trainc::cuda_failed(trainc_cuda_error_, #call, __FILE__, __LINE__);            \
    }                                                                                  \
  } while (0)

/** Checks the launch of `kernel` just made (a bad configuration shows at once; faults show at the next sync). */
#define TRAINC_CHECK_LAUNCH(kernel)                                                    \
  do {                                                                                 \
    const cudaError_t trainc_cuda_error_ = cudaGetLastError();                         \
    if (trainc_cuda_error_ != cudaSuccess) {                                           \
      ::trainc::cuda_failed(trainc_cuda_error_, "launch of " #kernel, __FILE__, __LINE__); \
    }                                                                                  \
  } while (0)
