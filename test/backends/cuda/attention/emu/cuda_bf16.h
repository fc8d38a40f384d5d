// CPU emulation of the little of CUDA the attention kernels use, so their generated sources run under g++ in tests
// (this machine has nvcc but no GPU). Every CUDA thread of a block is a fiber on one OS thread (started with
// makecontext, then switched with _setjmp/_longjmp, which skip the signal-mask system calls of swapcontext). The
// scheduler resumes the first runnable fiber (the last with EMU_ORDER=reverse), so a warp runs ahead until it waits
// at __syncthreads and warps drift apart as far as the code allows; warp collectives (shuffles, votes, ldmatrix,
// mma.sync) exchange values through a per-warp buffer between two warp barriers. Blocks are spread over the cores,
// one scheduler per worker thread; atomics take a lock. cp.async copies are queued per thread and land when that
// thread waits for their group (the latest moment the hardware allows: a missing wait reads stale shared memory), or
// with EMU_COPIES=eager when issued (the earliest: a copy into a buffer other warps still read corrupts it). wgmma
// products run when their thread waits for them (the latest moment), reading their operands then; so do bulk
// reductions (cp.reduce.async.bulk), reading their shared-memory source then. Shared memory starts as 0xff bytes (NaN
// in f32 and bf16), so reading what nobody wrote shows up as NaN. mbarriers and named barriers park a fiber until
// their phase completes (bar.arrive counts without parking); cp.async.mbarrier.arrive lands the thread's copies, then
// arrives.
// A barrier that can never complete aborts the run. The test swaps the kernels' primitive helpers (backends/cuda/attention/primitives.ts)
// for the emu_* functions here.
// Invariant: only kernels whose warp collectives are reached by all 32 lanes together run correctly (as on a GPU).
#pragma once

#include <setjmp.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "../../half-bits.h"

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __align__(n) alignas(n)

