// Host emulation of the little of CUDA that generated GEMMs use, so their index maths, tails, pipelining and split-K
// ordering run here with g++ (no GPU). Every CUDA thread is a ucontext fiber on one OS thread; a round-robin
// scheduler runs each fiber until it reaches a barrier (__syncthreads, or the warp-wide exchange of an emulated
// ldmatrix / mma.sync), so thread 0 always runs as far ahead as CUDA allows: a missing barrier shows up as wrong
// results. Blocks run one after another in launch order (x fastest, then y, then z), as split-K assumes.
// Invariants: dynamic shared memory starts filled with 0xFF bytes (NaN in bf16 and f32), so reading a slot no copy
// wrote poisons the result; with `deferred_copies`, cp.async copies land only at the cp.async.wait_group that covers
// them (a missing wait reads stale data), otherwise at issue (a missing barrier before reuse of a stage shows).
// Emulated instructions check alignment and bounds and abort with a message on a violation.
#pragma once

#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#include "../../half-bits.h"

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__

struct uint3_emu {
  unsigned x, y, z;
};
struct float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int min(int a, int b) { return a < b ? a : b; }

namespace emu {

[[noreturn]] inline void die(const char* what) {
  std::fprintf(stderr, "emulation error: %s\n", what);
  std::exit(3);
}

struct Barrier {
  int expected = 0;
  int arrived = 0;
  unsigned long generation = 0;
};

struct Copy {
  void* dst;
  const void* src;
  int bytes;
  bool valid;
};

struct Fiber {
  ucontext_t context;
  unsigned tid = 0;
  bool done = false;
  Barrier* waiting = nullptr;
  unsigned long waiting_generation = 0;
  std::vector<Copy> open;                 // cp.async copies not yet committed
  std::vector<std::vector<Copy>> groups;  // committed groups, oldest first
};

// Per-warp exchange slots of the emulated warp-wide instructions.
struct WarpSlots {
  const void* address[32];
  unsigned a[32][4];
  unsigned b[32][2];
  float c[32][4];
};

struct Range {
  const char* begin;
  const char* end;
};

inline ucontext_t scheduler;
inline Fiber* current = nullptr;
inline uint3_emu block_index{0, 0, 0};
inline uint3_emu block_dim{1, 1, 1};
inline std::vector<unsigned char> shared;  // the block's dynamic shared memory, then a guard zone
inline size_t shared_size = 0;
constexpr size_t kSharedGuard = 4096;
inline long ldmatrix_conflicts = 0;
inline bool deferred_copies = false;  // matrices whose 8 rows do not fall in 8 distinct 16-byte bank groups
inline Barrier block_barrier;
inline std::vector<Barrier> warp_barriers;
inline std::vector<WarpSlots> warp_slots;
inline std::vector<Range> global_ranges;
inline std::function<void()> kernel_body;
inline std::vector<std::vector<char>> stacks;  // one per thread, kept across blocks

inline uint3_emu thread_index() { return {current->tid, 0, 0}; }

inline void arrive(Barrier& b) {
  const unsigned long generation = b.generation;
  if (++b.arrived == b.expected) {
    b.arrived = 0;
    ++b.generation;
    return;
  }
  current->waiting = &b;
  current->waiting_generation = generation;
  swapcontext(&current->context, &scheduler);
}

inline void sync_warp() { arrive(warp_barriers[current->tid / 32]); }

inline void fiber_entry() {
  kernel_body();
  current->done = true;
}

inline void run_block(unsigned threads) {
  std::vector<Fiber> fibers(threads);
  block_barrier = Barrier{static_cast<int>(threads)};
  warp_barriers.assign((threads + 31) / 32, Barrier{32});
  warp_slots.assign((threads + 31) / 32, WarpSlots{});
  if (stacks.size() < threads) stacks.resize(threads, std::vector<char>(256 * 1024));
  for (unsigned t = 0; t < threads; ++t) {
    Fiber& f = fibers[t];
    f.tid = t;
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = stacks[t].data();
    f.context.uc_stack.ss_size = stacks[t].size();
    f.context.uc_link = &scheduler;
    makecontext(&f.context, fiber_entry, 0);
  }
  for (;;) {
    bool all_done = true, progressed = false;
    for (Fiber& f : fibers) {
      if (f.done) continue;
      all_done = false;
      if (f.waiting != nullptr && f.waiting->generation == f.waiting_generation) continue;
      f.waiting = nullptr;
      current = &f;
      swapcontext(&scheduler, &f.context);
      progressed = true;
    }
    if (all_done) break;
    if (!progressed) die("deadlock: threads wait at barriers that can never complete");
  }
  for (const Fiber& f : fibers) {
    if (!f.open.empty() || !f.groups.empty()) die("a thread ended with cp.async copies in flight");
  }
}

// Runs kernel(args...) over the grid, one block after another.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), uint3_emu grid, uint3_emu block, size_t shared_bytes, Args... args) {
  if (block.y != 1 || block.z != 1) die("only 1-D blocks are emulated");
  block_dim = block;
  kernel_body = [=]() { kernel(args...); };
  for (unsigned z = 0; z < grid.z; ++z) {
    for (unsigned y = 0; y < grid.y; ++y) {
      for (unsigned x = 0; x < grid.x; ++x) {
        block_index = {x, y, z};
        shared_size = shared_bytes;
        shared.assign(shared_bytes + kSharedGuard, 0xFF);
        run_block(block.x);
        for (size_t i = shared_bytes; i < shared.size(); ++i) {
          if (shared[i] != 0xFF) die("write past the end of dynamic shared memory");
        }
      }
    }
  }
}

