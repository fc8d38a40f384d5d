// The part of NVIDIA's cuBLASLt C API that gemm-lt.h calls, declared here from the documented API (types, enum values,
// signatures) and bound at run time with dlopen, so building a program needs only the CUDA toolkit (no cuBLAS
// headers or libraries) and a machine without cuBLASLt still runs the generated GEMMs. The library is the file
// $TRAINC_CUBLASLT names (a full path: pip's nvidia-cublas keeps it outside the loader's search path), else the
// first of kLibraryNames the dynamic loader finds.
// Invariants: only documented, stable values are declared (cublasComputeType_t CUBLAS_COMPUTE_32F = 68;
// cublasOperation_t N = 0, T = 1; matmul descriptor attributes TRANSA = 3 and TRANSB = 4 (int32); matrix layout
// attributes BATCH_COUNT = 5 (int32) and STRIDED_BATCH_OFFSET = 6 (int64); preference attribute
// MAX_WORKSPACE_BYTES = 1 (uint64)); handles and descriptors are opaque pointers; enums pass as 32-bit ints, as the
// C ABI passes them.

#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <dlfcn.h>

#include <cuda_runtime_api.h>
#include <library_types.h>

namespace trainc::lt {

/** cublasStatus_t. */
using Status = int;
constexpr Status kSuccess = 0;

using Handle = void*;
using MatmulDesc = void*;
using Layout = void*;
using Preference = void*;

/** cublasLtMatmulAlgo_t: an opaque 64-byte algorithm description. */
struct MatmulAlgo {
  uint64_t data[8];
};

/** cublasLtMatmulHeuristicResult_t. */
struct HeuristicResult {
  MatmulAlgo algo;
  size_t workspace_size;
  Status state;
  float waves_count;
  int reserved[4];
};

constexpr int32_t kComputeF32 = 68;
constexpr int32_t kOpN = 0;
constexpr int32_t kOpT = 1;
constexpr int kDescTransA = 3;
constexpr int kDescTransB = 4;
constexpr int kLayoutBatchCount = 5;
constexpr int kLayoutStridedBatchOffset = 6;
constexpr int kPreferenceMaxWorkspaceBytes = 1;

/** The functions we call, bound from the library. */
struct Api {
  void* library = nullptr;
  /** The file the library was loaded from (as the dynamic loader resolved it). */
  std::string path;
  /** cublasLtGetVersion: major * 10000 + minor * 100 + patch. */
  size_t (*version)() = nullptr;
  Status (*create)(Handle*) = nullptr;
  Status (*destroy)(Handle) = nullptr;
  Status (*desc_create)(MatmulDesc*, int32_t compute, cudaDataType_t scale) = nullptr;
  Status (*desc_destroy)(MatmulDesc) = nullptr;
  Status (*desc_set)(MatmulDesc, int attribute, const void* value, size_t bytes) = nullptr;
  Status (*layout_create)(Layout*, cudaDataType_t type, uint64_t rows, uint64_t cols, int64_t ld) = nullptr;
  Status (*layout_destroy)(Layout) = nullptr;
  Status (*layout_set)(Layout, int attribute, const void* value, size_t bytes) = nullptr;
  Status (*preference_create)(Preference*) = nullptr;
  Status (*preference_destroy)(Preference) = nullptr;
  Status (*preference_set)(Preference, int attribute, const void* value, size_t bytes) = nullptr;
  Status (*heuristic)(Handle, MatmulDesc, Layout a, Layout b, Layout c, Layout d, Preference, int requested,
                      HeuristicResult* results, int* returned) = nullptr;
  Status (*matmul)(Handle, MatmulDesc, const void* alpha, const void* a, Layout, const void* b, Layout, const void* beta,
                   const void* c, Layout, void* d, Layout, const MatmulAlgo* algo, void* workspace, size_t workspace_bytes,
                   cudaStream_t stream) = nullptr;
};

/** The library names tried, newest first (CUDA 13, then 12, then an unversioned link). */
inline const char* const kLibraryNames[] = {"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"};

/** cublasStatus_t's name, for reasons. */
inline std::string status_text(Status s) {
  switch (s) {
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "cuBLAS status " + std::to_string(s);
  }
}

template <typename F>
bool bind(void* library, const char* symbol, F* slot) {
  *slot = reinterpret_cast<F>(dlsym(library, symbol));
  return *slot != nullptr;
}

/** The files tried, in order: $TRAINC_CUBLASLT when set, then kLibraryNames. */
inline std::vector<std::string> library_candidates() {
  std::vector<std::string> names;
  const char* chosen = std::getenv("TRAINC_CUBLASLT");
  if (chosen != nullptr && *chosen != '\0') names.emplace_back(chosen);
  for (const char* name : kLibraryNames) names.emplace_back(name);
  return names;
}

/** The file that holds `symbol` (as the dynamic loader resolved it); `fallback` when the loader cannot say. */
inline std::string loaded_path(const void* symbol, const std::string& fallback) {
  Dl_info info{};
  return dladdr(symbol, &info) != 0 && info.dli_fname != nullptr ? std::string(info.dli_fname) : fallback;
}

/** Opens cuBLASLt and binds `api`; false with the reason (the names tried, or the missing symbol) when it cannot. */
inline bool load_api(Api* api, std::string* why) {
  std::string tried;
  std::string opened;
  for (const std::string& name : library_candidates()) {
    api->library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (api->library != nullptr) {
      opened = name;
      break;
    }
    const char* error = dlerror();
    tried += (tried.empty() ? "" : "; ") + (error != nullptr ? std::string(error) : name);
  }
  if (api->library == nullptr) {
    *why = "cuBLASLt is not installed (" + tried + ")";
    return false;
  }
  void* lib = api->library;
  const bool bound = bind(lib, "cublasLtGetVersion", &api->version) && bind(lib, "cublasLtCreate", &api->create) && bind(lib, "cublasLtDestroy", &api->destroy) &&
                     bind(lib, "cublasLtMatmulDescCreate", &api->desc_create) &&
                     bind(lib, "cublasLtMatmulDescDestroy", &api->desc_destroy) &&
                     bind(lib, "cublasLtMatmulDescSetAttribute", &api->desc_set) &&
                     bind(lib, "cublasLtMatrixLayoutCreate", &api->layout_create) &&
                     bind(lib, "cublasLtMatrixLayoutDestroy", &api->layout_destroy) &&
                     bind(lib, "cublasLtMatrixLayoutSetAttribute", &api->layout_set) &&
                     bind(lib, "cublasLtMatmulPreferenceCreate", &api->preference_create) &&
                     bind(lib, "cublasLtMatmulPreferenceDestroy", &api->preference_destroy) &&
                     bind(lib, "cublasLtMatmulPreferenceSetAttribute", &api->preference_set) &&
                     bind(lib, "cublasLtMatmulAlgoGetHeuristic", &api->heuristic) && bind(lib, "cublasLtMatmul", &api->matmul);
  if (!bound) {
    const char* error = dlerror();
    *why = std::string("the cuBLASLt library found lacks a function trainc calls (") + (error != nullptr ? error : "dlsym failed") + ")";
    dlclose(lib);
    api->library = nullptr;
    return false;
  }
  api->path = loaded_path(reinterpret_cast<const void*>(api->create), opened);
  return true;
}

}  // namespace trainc::lt
