// cuBLASLt as a run-time GEMM candidate beside the generated GEMMs: gemm_lt() computes the row-major
//   C[M,N] = alpha * op(A) op(B) + beta * C      (op(A) is [M,K]: A is stored [M,K], or [K,M] when trans_a;
//                                                  op(B) is [K,N]: B is stored [K,N], or [N,K] when trans_b)
// for bf16, f16 or f32 inputs and a C of their type or f32 with f32 accumulation and f32 scales (CUBLAS_COMPUTE_32F:
// exact f32 math, no TF32), optionally over `batch` matrices that follow one another in each buffer (a broadcast operand is
// stored once and serves every batch entry: batch stride 0). It returns false with the reason when cuBLASLt is
// missing or has no algorithm for the shape, so the caller falls back to a generated GEMM.
// Row-major on a column-major library: a row-major [r,c] buffer is the column-major [c,r] matrix with ld = c, so
// cuBLASLt computes C^T[N,M] = op(B)^T op(A)^T with its A := our B and its B := our A, each keeping its own op.
// The algorithm is the heuristic's first for the shape, or its `algo`-th (the autotuner measures the first few).
// Invariants: a shape's descriptors and algorithm are built once (plans are cached by shape, workspace size and algo) and
// reused, so once every shape is prepared (the GEMM choice before capture), calls inside a CUDA graph capture issue
// only cublasLtMatmul; every descriptor is destroyed with the CublasLt that made it. The algorithm is picked for
// buffers aligned to 256 bytes (cuBLASLt's default assumption), which every arena slot is.

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "cublaslt-api.h"

namespace trainc {

enum class GemmType { F32, BF16, F16 };

/** A GEMM's shape and types (see the file comment for the layouts). */
struct GemmLtShape {
  int64_t m, n, k;
  bool trans_a, trans_b;
  GemmType ab;
  GemmType c;
  /** Matrices in the batch, each contiguous after the previous one. */
  int32_t batch;
  /** A (or B) is one matrix shared by every batch entry. */
  bool broadcast_a;
  bool broadcast_b;
};

/**
 * The workspace cuBLASLt is offered wherever trainc asks it for algorithms (the program and the autotuner's tuning
 * binaries): its list of algorithms depends on it, so a tuned algorithm index names the same algorithm in both.
 * Equal to CUBLASLT_WORKSPACE_BYTES in backends/cuda/kernels.ts.
 */
constexpr size_t kLibraryWorkspaceBytes = size_t{32} << 20;

/** One GEMM call: shape, device pointers, scales, the workspace cuBLASLt may use, and the stream. */
struct GemmLtCall {
  GemmLtShape shape;
  const void* a;
  const void* b;
  void* c;
  float alpha;
  float beta;
  void* workspace;
  size_t workspace_bytes;
  cudaStream_t stream;
  /** Which of cuBLASLt's heuristic algorithms for the shape runs: 0 is its first choice (the autotuner may pick another). */
  int algo = 0;
};

/** A loaded cuBLASLt with a handle and the plans of the shapes used so far. */
class CublasLt {
 public:
  CublasLt() = default;
  CublasLt(const CublasLt&) = delete;
  CublasLt& operator=(const CublasLt&) = delete;
  ~CublasLt() {
    for (auto& entry : plans_) destroy(entry.second);
    if (handle_ != nullptr) api_.destroy(handle_);
    if (api_.library != nullptr) dlclose(api_.library);
  }

  /** Loads the library and creates the handle on first use; false with the reason when that failed. */
  bool ready(std::string* why) {
    if (!tried_) {
      tried_ = true;
      if (lt::load_api(&api_, &failure_)) {
        const lt::Status s = api_.create(&handle_);
        if (s != lt::kSuccess) {
          handle_ = nullptr;
          failure_ = "cublasLtCreate failed: " + lt::status_text(s);
        }
      }
    }
    if (handle_ == nullptr) *why = failure_;
    return handle_ != nullptr;
  }

  /** The file cuBLASLt was loaded from ("" before ready() or when it was not). */
  const std::string& library() const { return api_.path; }

  /** The loaded library's version as major.minor.patch ("" before ready() or when it was not loaded). */
  std::string version() const {
    if (api_.version == nullptr) return "";
    const size_t v = api_.version();
    return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
  }

  /**
   * Builds (once) the plan of `shape` with heuristic algorithm `algo` for `workspace_bytes` of workspace; false with the
   * reason when cuBLASLt cannot (no such algorithm included).
   */
  bool prepare(const GemmLtShape& shape, size_t workspace_bytes, std::string* why, int algo = 0) {
    return plan(shape, workspace_bytes, algo, why) != nullptr;
  }

  /** Runs one GEMM; false with the reason when cuBLASLt cannot. */
  bool gemm(const GemmLtCall& call, std::string* why) {
    const Plan* p = plan(call.shape, call.workspace_bytes, call.algo, why);
    if (p == nullptr) return false;
    const lt::Status status = api_.matmul(handle_, p->desc, &call.alpha, call.b, p->a, call.a, p->b, &call.beta, call.c, p->c, call.c, p->c,
                                          &p->algo, call.workspace, call.workspace_bytes, call.stream);
    if (status != lt::kSuccess) *why = "cublasLtMatmul failed: " + lt::status_text(status);
    return status == lt::kSuccess;
  }

 private:
  using Key = std::tuple<int64_t, int64_t, int64_t, bool, bool, GemmType, GemmType, int32_t, bool, bool, size_t, int>;

  /** Most heuristic algorithms asked for per shape. */
  static constexpr int kMaxAlgos = 8;