struct uint4 { unsigned x, y, z, w; };
struct uint2 { unsigned x, y; };
struct float2 { float x, y; };
struct float4 { float x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
struct __nv_bfloat16 { unsigned short bits; };
struct __half { unsigned short bits; };
struct emu_dim3 { int x, y, z; };

using std::max;
using std::min;

namespace emu {

struct Copy { void* dst; const void* src; bool valid; size_t bytes; };

struct Fiber {
  ucontext_t context;
  jmp_buf resume;
  bool started = false;
  std::unique_ptr<char[]> stack;
  emu_dim3 index;
  std::vector<Copy> open_group;
  std::vector<std::vector<Copy>> committed;
  std::vector<std::function<void()>> open_products;  // wgmma issued since the last commit
  std::vector<std::vector<std::function<void()>>> committed_products;
  std::vector<std::function<void()>> open_bulk;  // bulk reductions issued since the last bulk commit
  std::vector<std::vector<std::function<void()>>> committed_bulk;
  bool done = false;
};

/** Arrivals at a barrier of `size` fibers; the fibers waiting there are released when the last one arrives. */
struct Barrier {
  int size = 0, arrived = 0;
  std::vector<int> waiters;
};

struct Warp {
  Barrier bar;
  alignas(16) unsigned char slot[32][64];
};

/** An mbarrier: arrivals still expected in the current phase, the phase number, and the fibers waiting on it. */
struct MBarrier {
  int expected = 0, pending = 0, phase = 0;
  std::vector<int> waiters;
};

struct Block {
  Block(int threads, size_t shared) : warps(static_cast<size_t>(threads + 31) / 32), smem(shared + 16, 0xff) {
    bar.size = threads;
    for (Warp& w : warps) w.bar.size = 32;
  }
  Barrier bar;
  Barrier named[16];
  std::map<const void*, MBarrier> mbarriers;
  std::vector<Warp> warps;
  std::vector<unsigned char> smem;
  emu_dim3 index, dim, grid;
  std::vector<bool> runnable;
};

constexpr size_t STACK_BYTES = 256 * 1024;

inline thread_local Fiber* current = nullptr;
inline thread_local Block* block = nullptr;
inline thread_local jmp_buf scheduler_resume;
inline thread_local const std::function<void()>* body = nullptr;
inline std::mutex atomics;

inline int lane() { return current->index.x % 32; }
inline Warp& warp() { return block->warps[static_cast<size_t>(current->index.x / 32)]; }

// Parks the current fiber on `waiters` until wake_all releases it.
inline void park(std::vector<int>& waiters) {
  waiters.push_back(current->index.x);
  block->runnable[static_cast<size_t>(current->index.x)] = false;
  if (_setjmp(current->resume) == 0) _longjmp(scheduler_resume, 1);
}

// Lets the scheduler pick the next fiber to run (the current one stays runnable).
inline void yield() {
  if (_setjmp(current->resume) == 0) _longjmp(scheduler_resume, 1);
}

inline void wake_all(std::vector<int>& waiters) {
  for (int w : waiters) block->runnable[static_cast<size_t>(w)] = true;
  waiters.clear();
}

inline void wait(Barrier& b) {
  if (++b.arrived == b.size) {
    b.arrived = 0;
    wake_all(b.waiters);
    return;
  }
  park(b.waiters);
}

// Publishes this lane's value to the warp; call read() after, then done().
template <typename T>
inline void publish(const T& v) {
  static_assert(sizeof(T) <= 64, "slot too small");
  std::memcpy(warp().slot[lane()], &v, sizeof(T));
  wait(warp().bar);
}
template <typename T>
inline T read(int from) {
  T v;
  std::memcpy(&v, warp().slot[from], sizeof(T));
  return v;
}
inline void done() { wait(warp().bar); }

inline void land(std::vector<Copy>& group) {
  for (const Copy& c : group) {
    if (c.valid) std::memcpy(c.dst, c.src, c.bytes);
    else std::memset(c.dst, 0, c.bytes);
  }
  group.clear();
}

inline void fiber_main() {
  (*body)();
  if (!current->open_products.empty() || !current->committed_products.empty()) {
    std::fprintf(stderr, "emu: thread %d returned with wgmma products it never waited for\n", current->index.x);
    std::abort();
  }
  if (!current->open_bulk.empty() || !current->committed_bulk.empty()) {
    std::fprintf(stderr, "emu: thread %d returned with bulk reductions it never waited for\n", current->index.x);
    std::abort();
  }
  land(current->open_group);
  for (auto& g : current->committed) land(g);
  current->committed.clear();
  current->done = true;
  block->runnable[static_cast<size_t>(current->index.x)] = false;
  _longjmp(scheduler_resume, 1);
}

// Whether the scheduler favours the last thread instead of the first (EMU_ORDER=reverse in the environment).
inline bool emu_reverse_order() {
  static const char* order = std::getenv("EMU_ORDER");
  static const bool reverse = order != nullptr && std::strcmp(order, "reverse") == 0;
  return reverse;
}

// Runs every thread of one block as fibers until all have returned, always resuming the first runnable thread (the
// last with EMU_ORDER=reverse): a warp runs ahead until it waits at __syncthreads, so warps drift as far apart as the
// code allows. Aborts when no thread can move.
inline void run_block(Block& blk, int threads) {
  std::vector<Fiber> fibers(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    Fiber& f = fibers[static_cast<size_t>(t)];
    f.index = {t, 0, 0};
    f.stack.reset(new char[STACK_BYTES]);
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = STACK_BYTES;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_main, 0);
  }
  block = &blk;
  blk.runnable.assign(static_cast<size_t>(threads), true);
  const bool reverse = emu_reverse_order();
  for (int live = threads; live > 0;) {
    int pick = -1;
    for (int i = 0; i < threads && pick < 0; ++i) {
      const int t = reverse ? threads - 1 - i : i;
      if (blk.runnable[static_cast<size_t>(t)]) pick = t;
    }
    if (pick < 0) {
      std::fprintf(stderr, "emu: block (%d,%d,%d) deadlocked at a barrier\n", blk.index.x, blk.index.y, blk.index.z);
      std::abort();
    }
    Fiber& f = fibers[static_cast<size_t>(pick)];
    current = &f;
    if (_setjmp(scheduler_resume) == 0) {
      if (f.started) _longjmp(f.resume, 1);
      f.started = true;
      setcontext(&f.context);
    }
    if (f.done) --live;
  }
}

// Runs body() on every thread of every block of the grid; blocks are spread over the machine's cores.
template <typename F>
void launch(emu_dim3 grid, int threads, size_t shared, F kernel) {
  const std::function<void()> fn = kernel;
  const int blocks = grid.x * grid.y * grid.z;
  std::atomic<int> next{0};
  auto worker = [&] {
    body = &fn;
    for (int id = next++; id < blocks; id = next++) {
      Block blk(threads, shared);
      blk.index = {id % grid.x, id / grid.x % grid.y, id / (grid.x * grid.y)};
      blk.dim = {threads, 1, 1};
      blk.grid = grid;
      run_block(blk, threads);
    }
  };
  const int workers = std::max(1, std::min<int>(blocks, static_cast<int>(std::thread::hardware_concurrency())));
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
}

}  // namespace emu

