// The run-time choice, per GEMM of the program, between its generated kernel and cuBLASLt (gemm-lt.h), made once
// before the step is captured. TRAINC_GEMM picks how:
//   auto (default)  a GEMM the tuning DB decided (GemmSite::tuned) runs what it chose, untimed: its generated kernel,
//                   or cuBLASLt's algorithm of that index (its generated kernel, with a note, when cuBLASLt cannot);
//                   otherwise, when cuBLASLt loaded and has an algorithm for the GEMM, time both (the caller's timer:
//                   CUDA events over a few repeats) and keep the faster; GEMMs of one shape share the measurement
//   generated       every GEMM runs its generated kernel (cuBLASLt is not even loaded)
//   cublaslt        every GEMM runs on cuBLASLt; one it has no algorithm for runs its generated kernel, with a note
// The program prints library_line() at start and choice_line() after choose().
// Invariants: after choose(), every GEMM picked for cuBLASLt has its plan built and has run at least once, so inside
// a CUDA graph capture run_library() issues only cublasLtMatmul; the choice never changes afterwards, and both
// candidates compute the same product into the same buffer (the compiler's LibraryGemm contract), so the choice
// changes speed, not results beyond rounding order.

#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "error.h"
#include "gemm-lt.h"

namespace trainc {

enum class GemmMode { Auto, Generated, Cublaslt };
enum class GemmBackend { Generated, Cublaslt };

/** TRAINC_GEMM's value as a mode (unset or empty: auto); error 6541 for anything else. */
inline GemmMode gemm_mode(const char* value) {
  const std::string v = value == nullptr ? "" : value;
  if (v.empty() || v == "auto") return GemmMode::Auto;
  if (v == "generated") return GemmMode::Generated;
  if (v == "cublaslt") return GemmMode::Cublaslt;
  fail(6541, "TRAINC_GEMM is '" + v + "'", "set TRAINC_GEMM to auto (the default), generated or cublaslt");
}

inline const char* mode_name(GemmMode mode) {
  return mode == GemmMode::Auto ? "auto" : mode == GemmMode::Generated ? "generated" : "cublaslt";
}

inline const char* backend_name(GemmBackend backend) { return backend == GemmBackend::Cublaslt ? "cublaslt" : "generated"; }

/** GemmSite::tuned when the tuning DB has no say: the chooser decides. */
constexpr int kUntuned = -2;
/** GemmSite::tuned when the tuning DB chose the generated kernel. */
constexpr int kTunedGenerated = -1;

/**
 * One GEMM of the program: a label for messages, its shape and buffers, how to launch its generated kernel, and what
 * the tuning DB chose: kUntuned, kTunedGenerated, or the index of a cuBLASLt algorithm (0 and up).
 */
struct GemmSite {
  std::string label;
  GemmLtShape shape;
  const void* a;
  const void* b;
  void* c;
  std::function<void(cudaStream_t)> generated;
  int tuned = kUntuned;
};

/** Milliseconds one run of `work` takes (CUDA events in the program; a stand-in in tests). */
using GemmTimer = std::function<double(const std::function<void()>& work)>;

/** The backend of every GEMM of the program, and cuBLASLt to run those that chose it. */
class GemmChooser {
 public:
  /**
   * `workspace` (device memory of at least kLibraryWorkspaceBytes, the most cuBLASLt is offered) is what cuBLASLt may
   * use; kernels never run at once, so it is shared.
   */
  explicit GemmChooser(GemmMode mode, void* workspace) : mode_(mode), workspace_(workspace) {}

  GemmMode mode() const { return mode_; }

  /** Loads cuBLASLt (unless the mode is generated) and says whether it loaded, from which file, or why not. */
  std::string library_line() {
    if (mode_ == GemmMode::Generated) return "cuBLASLt: not used (TRAINC_GEMM=generated)";
    std::string why;
    if (lt_.ready(&why)) return "cuBLASLt " + lt_.version() + ": loaded " + lt_.library() + " (TRAINC_GEMM=" + mode_name(mode_) + ")";
    return "cuBLASLt: not loaded, every GEMM runs its generated kernel: " + why +
           " (set TRAINC_CUBLASLT to the full path of libcublasLt.so to use it)";
  }