  /** Descriptors in cuBLASLt's terms: `a` describes our B, `b` our A (see the file comment). */
  struct Plan {
    lt::MatmulDesc desc = nullptr;
    lt::Layout a = nullptr;
    lt::Layout b = nullptr;
    lt::Layout c = nullptr;
    lt::MatmulAlgo algo{};
  };

  lt::Api api_;
  lt::Handle handle_ = nullptr;
  bool tried_ = false;
  std::string failure_;
  std::map<Key, Plan> plans_;

  /** The cached plan of `s`, made on first use; nullptr with the reason when cuBLASLt cannot run it. */
  const Plan* plan(const GemmLtShape& s, size_t workspace_bytes, int algo, std::string* why) {
    if (!ready(why)) return nullptr;
    if (s.m < 1 || s.n < 1 || s.k < 1 || s.batch < 1) {
      *why = "an empty GEMM (m, n, k and batch must be at least 1)";
      return nullptr;
    }
    if (algo < 0 || algo >= kMaxAlgos) {
      *why = "cuBLASLt algorithm " + std::to_string(algo) + " (trainc asks for its first " + std::to_string(kMaxAlgos) + ")";
      return nullptr;
    }
    const Key key{s.m, s.n, s.k, s.trans_a, s.trans_b, s.ab, s.c, s.batch, s.broadcast_a, s.broadcast_b, workspace_bytes, algo};
    auto found = plans_.find(key);
    if (found == plans_.end()) {
      Plan made;
      if (!make_plan(s, workspace_bytes, algo, &made, why)) return nullptr;
      found = plans_.emplace(key, made).first;
    }
    return &found->second;
  }

  static cudaDataType_t cuda_type(GemmType t) {
    return t == GemmType::BF16 ? CUDA_R_16BF : t == GemmType::F16 ? CUDA_R_16F : CUDA_R_32F;
  }

  void destroy(const Plan& p) const {
    if (p.desc != nullptr) api_.desc_destroy(p.desc);
    for (lt::Layout layout : {p.a, p.b, p.c}) {
      if (layout != nullptr) api_.layout_destroy(layout);
    }
  }

  /** The column-major layout of a row-major [rows, cols] buffer, batched with a stride of one matrix (0: shared). */
  lt::Status layout(cudaDataType_t type, int64_t rows, int64_t cols, int32_t batch, bool shared, lt::Layout* out) const {
    lt::Status s = api_.layout_create(out, type, static_cast<uint64_t>(cols), static_cast<uint64_t>(rows), cols);
    if (s != lt::kSuccess || batch == 1) return s;
    const int64_t stride = shared ? 0 : rows * cols;
    s = api_.layout_set(*out, lt::kLayoutBatchCount, &batch, sizeof batch);
    return s != lt::kSuccess ? s : api_.layout_set(*out, lt::kLayoutStridedBatchOffset, &stride, sizeof stride);
  }

  bool make_plan(const GemmLtShape& s, size_t workspace_bytes, int algo, Plan* p, std::string* why) const {
    const int32_t op_a = s.trans_b ? lt::kOpT : lt::kOpN;
    const int32_t op_b = s.trans_a ? lt::kOpT : lt::kOpN;
    const uint64_t max_workspace = workspace_bytes;
    lt::Preference preference = nullptr;
    lt::HeuristicResult results[kMaxAlgos]{};
    int returned = 0;
    lt::Status st = api_.desc_create(&p->desc, lt::kComputeF32, CUDA_R_32F);
    if (st == lt::kSuccess) st = api_.desc_set(p->desc, lt::kDescTransA, &op_a, sizeof op_a);
    if (st == lt::kSuccess) st = api_.desc_set(p->desc, lt::kDescTransB, &op_b, sizeof op_b);
    if (st == lt::kSuccess) st = layout(cuda_type(s.ab), s.trans_b ? s.n : s.k, s.trans_b ? s.k : s.n, s.batch, s.broadcast_b, &p->a);
    if (st == lt::kSuccess) st = layout(cuda_type(s.ab), s.trans_a ? s.k : s.m, s.trans_a ? s.m : s.k, s.batch, s.broadcast_a, &p->b);
    if (st == lt::kSuccess) st = layout(cuda_type(s.c), s.m, s.n, s.batch, false, &p->c);
    if (st == lt::kSuccess) st = api_.preference_create(&preference);
    if (st == lt::kSuccess) st = api_.preference_set(preference, lt::kPreferenceMaxWorkspaceBytes, &max_workspace, sizeof max_workspace);
    if (st == lt::kSuccess) st = api_.heuristic(handle_, p->desc, p->a, p->b, p->c, p->c, preference, algo + 1, results, &returned);
    if (preference != nullptr) api_.preference_destroy(preference);
    if (st != lt::kSuccess || returned <= algo) {
      *why = "cuBLASLt has no algorithm " + (algo > 0 ? std::to_string(algo) + " " : std::string()) + "for a " + std::to_string(s.m) + "x" +
             std::to_string(s.n) + "x" +
             std::to_string(s.k) + " GEMM (" + (st != lt::kSuccess ? lt::status_text(st) : std::to_string(returned) + " candidates") + ")";
      destroy(*p);
      return false;
    }
    p->algo = results[algo].algo;
    return true;
  }
};

/** Runs `call` on cuBLASLt; false with the reason (library missing, no algorithm, failure) so the caller falls back. */
inline bool gemm_lt(CublasLt& lt, const GemmLtCall& call, std::string* why) { return lt.gemm(call, why); }

}  // namespace trainc