#define threadIdx (emu::current->index)
#define blockIdx (emu::block->index)
#define blockDim (emu::block->dim)
#define gridDim (emu::block->grid)

inline void __syncthreads() { emu::wait(emu::block->bar); }
inline void __syncwarp() { emu::wait(emu::warp().bar); }

inline unsigned char* emu_shared_base() { return emu::block->smem.data(); }

inline bool emu_eager_copies() {
  static const char* copies = std::getenv("EMU_COPIES");
  static const bool eager = copies != nullptr && std::strcmp(copies, "eager") == 0;
  return eager;
}

inline void emu_cp_async(void* dst, const void* src, bool valid, size_t bytes) {
  emu::current->open_group.push_back({dst, src, valid, bytes});
  if (emu_eager_copies()) emu::land(emu::current->open_group);
}

inline void emu_cp_async_commit() {
  emu::current->committed.push_back(std::move(emu::current->open_group));
  emu::current->open_group.clear();
}

inline void emu_cp_async_wait(size_t pending) {
  auto& groups = emu::current->committed;
  while (groups.size() > pending) {
    emu::land(groups.front());
    groups.erase(groups.begin());
  }
}

// mbarriers live beside shared memory (keyed by address); a phase completes when its last expected arrival comes.
inline emu::MBarrier& emu_mbar(const void* bar) {
  auto it = emu::block->mbarriers.find(bar);
  if (it == emu::block->mbarriers.end()) {
    std::fprintf(stderr, "emu: mbarrier used before mbar_init\n");
    std::abort();
  }
  return it->second;
}

inline void emu_mbar_init(unsigned long long* bar, unsigned count) {
  emu::block->mbarriers[bar] = emu::MBarrier{static_cast<int>(count), static_cast<int>(count), 0, {}};
}

// The arrival that completes a phase yields, so the woken fibers may run before the arriving warp goes on (with
// EMU_ORDER=reverse a producer warpgroup, the block's last threads, runs at once: it then overwrites a buffer the
// computing threads released too early before they read it).
inline void emu_mbar_arrive(unsigned long long* bar) {
  emu::MBarrier& m = emu_mbar(bar);
  if (--m.pending == 0) {
    ++m.phase;
    m.pending = m.expected;
    emu::wake_all(m.waiters);
    emu::yield();
  }
}

inline void emu_mbar_wait(unsigned long long* bar, unsigned parity) {
  while ((emu_mbar(bar).phase & 1) == static_cast<int>(parity & 1)) emu::park(emu_mbar(bar).waiters);
}

// The arrival comes when this thread's copies land: here they land at once, then it arrives.
inline void emu_cp_async_arrive(unsigned long long* bar) {
  emu::land(emu::current->open_group);
  for (auto& g : emu::current->committed) emu::land(g);
  emu::current->committed.clear();
  emu_mbar_arrive(bar);
}

inline void emu_named_sync(int id, int count) {
  emu::Barrier& b = emu::block->named[id];
  b.size = count;
  emu::wait(b);
}

