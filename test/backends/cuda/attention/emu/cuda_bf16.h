// CPU emulation of the little of CUDA the attention kernels use, so their generated sources run under g++ in tests
// (this machine has nvcc but no GPU). Each block runs as one std::thread per CUDA thread, blocks one after another;
// __syncthreads is a block barrier, warp collectives (shuffles, ldmatrix, mma.sync) exchange values through a per-warp
// buffer between two warp barriers. cp.async copies are queued per thread and land only when that thread waits for
// their group (the latest moment the hardware allows), so a missing wait reads stale shared memory. Shared memory
// starts filled with 0xff bytes (NaN as f32 and bf16), so reading what nobody wrote shows up as NaN.
// The test swaps the kernels' primitive helpers (backends/cuda/attention/primitives.ts) for the emu_* functions here.
// Invariant: only kernels whose warp collectives are reached by all 32 lanes together run correctly (as on a GPU).
#pragma once

#include <barrier>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __align__(n) alignas(n)

struct uint4 { unsigned x, y, z, w; };
struct __nv_bfloat16 { unsigned short bits; };
struct emu_dim3 { int x, y, z; };

using std::max;
using std::min;

namespace emu {

struct Warp {
  std::barrier<> bar{32};
  alignas(16) unsigned char slot[32][64];
};

struct Block {
  explicit Block(int threads, size_t shared)
      : bar(threads), warps(static_cast<size_t>(threads + 31) / 32), smem(shared + 16, 0xff) {}
  std::barrier<> bar;
  std::vector<Warp> warps;
  std::vector<unsigned char> smem;
};

struct Copy { void* dst; const void* src; bool valid; };

inline thread_local emu_dim3 thread_index, block_index;
inline thread_local Block* block = nullptr;
inline thread_local std::vector<Copy> open_group;
inline thread_local std::vector<std::vector<Copy>> committed;
inline std::mutex atomics;

inline int lane() { return thread_index.x % 32; }
inline Warp& warp() { return block->warps[static_cast<size_t>(thread_index.x / 32)]; }

// Publishes this lane's value to the warp; call read() after, then done().
template <typename T>
inline void publish(const T& v) {
  static_assert(sizeof(T) <= 64, "slot too small");
  std::memcpy(warp().slot[lane()], &v, sizeof(T));
  warp().bar.arrive_and_wait();
}
template <typename T>
inline T read(int from) {
  T v;
  std::memcpy(&v, warp().slot[from], sizeof(T));
  return v;
}
inline void done() { warp().bar.arrive_and_wait(); }

inline void land(std::vector<Copy>& group) {
  for (const Copy& c : group) {
    if (c.valid) std::memcpy(c.dst, c.src, 16);
    else std::memset(c.dst, 0, 16);
  }
  group.clear();
}

// Runs body() on every thread of every block of the grid; blocks run one after another.
template <typename F>
void launch(emu_dim3 grid, int threads, size_t shared, F body) {
  for (int z = 0; z < grid.z; ++z) {
    for (int y = 0; y < grid.y; ++y) {
      for (int x = 0; x < grid.x; ++x) {
        auto blk = std::make_unique<Block>(threads, shared);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
          pool.emplace_back([&, t] {
            thread_index = {t, 0, 0};
            block_index = {x, y, z};
            block = blk.get();
            body();
            land(open_group);
            for (auto& g : committed) land(g);
            committed.clear();
          });
        }
        for (auto& th : pool) th.join();
      }
    }
  }
}

}  // namespace emu

#define threadIdx (emu::thread_index)
#define blockIdx (emu::block_index)

inline void __syncthreads() { emu::block->bar.arrive_and_wait(); }
inline void __syncwarp() { emu::warp().bar.arrive_and_wait(); }

inline unsigned char* emu_shared_base() { return emu::block->smem.data(); }

inline void emu_cp_async16(void* dst, const void* src, bool valid) { emu::open_group.push_back({dst, src, valid}); }

inline void emu_cp_async_commit() {
  emu::committed.push_back(std::move(emu::open_group));
  emu::open_group.clear();
}

inline void emu_cp_async_wait(size_t pending) {
  while (emu::committed.size() > pending) {
    emu::land(emu::committed.front());
    emu::committed.erase(emu::committed.begin());
  }
}

inline unsigned emu_pair(const unsigned short* p, int i) { return p[i] | (static_cast<unsigned>(p[i + 1]) << 16); }

inline void emu_ldsm_x4(unsigned (&r)[4], const void* row, bool trans) {
  emu::publish(row);
  const int g = emu::lane() / 4, t = emu::lane() % 4;
  for (int m = 0; m < 4; ++m) {
    if (!trans) {
      r[m] = emu_pair(static_cast<const unsigned short*>(emu::read<const void*>(8 * m + g)), 2 * t);
    } else {
      const auto* a = static_cast<const unsigned short*>(emu::read<const void*>(8 * m + 2 * t));
      const auto* b = static_cast<const unsigned short*>(emu::read<const void*>(8 * m + 2 * t + 1));
      r[m] = a[g] | (static_cast<unsigned>(b[g]) << 16);
    }
  }
  emu::done();
}

inline float emu_bf16_to_f32(unsigned short b) {
  const unsigned bits = static_cast<unsigned>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline unsigned short emu_f32_to_bf16(float f) {
  unsigned bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f)) return 0x7fc0;
  return static_cast<unsigned short>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

inline unsigned emu_pack_bf16(float lo, float hi) {
  return emu_f32_to_bf16(lo) | (static_cast<unsigned>(emu_f32_to_bf16(hi)) << 16);
}

// The half (0 low, 1 high) of a packed bf16 pair, as a float.
inline float emu_half(unsigned v, int half) { return emu_bf16_to_f32(static_cast<unsigned short>(v >> (16 * half))); }

struct EmuMma { unsigned a[4]; unsigned b[2]; };

// mma.sync m16n8k16 row.col bf16 -> f32: A(r, k) sits in lane 4*(r%8) + (k%8)/2, register (r/8) + 2*(k/8), half k%2;
// B(k, n) in lane 4*n + (k%8)/2, register k/8, half k%2; D(r, n) in lane 4*(r%8) + (n%8)/2, element 2*(r/8) + n%2.
inline void emu_mma_bf16(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  emu::publish(EmuMma{{a[0], a[1], a[2], a[3]}, {b0, b1}});
  const int g = emu::lane() / 4, t = emu::lane() % 4;
  for (int e = 0; e < 4; ++e) {
    const int r = g + 8 * (e >> 1), n = 2 * t + (e & 1);
    float sum = 0.0f;
    for (int k = 0; k < 16; ++k) {
      const EmuMma fa = emu::read<EmuMma>(4 * (r % 8) + (k % 8) / 2);
      const EmuMma fb = emu::read<EmuMma>(4 * n + (k % 8) / 2);
      sum += emu_half(fa.a[(r / 8) + 2 * (k / 8)], k % 2) * emu_half(fb.b[k / 8], k % 2);
    }
    d[e] += sum;
  }
  emu::done();
}

template <typename T>
inline T emu_shfl_xor(T v, int mask) {
  emu::publish(v);
  const T r = emu::read<T>(emu::lane() ^ mask);
  emu::done();
  return r;
}

inline bool emu_any_sync(bool p) {
  emu::publish(p);
  bool any = false;
  for (int l = 0; l < 32; ++l) any = any || emu::read<bool>(l);
  emu::done();
  return any;
}

inline void emu_red_add(float* p, float a) {
  std::lock_guard<std::mutex> hold(emu::atomics);
  *p += a;
}