inline bool in_shared(const void* p, size_t bytes) {
  const auto* c = static_cast<const unsigned char*>(p);
  return c >= shared.data() && c + bytes <= shared.data() + shared_size;
}

inline bool in_global(const void* p, size_t bytes) {
  const auto* c = static_cast<const char*>(p);
  for (const Range& r : global_ranges) {
    if (c >= r.begin && c + bytes <= r.end) return true;
  }
  return false;
}

inline void perform(const Copy& c) {
  if (c.valid) {
    std::memcpy(c.dst, c.src, c.bytes);
  } else {
    std::memset(c.dst, 0, c.bytes);
  }
}

inline void cp_async(void* dst, const void* src, int bytes, bool valid) {
  if (!in_shared(dst, bytes)) die("cp.async destination outside dynamic shared memory");
  if (reinterpret_cast<uintptr_t>(dst) % bytes != 0) die("cp.async destination not aligned to its size");
  if (valid && !in_global(src, bytes)) die("cp.async source outside every global buffer");
  if (valid && reinterpret_cast<uintptr_t>(src) % bytes != 0) die("cp.async source not aligned to its size");
  if (deferred_copies) {
    current->open.push_back({dst, src, bytes, valid});
  } else {
    perform({dst, src, bytes, valid});
  }
}

inline void cp_async_commit() {
  current->groups.push_back(current->open);
  current->open.clear();
}

inline void cp_async_wait(int pending) {
  while (static_cast<int>(current->groups.size()) > pending) {
    for (const Copy& c : current->groups.front()) perform(c);
    current->groups.erase(current->groups.begin());
  }
}

inline uint16_t element16(const void* row, int col) {
  uint16_t v;
  std::memcpy(&v, static_cast<const char*>(row) + 2 * col, 2);
  return v;
}

// ldmatrix.x4(.trans): lane 8i + r addresses row r of matrix i; lane l receives, of each matrix, elements
// (l / 4, 2 (l % 4) + {0, 1}), or with .trans (2 (l % 4) + {0, 1}, l / 4).
inline void ldmatrix_x4(unsigned (&out)[4], const void* p, bool trans) {
  if (!in_shared(p, 16) || reinterpret_cast<uintptr_t>(p) % 16 != 0) die("ldmatrix row address invalid");
  WarpSlots& w = warp_slots[current->tid / 32];
  const int lane = current->tid % 32;
  w.address[lane] = p;
  sync_warp();
  if (lane == 0) {
    for (int i = 0; i < 4; ++i) {
      unsigned groups = 0;
      for (int r = 0; r < 8; ++r) groups |= 1u << (reinterpret_cast<uintptr_t>(w.address[8 * i + r]) / 16 % 8);
      ldmatrix_conflicts += groups != 0xFFu;
    }
  }
  for (int i = 0; i < 4; ++i) {
    const int r = lane / 4, c = 2 * (lane % 4);
    const uint16_t lo = trans ? element16(w.address[8 * i + c], r) : element16(w.address[8 * i + r], c);
    const uint16_t hi = trans ? element16(w.address[8 * i + c + 1], r) : element16(w.address[8 * i + r], c + 1);
    out[i] = static_cast<unsigned>(lo) | (static_cast<unsigned>(hi) << 16);
  }
  sync_warp();
}

// mma.sync m16n8k16 row.col (bf16, or f16 when f16 is true): lane l (g = l / 4, q = l % 4) holds A rows g, g + 8
// and k pairs 2q, 2q + 8; B column g, k pairs 2q, 2q + 8; C/D rows g, g + 8, columns 2q, 2q + 1.
inline void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1, bool f16) {
  WarpSlots& w = warp_slots[current->tid / 32];
  const int lane = current->tid % 32;
  for (int i = 0; i < 4; ++i) w.a[lane][i] = a[i];
  w.b[lane][0] = b0;
  w.b[lane][1] = b1;
  for (int i = 0; i < 4; ++i) w.c[lane][i] = d[i];
  sync_warp();
  float A[16][16], B[16][8];
  const auto value = [f16](uint32_t bits) { return half_bits::to_float(static_cast<uint16_t>(bits), f16); };
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, q = l % 4;
    for (int i = 0; i < 4; ++i) {
      const int row = g + 8 * (i % 2), col = 2 * q + 8 * (i / 2);
      A[row][col] = value(w.a[l][i] & 0xFFFF);
      A[row][col + 1] = value(w.a[l][i] >> 16);
    }
    for (int i = 0; i < 2; ++i) {
      B[2 * q + 8 * i][g] = value(w.b[l][i] & 0xFFFF);
      B[2 * q + 8 * i + 1][g] = value(w.b[l][i] >> 16);
    }
  }
  const int g = lane / 4, q = lane % 4;
  for (int i = 0; i < 4; ++i) {
    const int row = g + 8 * (i / 2), col = 2 * q + (i % 2);
    float sum = w.c[lane][i];
    for (int k = 0; k < 16; ++k) sum += A[row][k] * B[k][col];
    d[i] = sum;
  }
  sync_warp();
}

// Blocks run in launch order, so the split a flag waits for has always finished.
inline void flag_wait(const int* flag, int value) {
  if (*flag != value) die("split-K flag not released by the previous split");
}

}  // namespace emu

#define threadIdx (::emu::thread_index())
#define blockIdx (::emu::block_index)
#define blockDim (::emu::block_dim)

inline void __syncthreads() { ::emu::arrive(::emu::block_barrier); }
inline void __threadfence() {}