// bar.arrive: counts the arrival and goes on; the arrival that completes the phase releases the threads waiting there.
inline void emu_named_arrive(int id, int count) {
  emu::Barrier& b = emu::block->named[id];
  b.size = count;
  if (++b.arrived == b.size) {
    b.arrived = 0;
    emu::wake_all(b.waiters);
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

inline float __uint_as_float(unsigned bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float __bfloat162float(__nv_bfloat16 x) { return half_bits::bf16_to_float(x.bits); }
inline __nv_bfloat16 __float2bfloat16_rn(float x) { return {half_bits::float_to_bf16(x)}; }
inline float __half2float(__half x) { return half_bits::f16_to_float(x.bits); }
inline __half __float2half_rn(float x) { return {half_bits::float_to_f16(x)}; }
inline __half __ushort_as_half(unsigned short b) { return {b}; }


inline unsigned emu_pack(float lo, float hi, bool f16) {
  return half_bits::from_float(lo, f16) | (static_cast<unsigned>(half_bits::from_float(hi, f16)) << 16);
}

// The half (0 low, 1 high) of a packed pair, as a float.
inline float emu_part(unsigned v, int half, bool f16) {
  return half_bits::to_float(static_cast<unsigned short>(v >> (16 * half)), f16);
}

struct EmuMma { unsigned a[4]; unsigned b[2]; };

// mma.sync m16n8k16 row.col bf16 (or f16 when f16) -> f32: A(r, k) sits in lane 4*(r%8) + (k%8)/2, register (r/8) + 2*(k/8), half k%2;
// B(k, n) in lane 4*n + (k%8)/2, register k/8, half k%2; D(r, n) in lane 4*(r%8) + (n%8)/2, element 2*(r/8) + n%2.
inline void emu_mma(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1, bool f16) {
  emu::publish(EmuMma{{a[0], a[1], a[2], a[3]}, {b0, b1}});
  const int g = emu::lane() / 4, t = emu::lane() % 4;
  for (int e = 0; e < 4; ++e) {
    const int r = g + 8 * (e >> 1), n = 2 * t + (e & 1);
    float sum = 0.0f;
    for (int k = 0; k < 16; ++k) {
      const EmuMma fa = emu::read<EmuMma>(4 * (r % 8) + (k % 8) / 2);
      const EmuMma fb = emu::read<EmuMma>(4 * n + (k % 8) / 2);
      sum += emu_part(fa.a[(r / 8) + 2 * (k / 8)], k % 2, f16) * emu_part(fb.b[k / 8], k % 2, f16);
    }
    d[e] += sum;
  }
  emu::done();
}

// wgmma, emulated as what the hardware is documented to do: shared memory is addressed from the block's base (offset
// 0, 1024-byte aligned), a descriptor holds the operand's start, lbo and sbo in 16-byte units and the 128-byte swizzle
// (bits 4-6 of an address XOR-ed with bits 7-9). Products run at once (a real wgmma runs until wgmma_wait).
inline unsigned long long emu_wgmma_desc(const void* p, unsigned lbo, unsigned sbo) {
  const unsigned offset = static_cast<unsigned>(static_cast<const unsigned char*>(p) - emu_shared_base());
  return static_cast<unsigned long long>((offset & 0x3FFFFu) >> 4) |
         (static_cast<unsigned long long>((lbo >> 4) & 0x3FFFu) << 16) |
         (static_cast<unsigned long long>((sbo >> 4) & 0x3FFFu) << 32) | (1ull << 62);
}

// Element (mn, k) of an operand: K-major rows of 128 bytes in 8-row groups sbo apart; M/N-major rows of K, 128 bytes
// (64 columns) each, 8-row groups sbo apart, 64-column blocks lbo apart.
inline unsigned short emu_wgmma_element(unsigned long long desc, bool mn_major, int mn, int k) {
  if ((desc >> 62) != 1) { std::fprintf(stderr, "emu: wgmma descriptor without the 128-byte swizzle\n"); std::abort(); }
  const unsigned start = static_cast<unsigned>(desc & 0x3FFFu) << 4;
  const unsigned lbo = static_cast<unsigned>((desc >> 16) & 0x3FFFu) << 4;
  const unsigned sbo = static_cast<unsigned>((desc >> 32) & 0x3FFFu) << 4;
  unsigned addr = mn_major ? start + (mn / 64) * lbo + (mn % 64) * 2 + (k / 8) * sbo + (k % 8) * 128
                           : start + (mn / 8) * sbo + (mn % 8) * 128 + k * 2;
  addr ^= ((addr >> 7) & 7u) << 4;
  return *reinterpret_cast<const unsigned short*>(emu_shared_base() + addr);
}

inline unsigned emu_wgmma_pair(unsigned long long desc, bool mn_major, int mn, int k) {
  return emu_wgmma_element(desc, mn_major, mn, k) | (static_cast<unsigned>(emu_wgmma_element(desc, mn_major, mn, k + 1)) << 16);
}

// d += A B with A [64 x 16] given as this lane's mma.sync A fragment (rows of its warp in the warpgroup) and B from db.
template <int N>
inline void emu_wgmma_rs_now(float* d, const unsigned (&a)[4], unsigned long long db, bool tb, bool f16) {
  const int g = emu::lane() / 4, t = emu::lane() % 4;
  for (int j = 0; j < N / 8; ++j) {
    const unsigned b0 = emu_wgmma_pair(db, tb, 8 * j + g, 2 * t), b1 = emu_wgmma_pair(db, tb, 8 * j + g, 2 * t + 8);
    emu_mma(*reinterpret_cast<float(*)[4]>(d + 4 * j), a, b0, b1, f16);
  }
}

// wgmma runs when the issuing thread waits for its group (the latest moment the hardware allows), reading shared
// memory, the A registers and the accumulators then: a buffer released, or an operand changed, before the wait shows
// up as a wrong result. All 32 lanes of a warp wait together (wgmma.wait_group is .sync.aligned), so the warp
// collectives inside line up.
template <int N>
inline void emu_wgmma_rs(float (&d)[N / 2], const unsigned (&a)[4], unsigned long long db, bool tb, bool f16) {
  float* acc = d;
  const unsigned* frag = a;
  emu::current->open_products.push_back([=] {
    emu_wgmma_rs_now<N>(acc, *reinterpret_cast<const unsigned(*)[4]>(frag), db, tb, f16);
  });
}

template <int N>
inline void emu_wgmma_ss(float (&d)[N / 2], unsigned long long da, unsigned long long db, bool ta, bool tb, bool f16) {
  float* acc = d;
  emu::current->open_products.push_back([=] {
    const int g = emu::lane() / 4, t = emu::lane() % 4, r0 = 16 * (static_cast<int>(emu::current->index.x) / 32 % 4);
    unsigned a[4];
    for (int i = 0; i < 4; ++i) a[i] = emu_wgmma_pair(da, ta, r0 + g + 8 * (i & 1), 2 * t + 8 * (i >> 1));
    emu_wgmma_rs_now<N>(acc, a, db, tb, f16);
  });
}

inline void emu_wgmma_commit() {
  emu::current->committed_products.push_back(std::move(emu::current->open_products));
  emu::current->open_products.clear();
}

inline void emu_wgmma_wait(size_t pending) {
  auto& groups = emu::current->committed_products;
  while (groups.size() > pending) {
    for (auto& product : groups.front()) product();
    groups.erase(groups.begin());
  }
}

// v of lane `from` of this warp (every lane passes through).
template <typename T>
inline T emu_shfl(T v, int from) {
  emu::publish(v);
  const T r = emu::read<T>(from);
  emu::done();
  return r;
}

template <typename T>
inline T emu_shfl_xor(T v, int mask) { return emu_shfl(v, emu::lane() ^ mask); }

template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int mask) { return emu_shfl_xor(v, mask); }

template <typename T>
inline T __shfl_sync(unsigned, T v, int from) { return emu_shfl(v, from); }

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

// A 16-byte vector reduction: its address must be 16-byte aligned, as the hardware requires.
inline void emu_red_add4(float* p, float4 v) {
  if (reinterpret_cast<uintptr_t>(p) % 16 != 0) {
    std::fprintf(stderr, "emu: 16-byte atomic at %p, which is not 16-byte aligned\n", static_cast<void*>(p));
    std::abort();
  }
  emu_red_add(p, v.x);
  emu_red_add(p + 1, v.y);
  emu_red_add(p + 2, v.z);
  emu_red_add(p + 3, v.w);
}

// cp.reduce.async.bulk ... add.f32, emulated at the latest moment the hardware allows: when the issuing thread waits
// for its group (so a source overwritten before that wait shows up as a wrong result).
inline void emu_bulk_reduce_add(float* dst, const float* src, int bytes) {
  if (bytes % 16 != 0 || reinterpret_cast<uintptr_t>(dst) % 16 != 0 || reinterpret_cast<uintptr_t>(src) % 16 != 0) {
    std::fprintf(stderr, "emu: bulk reduction of %d bytes from %p to %p is not 16-byte aligned\n", bytes,
                 static_cast<const void*>(src), static_cast<void*>(dst));
    std::abort();
  }
  emu::current->open_bulk.push_back([=] {
    for (int e = 0; e < bytes / 4; ++e) emu_red_add(dst + e, src[e]);
  });
}

inline void emu_bulk_commit() {
  emu::current->committed_bulk.push_back(std::move(emu::current->open_bulk));
  emu::current->open_bulk.clear();
}

inline void emu_bulk_wait(size_t pending) {
  auto& groups = emu::current->committed_bulk;
  while (groups.size() > pending) {
    for (auto& op : groups.front()) op();
    groups.erase(groups.begin());
  }
}
