// CPU emulation of the CUDA subset the anchor templates and the lab harness use, so the generated kernels run under
// g++ on a machine with no GPU (`g++ -std=c++20 -x c++ -include emu.h lab.cu`). Each CUDA thread is a fiber
// (ucontext) on one OS thread; the blocks of a launch run one after another, so `__shared__` becomes `static`.
// Barriers: __syncthreads waits for every live thread of the block, warp operations (shuffles, ballot) for every
// live lane of the warp; a fiber runs until it reaches one, and the scheduler releases a barrier once all its
// threads are there. Strict: a barrier some thread of the block (or warp) has already exited, or a block where
// threads wait at different barriers, aborts with a message — on a GPU those are bugs too.
// Host side: cudaMalloc, cudaMemcpy and the other runtime calls the lab makes are defined here over host memory
// (allocations aligned to 256 bytes, as the memory plan aligns buffers); no CUDA library is linked.
// Invariants: include before any CUDA source; exactly one translation unit includes it (it defines the runtime calls).

#pragma once

#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>
#include <ucontext.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#define TRAINC_EMULATED 1
#undef __shared__
#define __shared__ static
#define __launch_bounds__(...)

namespace emu {

enum class State { Runnable, AtBlockBarrier, AtWarpBarrier, Done };

struct Fiber {
  ucontext_t context;
  std::unique_ptr<char[]> stack;
  uint3 thread;
  State state;
};

/** The launch being run: its shape, the current block and thread, and the per-thread exchange slots of warps. */
struct Launch {
  dim3 grid, block;
  uint3 block_index;
  std::vector<Fiber> fibers;
  std::vector<unsigned long long> slots;  // two 8-byte words per thread
  std::function<void()> body;
  ucontext_t scheduler;
  Fiber* current = nullptr;
};

inline Launch* active = nullptr;
constexpr size_t STACK_BYTES = 128 * 1024;

[[noreturn]] inline void die(const char* what) {
  std::fprintf(stderr, "emu: %s (block %u,%u,%u thread %u,%u,%u)\n", what, active->block_index.x,
               active->block_index.y, active->block_index.z, active->current ? active->current->thread.x : 0u,
               active->current ? active->current->thread.y : 0u, active->current ? active->current->thread.z : 0u);
  std::abort();
}

inline int linear_thread() {
  const uint3 t = active->current->thread;
  return static_cast<int>(t.x + active->block.x * (t.y + active->block.y * t.z));
}

/** Parks the running fiber at a barrier and returns once the scheduler releases it. */
inline void wait(State at) {
  Fiber* f = active->current;
  f->state = at;
  swapcontext(&f->context, &active->scheduler);
}

inline void entry() {
  active->body();
  active->current->state = State::Done;
}

/** Releases the warps whose live lanes all wait at a warp operation; true if any was released. */
inline bool release_warps() {
  bool released = false;
  const size_t n = active->fibers.size();
  for (size_t w = 0; w < n; w += 32) {
    const size_t end = w + 32 < n ? w + 32 : n;
    size_t waiting = 0, done = 0;
    for (size_t i = w; i < end; ++i) {
      waiting += active->fibers[i].state == State::AtWarpBarrier;
      done += active->fibers[i].state == State::Done;
    }
    if (waiting == 0 || waiting + done != end - w) continue;
    if (done > 0) die("a warp operation after some lanes of the warp exited");
    for (size_t i = w; i < end; ++i) active->fibers[i].state = State::Runnable;
    released = true;
  }
  return released;
}

/** Runs every fiber of the current block to completion, releasing barriers as they fill. */
inline void run_block() {
  Launch& L = *active;
  for (Fiber& f : L.fibers) {
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = STACK_BYTES;
    f.context.uc_link = &L.scheduler;
    makecontext(&f.context, entry, 0);
    f.state = State::Runnable;
  }
  for (;;) {
    for (Fiber& f : L.fibers) {
      if (f.state != State::Runnable) continue;
      L.current = &f;
      swapcontext(&L.scheduler, &f.context);
    }
    L.current = nullptr;
    size_t done = 0, at_block = 0;
    for (const Fiber& f : L.fibers) {
      done += f.state == State::Done;
      at_block += f.state == State::AtBlockBarrier;
    }
    if (done == L.fibers.size()) return;
    if (release_warps()) continue;
    if (at_block + done != L.fibers.size()) die("threads of one block wait at different barriers");
    if (done > 0) die("__syncthreads after some threads of the block exited");
    for (Fiber& f : L.fibers) f.state = State::Runnable;
  }
}

/** Runs `body` (one kernel call) for every thread of every block of the grid. */
inline void launch(dim3 grid, dim3 block, std::function<void()> body) {
  Launch L;
  L.grid = grid;
  L.block = block;
  L.body = std::move(body);
  const unsigned threads = block.x * block.y * block.z;
  L.fibers.resize(threads);
  L.slots.assign(2 * static_cast<size_t>(threads), 0);
  for (unsigned i = 0; i < threads; ++i) {
    L.fibers[i].stack.reset(new char[STACK_BYTES]);
    L.fibers[i].thread = {i % block.x, (i / block.x) % block.y, i / (block.x * block.y)};
  }
  Launch* outer = active;
  active = &L;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        L.block_index = {x, y, z};
        run_block();
      }
  active = outer;
}

