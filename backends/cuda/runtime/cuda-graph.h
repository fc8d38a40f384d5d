// Capture and replay of the training step as one CUDA graph: capture() records every launch, copy and memset that a
// callable issues on a stream (nothing runs), instantiates the graph, and replay() launches it with one call per
// step. Addresses are fixed (arenas, pinned batch buffers), so replaying needs no update.
// Invariants: a capture that throws ends the stream's capture before rethrowing, so the stream stays usable; the
// executable graph is destroyed with its owner, and a second capture replaces the first.

#pragma once

#include <utility>

#include <cuda_runtime.h>

#include "cuda-check.h"
#include "error.h"

namespace trainc {

/** An instantiated CUDA graph of one step's work. */
class StepGraph {
 public:
  StepGraph() = default;
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;
  ~StepGraph() { release(); }

  /** Records what `issue(stream)` enqueues on `stream` (not a legacy default stream) and instantiates it. */
  template <typename Issue>
  void capture(cudaStream_t stream, Issue&& issue) {
    release();
    TRAINC_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    cudaGraph_t graph = nullptr;
    try {
      std::forward<Issue>(issue)(stream);
    } catch (...) {
      if (cudaStreamEndCapture(stream, &graph) == cudaSuccess && graph != nullptr) cudaGraphDestroy(graph);
      throw;
    }
    TRAINC_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
    const cudaError_t instantiated = cudaGraphInstantiate(&exec_, graph, 0);
    cudaGraphDestroy(graph);
    TRAINC_CUDA_CHECK(instantiated);
  }

  bool ready() const { return exec_ != nullptr; }

  /** Launches the captured work on `stream`. */
  void replay(cudaStream_t stream) const {
    if (exec_ == nullptr) internal_error("StepGraph::replay before a capture");
    TRAINC_CUDA_CHECK(cudaGraphLaunch(exec_, stream));
  }

 private:
  cudaGraphExec_t exec_ = nullptr;

  void release() {
    if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
    exec_ = nullptr;
  }
};

}  // namespace trainc