  /** Picks the backend of every site (in launch-table order); notes about GEMMs that cannot use cuBLASLt go to `notes`. */
  void choose(std::vector<GemmSite> sites, cudaStream_t stream, const GemmTimer& timer, FILE* notes) {
    sites_ = std::move(sites);
    choice_.assign(sites_.size(), GemmBackend::Generated);
    algo_.assign(sites_.size(), 0);
    std::string unloaded;
    const bool library = mode_ != GemmMode::Generated && lt_.ready(&unloaded);
    std::map<Key, GemmBackend> measured;
    for (size_t i = 0; i < sites_.size(); i++) {
      const int tuned = mode_ == GemmMode::Auto ? sites_[i].tuned : kUntuned;
      if (tuned != kUntuned) {
        choice_[i] = tuned == kTunedGenerated ? GemmBackend::Generated : run_tuned(i, library, unloaded, stream, notes);
        from_db_ += tuned == kTunedGenerated || choice_[i] == GemmBackend::Cublaslt;
        continue;
      }
      std::string why;
      if (!library || !lt_.prepare(sites_[i].shape, kLibraryWorkspaceBytes, &why)) {
        if (library && mode_ == GemmMode::Cublaslt) std::fprintf(notes, "GEMM %s runs its generated kernel: %s\n", sites_[i].label.c_str(), why.c_str());
        continue;
      }
      const Key key = key_of(sites_[i].shape);
      auto known = measured.find(key);
      if (known == measured.end()) known = measured.emplace(key, pick(i, stream, timer, notes)).first;
      choice_[i] = known->second;
    }
  }

  /** "GEMMs: 12 on cuBLASLt, 3 generated (TRAINC_GEMM=auto, 15 as the tuning DB chose)", after choose(). */
  std::string choice_line() const {
    return "GEMMs: " + std::to_string(count(GemmBackend::Cublaslt)) + " on cuBLASLt, " + std::to_string(count(GemmBackend::Generated)) +
           " generated (TRAINC_GEMM=" + mode_name(mode_) + ", " + std::to_string(from_db_) + " as the tuning DB chose)";
  }

  GemmBackend backend(size_t site) const { return choice_.at(site); }

  size_t count(GemmBackend backend) const {
    size_t n = 0;
    for (GemmBackend b : choice_) n += b == backend;
    return n;
  }

  /**
   * Runs site `site` on cuBLASLt when it chose cuBLASLt (true); false when the caller launches its generated kernel.
   * Error 6530 when cuBLASLt fails on a GEMM it ran before.
   */
  bool run_library(size_t site, cudaStream_t stream) {
    if (choice_.at(site) != GemmBackend::Cublaslt) return false;
    std::string why;
    if (!lt_.gemm(call(site, stream), &why)) {
      fail(6530, "cuBLASLt failed on GEMM " + sites_[site].label + ": " + why,
           "run with TRAINC_GEMM=generated to use the generated kernels, and report this with the program folder");
    }
    return true;
  }

 private:
  using Key = std::tuple<int64_t, int64_t, int64_t, bool, bool, GemmType, GemmType, int32_t, bool, bool>;

  GemmMode mode_;
  void* workspace_;
  CublasLt lt_;
  std::vector<GemmSite> sites_;
  std::vector<GemmBackend> choice_;
  std::vector<int> algo_;
  size_t from_db_ = 0;

  static Key key_of(const GemmLtShape& s) {
    return {s.m, s.n, s.k, s.trans_a, s.trans_b, s.ab, s.c, s.batch, s.broadcast_a, s.broadcast_b};
  }

  GemmLtCall call(size_t site, cudaStream_t stream) const {
    const GemmSite& s = sites_[site];
    return {s.shape, s.a, s.b, s.c, 1.0f, 0.0f, workspace_, kLibraryWorkspaceBytes, stream, algo_[site]};
  }

  /**
   * Site `i`'s cuBLASLt algorithm from the tuning DB, run once (so a capture later issues only the matmul); the
   * generated kernel, with a note, when cuBLASLt did not load (`unloaded` says why) or cannot run that algorithm.
   */
  GemmBackend run_tuned(size_t i, bool library, const std::string& unloaded, cudaStream_t stream, FILE* notes) {
    algo_[i] = sites_[i].tuned;
    std::string why = unloaded;
    if (library && lt_.prepare(sites_[i].shape, kLibraryWorkspaceBytes, &why, algo_[i]) && lt_.gemm(call(i, stream), &why)) {
      return GemmBackend::Cublaslt;
    }
    std::fprintf(notes, "GEMM %s runs its generated kernel: %s\n", sites_[i].label.c_str(), why.c_str());
    return GemmBackend::Generated;
  }

  /** The backend of site `i` (prepared on cuBLASLt): forced, or the faster of the two by `timer`. */
  GemmBackend pick(size_t i, cudaStream_t stream, const GemmTimer& timer, FILE* notes) {
    std::string why;
    bool failed = false;
    const auto library = [&] { failed = failed || !lt_.gemm(call(i, stream), &why); };
    if (mode_ == GemmMode::Cublaslt) {
      library();
    } else {
      const double generated_ms = timer([&] { sites_[i].generated(stream); });
      const double library_ms = timer(library);
      if (!failed && generated_ms <= library_ms) return GemmBackend::Generated;
    }
    if (!failed) return GemmBackend::Cublaslt;
    std::fprintf(notes, "GEMM %s runs its generated kernel: %s\n", sites_[i].label.c_str(), why.c_str());
    return GemmBackend::Generated;
  }
};

}  // namespace trainc