/** One value per lane through the warp's slots: writes own, waits for the warp, reads `lane`'s, waits again. */
template <typename T>
T exchange(T v, int source) {
  static_assert(sizeof(T) <= 16, "warp exchange of more than 16 bytes");
  const int t = linear_thread();
  const int base = t - t % 32;
  std::memcpy(&active->slots[2 * t], &v, sizeof(T));
  wait(State::AtWarpBarrier);
  if (base + source >= static_cast<int>(active->fibers.size())) die("shuffle from a lane outside the block");
  T r;
  std::memcpy(&r, &active->slots[2 * (base + source)], sizeof(T));
  wait(State::AtWarpBarrier);
  return r;
}

inline void check_aligned(const void* p, size_t bytes, const char* file, int line) {
  if (reinterpret_cast<uintptr_t>(p) % bytes != 0) {
    std::fprintf(stderr, "emu: %s:%d: %zu-byte access at a misaligned address %p\n", file, line, bytes, p);
    die("misaligned vector access");
  }
}

}  // namespace emu

#define threadIdx (emu::active->current->thread)
#define blockIdx (emu::active->block_index)
#define blockDim (emu::active->block)
#define gridDim (emu::active->grid)
#define TRAINC_CHECK_ALIGNED(pointer, bytes) emu::check_aligned(pointer, bytes, __FILE__, __LINE__)
#define TRAINC_LAUNCH(kernel, grid, block, ...) emu::launch(grid, block, [&] { kernel(__VA_ARGS__); })

inline void __syncthreads() { emu::wait(emu::State::AtBlockBarrier); }

template <typename T>
T __shfl_xor_sync(unsigned, T v, int mask, int = 32) {
  return emu::exchange(v, (emu::linear_thread() % 32) ^ mask);
}
template <typename T>
T __shfl_up_sync(unsigned, T v, unsigned delta, int = 32) {
  const int lane = emu::linear_thread() % 32;
  const T other = emu::exchange(v, lane >= static_cast<int>(delta) ? lane - static_cast<int>(delta) : lane);
  return lane >= static_cast<int>(delta) ? other : v;
}
inline unsigned __ballot_sync(unsigned, int predicate) {
  const int t = emu::linear_thread();
  const int base = t - t % 32;
  emu::active->slots[2 * t] = predicate != 0;
  emu::wait(emu::State::AtWarpBarrier);
  unsigned bits = 0;
  for (int lane = 0; lane < 32 && base + lane < static_cast<int>(emu::active->fibers.size()); ++lane) {
    if (emu::active->fibers[base + lane].state != emu::State::Done && emu::active->slots[2 * (base + lane)] != 0) {
      bits |= 1u << lane;
    }
  }
  emu::wait(emu::State::AtWarpBarrier);
  return bits;
}

inline float __int_as_float(unsigned bits) { float f; std::memcpy(&f, &bits, 4); return f; }
inline double __longlong_as_double(unsigned long long bits) { double d; std::memcpy(&d, &bits, 8); return d; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __ffs(unsigned x) { return __builtin_ffs(static_cast<int>(x)); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }

inline int atomicCAS(int* p, int compare, int value) {
  const int old = *p;
  if (old == compare) *p = value;
  return old;
}
inline float atomicAdd(float* p, float v) { const float old = *p; *p = old + v; return old; }
inline double atomicAdd(double* p, double v) { const double old = *p; *p = old + v; return old; }
inline int atomicAdd(int* p, int v) { const int old = *p; *p = old + v; return old; }
inline unsigned atomicAdd(unsigned* p, unsigned v) { const unsigned old = *p; *p = old + v; return old; }
inline void __threadfence() {}
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  const unsigned long long old = *p;
  *p = old + v;
  return old;
}

// The CUDA runtime calls the lab makes, over host memory (cuda_runtime_api.h declares them extern "C").
extern "C" {
cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256 + 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  std::memcpy(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  std::memset(p, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyFromSymbol(void* dst, const void* symbol, size_t bytes, size_t offset, cudaMemcpyKind) {
  std::memcpy(dst, static_cast<const char*>(symbol) + offset, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyToSymbol(const void* symbol, const void* src, size_t bytes, size_t offset, cudaMemcpyKind) {
  std::memcpy(const_cast<char*>(static_cast<const char*>(symbol)) + offset, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
const char* cudaGetErrorString(cudaError_t) { return "emulated CUDA call failed"; }
}

// The symbol overloads cuda_runtime.h declares only for nvcc.
template <typename T>
cudaError_t cudaMemcpyFromSymbol(void* dst, const T& symbol, size_t bytes, size_t offset = 0,
                                 cudaMemcpyKind kind = cudaMemcpyDeviceToHost) {
  return cudaMemcpyFromSymbol(dst, static_cast<const void*>(&symbol), bytes, offset, kind);
}
template <typename T>
cudaError_t cudaMemcpyToSymbol(const T& symbol, const void* src, size_t bytes, size_t offset = 0,
                               cudaMemcpyKind kind = cudaMemcpyHostToDevice) {
  return cudaMemcpyToSymbol(static_cast<const void*>(&symbol), src, bytes, offset, kind);
}
