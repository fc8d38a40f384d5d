// A device arena: one cudaMalloc holding many buffers at offsets from the memory plan's table (arena-table.h), so
// the program allocates once per arena, never during a step, and a captured CUDA graph sees fixed addresses.
// Invariants: the arena owns its allocation (freed on destruction, never copied); slots are checked against the
// arena once (check()) before any pointer is taken from them.

#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <cuda_runtime.h>

#include "arena-table.h"
#include "cuda-check.h"

namespace trainc {

/** One device allocation of `bytes`, named (state, activations) for messages. */
class DeviceArena {
 public:
  DeviceArena(std::string name, uint64_t bytes) : name_(std::move(name)), bytes_(bytes) {
    if (bytes_ > 0) TRAINC_CUDA_CHECK(cudaMalloc(&base_, bytes_));
  }
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;
  ~DeviceArena() {
    if (base_ != nullptr) cudaFree(base_);
  }

  uint64_t bytes() const { return bytes_; }

  /** Checks a whole slot table against this arena (a logic error names the first bad slot). */
  void check(const ArenaSlot* slots, size_t count) const { check_slots(name_.c_str(), bytes_, slots, count); }

  /** The device address of a slot of a checked table. */
  template <typename T = void>
  T* at(const ArenaSlot& slot) const {
    return reinterpret_cast<T*>(static_cast<char*>(base_) + slot.offset);
  }

  /** Zeroes a slot on `stream` (for accumulators and kernel workspaces). */
  void zero(const ArenaSlot& slot, cudaStream_t stream) const {
    TRAINC_CUDA_CHECK(cudaMemsetAsync(at(slot), 0, slot.bytes, stream));
  }

 private:
  std::string name_;
  uint64_t bytes_;
  void* base_ = nullptr;
};

}  // namespace trainc
