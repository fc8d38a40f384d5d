// Timing on the device for the generated program: time_on_stream() measures a piece of work with CUDA events (for
// the GEMM choice, gemm-choice.h); KernelProfiler runs one graph's launch function uncaptured with an event before
// and after every launch (the --profile run, run-summary.h writes what it measured); Launches is what a launch
// function calls around each launch (profiling hooks and the GEMM choice).
// Invariants: events are only created and recorded outside a CUDA graph capture (the profiler records only inside
// run(), which is never captured; Launches' hooks do nothing otherwise); each measurement waits for its work.

#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include "cuda-check.h"
#include "gemm-choice.h"
#include "run-summary.h"

namespace trainc {

/** A CUDA event, destroyed with its owner. */
class Event {
 public:
  Event() { TRAINC_CUDA_CHECK(cudaEventCreate(&event_)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { cudaEventDestroy(event_); }

  void record(cudaStream_t stream) { TRAINC_CUDA_CHECK(cudaEventRecord(event_, stream)); }
  /** Waits until the work recorded before this event has run. */
  void wait() const { TRAINC_CUDA_CHECK(cudaEventSynchronize(event_)); }
  /** Milliseconds from `start` to this event (both recorded and complete). */
  double since(const Event& start) const {
    float ms = 0;
    TRAINC_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, event_));
    return ms;
  }

 private:
  cudaEvent_t event_ = nullptr;
};

/** Milliseconds per run of `work` on `stream`: one untimed run, then the mean of `repeats` back-to-back runs. */
inline double time_on_stream(cudaStream_t stream, const std::function<void()>& work, int repeats) {
  Event start, stop;
  work();
  start.record(stream);
  for (int i = 0; i < repeats; i++) work();
  stop.record(stream);
  stop.wait();
  return stop.since(start) / repeats;
}

/** Per-launch GPU times of uncaptured graph runs (the --profile run). */
class KernelProfiler {
 public:
  /** `launches` is the program's launch table (what begin() and end() index). */
  explicit KernelProfiler(const LaunchInfo* launches) : launches_(launches) {}

  /** Runs `issue(stream)` (a graph's work, uncaptured) with events around each launch, and waits for it. */
  template <typename Issue>
  void run(cudaStream_t stream, Issue&& issue) {
    Event start, stop;
    start.record(stream);
    active_ = true;
    try {
      std::forward<Issue>(issue)(stream);
    } catch (...) {
      active_ = false;
      throw;
    }
    active_ = false;
    stop.record(stream);
    stop.wait();
    step_ms_ += stop.since(start);
  }

  /** Before launch `launch` of the table: records an event while run() is issuing; nothing otherwise. */
  void begin(size_t launch, cudaStream_t stream) {
    if (!active_) return;
    records_.emplace_back(launch);
    records_.back().start.record(stream);
  }

  /** After the launch begin() announced. */
  void end(cudaStream_t stream) {
    if (active_) records_.back().stop.record(stream);
  }

  /** The --profile file's text for every run so far; GEMMs name the backend `gemms` chose. */
  std::string json(const GemmChooser& gemms) const {
    std::vector<LaunchTime> times;
    for (const Record& r : records_) {
      const LaunchInfo& info = launches_[r.launch];
      times.push_back({&info, info.gemm >= 0 ? backend_name(gemms.backend(static_cast<size_t>(info.gemm))) : "", r.stop.since(r.start)});
    }
    return profile_json(step_ms_, times);
  }

 private:
  struct Record {
    explicit Record(size_t l) : launch(l) {}
    size_t launch;
    Event start;
    Event stop;
  };

  const LaunchInfo* launches_;
  bool active_ = false;
  double step_ms_ = 0;
  std::deque<Record> records_;
};

/** What a launch function calls around its launches: the profiling hooks and the GEMM choice. */
struct Launches {
  GemmChooser& gemms;
  KernelProfiler& profiler;

  void begin(size_t launch, cudaStream_t stream) { profiler.begin(launch, stream); }
  void end(cudaStream_t stream) { profiler.end(stream); }
  /** Runs GEMM site `site` on cuBLASLt when it chose it (true); false: launch the generated kernel. */
  bool library_gemm(size_t site, cudaStream_t stream) { return gemms.run_library(site, stream); }
};

}  // namespace trainc
