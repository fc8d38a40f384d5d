// KernelSource {"name":"attn_bwd_wgmma_a4e64feb1d4b","params":[{"name":"q","dtype":"bf16","access":"read"},{"name":"k","dtype":"bf16","access":"read"},{"name":"v","dtype":"bf16","access":"read"},{"name":"dout","dtype":"bf16","access":"read"},{"name":"lse","dtype":"f32","access":"read"},{"name":"delta","dtype":"f32","access":"read"},{"name":"dq_accum","dtype":"f32","access":"readwrite"},{"name":"dk","dtype":"bf16","access":"write"},{"name":"dv","dtype":"bf16","access":"write"}],"grid":[8,4,32],"block":[384,1,1],"sharedBytes":231552,"flops":1374725079040,"bytes":675282944}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention backward, bf16 wgmma (sm_90a): B=4 Tq=4096 Tk=4096 Hq=32 Hk=8 D=128, causal; tiles Br=64 Bc=128, 2 computing warpgroups and a producer
namespace attn_bwd_wgmma_a4e64feb1d4b_detail {

typedef __nv_bfloat16 half_t;
constexpr int TQ = 4096;
constexpr int TK = 4096;
constexpr int HQ = 32;
constexpr int HK = 8;
constexpr int D = 128;
constexpr int GROUP = 4;
constexpr int BR = 64;
constexpr int BC = 128;
constexpr int DQ_N = 64;
constexpr int DQ_M = 0;
constexpr int DQ_C = 64;
constexpr int V_OFFSET = 32768;
constexpr int Q_OFFSET = 65536;
constexpr int DO_OFFSET = 98304;
constexpr int DS_OFFSET = 131072;
constexpr int ROW_OFFSET = 163840;
constexpr int STAGING_OFFSET = 164992;
constexpr int DQ_STAGES = 2;
constexpr int Q_BLOCKS = 64;
constexpr int STAGES = 2;
constexpr int BAR_OFFSET = 164864;
constexpr int COMPUTE_GROUPS = 2;
constexpr int COMPUTE_THREADS = 256;
constexpr int PRODUCER_REGISTERS = 24;
constexpr int COMPUTE_REGISTERS = 240;
constexpr int DS_STAGES = 2;
constexpr float SCALE_LOG2 = 0.127517432f;
constexpr float LOG2E = 1.44269502f;
constexpr float SCALE = 0.0883883461f;

// 32-bit shared-memory address of a generic pointer into shared memory.
__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// Starts a 16-byte copy global -> shared; when !valid the 16 bytes are zero-filled (src not read).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
               :: "r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0) : "memory");
}

// Starts a 4-byte copy global -> shared (both 4-byte aligned); when !valid the 4 bytes are zero-filled.
__device__ __forceinline__ void cp_async4(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n"
               :: "r"(smem_addr(dst)), "l"(src), "r"(valid ? 4 : 0) : "memory");
}

// Closes the group of copies this thread started since the last commit.
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}

// Waits until at most N of this thread's committed copy groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" :: "n"(N) : "memory");
}

// Two floats rounded to nearest-even bf16, lo in the low half.
__device__ __forceinline__ unsigned pack_half(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

// 2^x by the hardware approximation (relative error about 2^-22; 2^-inf = 0).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Base of the block's dynamic shared memory rounded up to a 1024-byte shared address (wgmma's 128-byte swizzle
// repeats every 1024 bytes, so tiles it reads start on such a boundary); the kernel asks for 1024 bytes more.
__device__ __forceinline__ unsigned char* shared_base_1024() {
  extern __shared__ __align__(1024) unsigned char smem[];
  return smem + ((1024u - (smem_addr(smem) & 1023u)) & 1023u);
}

// Makes this thread's earlier shared-memory writes (stores, finished cp.async copies) visible to wgmma, which reads
// through the async proxy; a barrier must follow before another thread's wgmma reads them.
__device__ __forceinline__ void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// wgmma shared-memory matrix descriptor, 128-byte swizzle: the operand starts at p; lbo and sbo are its leading and
// stride byte offsets (K-major: sbo = bytes between 8-row groups, lbo unused; M/N-major: lbo = bytes between 64-column
// blocks, sbo = bytes between 8-row groups of K).
__device__ __forceinline__ unsigned long long wgmma_desc(const void* p, unsigned lbo, unsigned sbo) {
  return static_cast<unsigned long long>((smem_addr(p) & 0x3FFFFu) >> 4) |
         (static_cast<unsigned long long>((lbo >> 4) & 0x3FFFu) << 16) |
         (static_cast<unsigned long long>((sbo >> 4) & 0x3FFFu) << 32) | (1ull << 62);
}

// Orders this warpgroup's register writes before the wgmma operations that follow read them.
__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}

// Closes the group of wgmma operations this warpgroup issued since the last commit.
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}

// Waits until at most N of this warpgroup's committed wgmma groups are still running.
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" :: "n"(N) : "memory");
}

// Keeps the compiler from moving reads or writes of d across this point: call it after wgmma_wait on the
// accumulators it waited for (wgmma writes them behind the compiler's back), and between zeroing accumulators and
// wgmma_fence (else the zeroing may sink below the fence and ptxas must add a wait of its own).
template <int N>
__device__ __forceinline__ void fence_operands(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i]) :: "memory");
}

// Sets up the mbarrier at bar (8 bytes of shared memory, 8-byte aligned) for `count` arrivals per phase, in
// phase 0. One thread calls it; a barrier of the block must follow before any thread uses bar.
__device__ __forceinline__ void mbar_init(unsigned long long* bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" :: "r"(smem_addr(bar)), "r"(count) : "memory");
}

// Waits until the phase of parity `parity` of the mbarrier has completed (a fresh barrier is in phase 0, so
// waiting for parity 1 returns at once).
__device__ __forceinline__ void mbar_wait(unsigned long long* bar, unsigned parity) {
  asm volatile("{\n.reg .pred done;\nWAIT:\nmbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
               "@!done bra WAIT;\n}\n" :: "r"(smem_addr(bar)), "r"(parity) : "memory");
}

// Counts one arrival of this thread on the mbarrier's current phase (release: its earlier accesses are ordered before).
__device__ __forceinline__ void mbar_arrive(unsigned long long* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" :: "r"(smem_addr(bar)) : "memory");
}

// Counts one arrival on the mbarrier once every cp.async this thread started so far has landed (the barrier's
// count must include it: noinc).
__device__ __forceinline__ void cp_async_arrive(unsigned long long* bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" :: "r"(smem_addr(bar)) : "memory");
}

// Barrier `id` (1-15; 0 is __syncthreads) over `count` threads, whole warps: waits until that many arrived.
__device__ __forceinline__ void named_sync(int id, int count) {
  asm volatile("bar.sync %0, %1;\n" :: "r"(id), "r"(count) : "memory");
}

// Counts this warp's arrival at barrier `id` (1-15) of `count` threads without waiting (the threads
// that named_sync it wait for every arrival). A warp must not arrive again before that phase has completed.
__device__ __forceinline__ void named_arrive(int id, int count) {
  asm volatile("bar.arrive %0, %1;\n" :: "r"(id), "r"(count) : "memory");
}

// Raises this warpgroup's register budget to N per thread (all its threads, together; N a multiple of 8).
template <int N>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" :: "n"(N));
}

// Lowers this warpgroup's register budget to N per thread, freeing registers for the other warpgroups.
template <int N>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" :: "n"(N));
}

// Starts adding `bytes` (a multiple of 16) of f32 from shared memory at src into global memory at
// dst (both 16-byte aligned) on the TMA, element by element as atomics would; src must not change until bulk_wait_read,
// and the writes that filled it must be published to the async proxy first (fence_proxy_async, then a barrier if
// another thread issues this).
__device__ __forceinline__ void bulk_reduce_add(float* dst, const float* src, int bytes) {
  asm volatile("cp.reduce.async.bulk.global.shared::cta.bulk_group.add.f32 [%0], [%1], %2;\n"
               :: "l"(dst), "r"(smem_addr(src)), "r"(bytes) : "memory");
}

// Closes the group of bulk operations this thread started since the last commit (an empty group counts).
__device__ __forceinline__ void bulk_commit() {
  asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
}

// Waits until at most N of this thread's committed bulk groups still read their shared memory.
template <int N>
__device__ __forceinline__ void bulk_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read %0;\n" :: "n"(N) : "memory");
}

// Waits until at most N of this thread's committed bulk groups are still running (their writes done).
template <int N>
__device__ __forceinline__ void bulk_wait() {
  asm volatile("cp.async.bulk.wait_group %0;\n" :: "n"(N) : "memory");
}

// d += A B for the warpgroup on the tensor cores (wgmma m64n64k16, bf16 in, f32 accumulate), A [64 x 16] and
// B [16 x 64] both read from shared memory through descriptors; TA / TB = 1: that operand is stored M- / N-major
// (else K-major). d holds this thread's part of the [64 x 64] accumulator in mma.sync's C layout, n8 tile by tile.
// Asynchronous: d may be read only after wgmma_wait and fence_operands.
template <int TA, int TB>
__device__ __forceinline__ void wgmma_ss_n64(float (&d)[32], unsigned long long da, unsigned long long db) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, "
               "p, 1, 1, %35, %36;\n}\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
               : "l"(da), "l"(db), "r"(1), "n"(TA), "n"(TB));
}

// d += A B for the warpgroup on the tensor cores (wgmma m64n128k16, bf16 in, f32 accumulate), A [64 x 16] from
// registers (each warp its 16 rows, in mma.sync's A-fragment layout) and B [16 x 128] from shared memory through a
// descriptor; TB = 1: B is stored N-major (else K-major). Asynchronous, like wgmma_ss_n*: a must stay unchanged and d
// unread until wgmma_wait and fence_operands.
template <int TB>
__device__ __forceinline__ void wgmma_rs_n128(float (&d)[64], const unsigned (&a)[4], unsigned long long db) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, "
               "%68, p, 1, 1, %70;\n}\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1), "n"(TB));
}

// Element offset of 16-byte chunk `chunk` of row `row` of a ROWS-row tile in wgmma's 128-byte-swizzle layout
// (64-column blocks of ROWS rows of 128 bytes, chunks XOR-swizzled within each).
template <int ROWS>
__device__ __forceinline__ int swz(int row, int chunk) {
  return (chunk / 8) * ROWS * 64 + (row * 8 + ((chunk % 8) ^ (row & 7))) * 8;
}

// Starts async copies of rows [row0, row0 + ROWS) of one head into a swizzled tile; src points at row 0 of that head
// and consecutive rows are `stride` elements apart; rows at or past `limit` are zero-filled. Each thread copies
// one chunk column every 8 rows, so its addresses advance by constants (no per-copy arithmetic).
template <int ROWS>
__device__ __forceinline__ void load_rows(half_t* tile, const half_t* src, int row0, int limit,
                                          long long stride) {
  const int r = (static_cast<int>(threadIdx.x) % 128) / 16, chunk = (static_cast<int>(threadIdx.x) % 128) % 16;
  const half_t* from = src + (row0 + r) * stride + chunk * 8;
  half_t* to = tile + swz<ROWS>(r, chunk);
#pragma unroll 1
  for (int it = 0; it < ROWS / 8; ++it) {
    const bool ok = row0 + r + it * 8 < limit;
    cp_async16(to + it * 512, ok ? from + it * 8 * stride : src, ok);
  }
}

// Copies tile rows [0, ROWS) to rows [row0, row0 + ROWS) of one head of dst (16 bytes per thread and step), skipping
// rows at or past `limit`. The tile must be complete (a barrier after its last write).
template <int ROWS>
__device__ __forceinline__ void store_rows(half_t* dst, const half_t* tile, int row0, int limit,
                                           long long stride) {
  const int r = static_cast<int>(threadIdx.x) / 16, chunk = static_cast<int>(threadIdx.x) % 16;
#pragma unroll
  for (int it = 0; it < ROWS / 16; ++it) {
    if (row0 + r + it * 16 < limit) {
      *reinterpret_cast<uint4*>(dst + (row0 + r + it * 16) * stride + chunk * 8) =
          *reinterpret_cast<const uint4*>(tile + swz<ROWS>(r, chunk) + it * 1024);
    }
  }
}

// The query tiles [lo, hi] that key rows [own0, own0 + 128) may see (lo > hi: none), and the
// tiles [full_lo, full_hi] among them whose every pair is visible.
struct Walk {
  int lo, hi, full_lo, full_hi;
};
__device__ __forceinline__ Walk walk(int own0) {
  const int last = min(own0 + 128, 4096) - 1;
  return Walk{(own0) / 64, (4095) / 64,
              (last + 63) / 64, 64};
}

// The tile at walk position f, and whether it holds a pair that is not visible (so the per-element test must run).
__device__ __forceinline__ int tile_at(const Walk&, int f) {
  return f;
}
__device__ __forceinline__ bool needs_mask(const Walk& w, int f) {
  return f < w.full_lo || f > w.full_hi;
}

// Key j visible from query i by the static rules (documents are compared by the caller).
__device__ __forceinline__ bool visible(int i, int j) {
  return j < 4096 && j <= i;
}

// Next (head in group, walk position in [w.lo, w.hi]) to visit after (hh, f); false when done.
__device__ __forceinline__ bool advance(int& hh, int& f, const Walk& w) {
  if (++f <= w.hi) return true;
  f = w.lo;
  return ++hh < GROUP;
}

// Starts loading query tile q0 of head h, all asynchronously: Q and dO rows, lse and delta (0 past Tq).
__device__ __forceinline__ void load_query_tile(const half_t* q, const half_t* dout, const float* lse,
                                                const float* delta, half_t* sQ, half_t* sdO,
                                                float* sLse, float* sDelta, int b, int h, int q0) {
  const long long head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  load_rows<BR>(sQ, q + head, q0, TQ, HQ * D);
  load_rows<BR>(sdO, dout + head, q0, TQ, HQ * D);
  for (int r = static_cast<int>(threadIdx.x) % 128; r < 2 * BR; r += 128) {
    const int row = r % BR;
    const bool ok = q0 + row < TQ;
    const float* src = (r < BR ? lse : delta) + (static_cast<long long>(b) * HQ + h) * TQ + q0 + row;
    cp_async4((r < BR ? sLse : sDelta) + row, ok ? src : lse, ok);
  }
}

// Descriptor of k-step kk (16 columns) of a K-major [rows][D] tile, from row r0 (a multiple of 64): the 128-byte
// span holding columns 16kk.. of 64-column block kk / 4, 32 bytes in per step; 8-row groups 1024 bytes apart.
template <int ROWS>
__device__ __forceinline__ unsigned long long k_major(const half_t* tile, int r0, int kk) {
  return wgmma_desc(tile + (kk / 4) * ROWS * 64 + r0 * 64 + (kk % 4) * 16, 16, 1024);
}

// Descriptor of k-step kk (rows 16kk..16kk+15) of an N-major [rows][cols] tile, from column c0 (a multiple of 8):
// 64-column blocks ROWS * 128 bytes apart, 8-row groups 1024 bytes apart.
template <int ROWS>
__device__ __forceinline__ unsigned long long n_major(const half_t* tile, int c0, int kk) {
  return wgmma_desc(tile + (c0 / 64) * ROWS * 64 + c0 % 64 + kk * 16 * 64, ROWS * 128, 1024);
}

template <int N>
__device__ __forceinline__ void zero(float (&acc)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) acc[i] = 0.0f;
}

// From this thread's part of S^T and dP^T (rows: keys kr0 + lane/4 (+8); columns: queries), P^T and dS^T as the A
// fragments of dV += P^T dO and dK += dS^T Q (k-step t covers queries 16t..16t+15), and dS^T into sdS. Each column
// pair's lse and delta load once (one 8-byte load each) for both of the thread's keys. Columns past Tq need no test:
// their Q, dO, lse and delta rows are zero-filled, so their dS is 0 and their P meets zero dO rows in dV. MASKED: the
// tile crosses the mask's edge (needs_mask), so every element is tested; the thread's two keys' documents are
// [doc_start, doc_end) (causal keys need no start: i >= j >= start).
template <bool MASKED>
__device__ __forceinline__ void softmax_grad(const float (&sc)[BR / 2], const float (&dp)[BR / 2], const float* lse,
                                             const float* delta, unsigned (&pa)[BR / 16][4],
                                             unsigned (&dsa)[BR / 16][4], half_t* sdS, int kr0, int q0,
                                             int k0, int lane) {
#pragma unroll
  for (int nt = 0; nt < BR / 8; ++nt) {
    const int c = nt * 8 + (lane & 3) * 2;
    const float2 col_lse = *reinterpret_cast<const float2*>(lse + c);
    const float2 col_delta = *reinterpret_cast<const float2*>(delta + c);
    const float lse2[2] = {col_lse.x * LOG2E, col_lse.y * LOG2E}, dl[2] = {col_delta.x, col_delta.y};
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int kr = kr0 + (lane >> 2) + 8 * half;
      float p[2], ds[2];
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        p[e] = fast_exp2(fmaf(sc[4 * nt + 2 * half + e], SCALE_LOG2, -lse2[e]));
        if (MASKED) {
          const int i = q0 + c + e, j = k0 + kr;
          if (!(visible(i, j))) p[e] = 0.0f;
        }
        ds[e] = p[e] * (dp[4 * nt + 2 * half + e] - dl[e]);
      }
      pa[nt / 2][half + 2 * (nt % 2)] = pack_half(p[0], p[1]);
      dsa[nt / 2][half + 2 * (nt % 2)] = pack_half(ds[0], ds[1]);
      const int at = (nt / 8) * BC * 64 + kr * 64 + (((nt % 8) ^ (kr & 7)) * 8) + (lane & 3) * 2;
      *reinterpret_cast<unsigned*>(sdS + at) = pack_half(ds[0], ds[1]);
    }
  }
}

}  // namespace attn_bwd_wgmma_a4e64feb1d4b_detail

extern "C" __global__ void __launch_bounds__(384, 1) attn_bwd_wgmma_a4e64feb1d4b(
    const __nv_bfloat16* __restrict__ q,
    const __nv_bfloat16* __restrict__ k,
    const __nv_bfloat16* __restrict__ v,
    const __nv_bfloat16* __restrict__ dout,
    const float* __restrict__ lse,
    const float* __restrict__ delta,
    float* __restrict__ dq_accum,
    __nv_bfloat16* __restrict__ dk,
    __nv_bfloat16* __restrict__ dv) {
  using namespace attn_bwd_wgmma_a4e64feb1d4b_detail;
  const int k0 = static_cast<int>(blockIdx.z) * BC;
  const int kvh = static_cast<int>(blockIdx.x), b = static_cast<int>(blockIdx.y);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  // The warpgroup, broadcast from lane 0 so that the compiler knows it is warp-uniform (wgmma descriptors built from
  // it stay in uniform registers).
  const int wg = __shfl_sync(0xffffffffu, warp / 4, 0), kr0 = 64 * wg + 16 * (warp % 4);
  unsigned char* smem = shared_base_1024();
  half_t* sK = reinterpret_cast<half_t*>(smem);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  half_t* sQ = reinterpret_cast<half_t*>(smem + Q_OFFSET);
  half_t* sdO = reinterpret_cast<half_t*>(smem + DO_OFFSET);
  half_t* sdS = reinterpret_cast<half_t*>(smem + DS_OFFSET);
  float* sLse = reinterpret_cast<float*>(smem + ROW_OFFSET);
  float* sDelta = sLse + 2 * BR;
  unsigned long long* kv_full = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 0;
  unsigned long long* q_full = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 1;
  unsigned long long* q_empty = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 3;
  if (threadIdx.x == 0) {
    for (int i = 0; i < 1; ++i) mbar_init(kv_full + i, 128);
    for (int i = 0; i < 2; ++i) mbar_init(q_full + i, 128);
    for (int i = 0; i < 2; ++i) mbar_init(q_empty + i, COMPUTE_THREADS);
  }
  __syncthreads();
  const long long kv_head = (static_cast<long long>(b) * TK * HK + kvh) * D;
  const Walk w = walk(k0);

  if (wg == COMPUTE_GROUPS) {
    setmaxnreg_dec<PRODUCER_REGISTERS>();
    load_rows<BC>(sK, k + kv_head, k0, TK, HK * D);
    load_rows<BC>(sV, v + kv_head, k0, TK, HK * D);
    cp_async_arrive(kv_full);
    int hh = 0, f = w.lo;
    bool more = w.lo <= w.hi;
    for (int t = 0; more; ++t) {
      const int stage = t % STAGES;
      mbar_wait(q_empty + stage, ((t / STAGES) & 1) ^ 1);
      load_query_tile(q, dout, lse, delta, sQ + stage * BR * D, sdO + stage * BR * D, sLse + stage * BR,
                      sDelta + stage * BR, b, kvh * GROUP + hh, tile_at(w, f) * BR);
      cp_async_arrive(q_full + stage);
      more = advance(hh, f, w);
    }
    cp_async_commit();
    cp_async_wait<0>();
    return;
  }

  setmaxnreg_inc<COMPUTE_REGISTERS>();
  float acc_k[D / 2], acc_v[D / 2];
  zero(acc_k);
  zero(acc_v);

  mbar_wait(kv_full, 0);
  int hh = 0, f = w.lo;
  bool more = w.lo <= w.hi;
  for (int t = 0; more; ++t) {
    const int stage = t % STAGES;
    const int h = kvh * GROUP + hh, q0 = tile_at(w, f) * BR;
    const bool masked = needs_mask(w, f);
    const half_t* tQ = sQ + stage * BR * D;
    const half_t* tdO = sdO + stage * BR * D;
    const float* tLse = sLse + stage * BR;
    const float* tDelta = sDelta + stage * BR;
    half_t* tdS = sdS + (t % DS_STAGES) * BC * BR;
    mbar_wait(q_full + stage, (t / STAGES) & 1);
    fence_proxy_async();
    unsigned pa[BR / 16][4], dsa[BR / 16][4];
    {
      float sc[BR / 2], dp[BR / 2];
      zero(sc);
      zero(dp);
      fence_operands(sc);
      fence_operands(dp);
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) wgmma_ss_n64<0, 0>(sc, k_major<BC>(sK, 64 * wg, kk), k_major<BR>(tQ, 0, kk));
      wgmma_commit();
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) wgmma_ss_n64<0, 0>(dp, k_major<BC>(sV, 64 * wg, kk), k_major<BR>(tdO, 0, kk));
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(sc);
      fence_operands(dp);
      if (masked) softmax_grad<true>(sc, dp, tLse, tDelta, pa, dsa, tdS, kr0, q0, k0, lane);
      else softmax_grad<false>(sc, dp, tLse, tDelta, pa, dsa, tdS, kr0, q0, k0, lane);
    }
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < BR / 16; ++ks) wgmma_rs_n128<1>(acc_v, pa[ks], n_major<BR>(tdO, 0, ks));
#pragma unroll
    for (int ks = 0; ks < BR / 16; ++ks) wgmma_rs_n128<1>(acc_k, dsa[ks], n_major<BR>(tQ, 0, ks));
    wgmma_commit();
    fence_proxy_async();
    if (warp % 4 == 0 && lane == 0) bulk_wait_read<DQ_STAGES - 1>();
    named_sync(1, COMPUTE_THREADS);
    float part[DQ_N / 2];
    zero(part);
    fence_operands(part);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < BC / 16; ++kk) {
      wgmma_ss_n64<1, 1>(part, n_major<BC>(tdS, DQ_M * wg, kk), n_major<BC>(sK, DQ_C * wg, kk));
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_operands(acc_v);
    fence_operands(acc_k);
    fence_operands(part);
    mbar_arrive(q_empty + stage);
    float* staging =
        reinterpret_cast<float*>(smem + STAGING_OFFSET) + (wg * DQ_STAGES + t % DQ_STAGES) * 64 * DQ_N;
    float4* mine = reinterpret_cast<float4*>(staging) + 32 * (warp % 4) + lane;
#pragma unroll
    for (int nt = 0; nt < DQ_N / 8; ++nt) {
      mine[nt * 128] = make_float4(part[4 * nt], part[4 * nt + 1], part[4 * nt + 2], part[4 * nt + 3]);
    }
    fence_proxy_async();
    if (warp % 4 == 0) {
      named_sync(2 + wg, 128);
      if (lane == 0) {
        const int row = q0 + DQ_M * wg;
        if (row < TQ) {
          const long long at = ((static_cast<long long>(b) * HQ + h) * Q_BLOCKS + row / 64) * (D / 64) + DQ_C * wg / 64;
          bulk_reduce_add(dq_accum + at * 64 * 64, staging, 64 * DQ_N * 4);
        }
        bulk_commit();
      }
    } else {
      named_arrive(2 + wg, 128);
    }
    more = advance(hh, f, w);
  }
  if (warp % 4 == 0 && lane == 0) bulk_wait<0>();
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int kr = kr0 + (lane >> 2) + 8 * half;
    if (k0 + kr < TK) {
      const long long row = kv_head + static_cast<long long>(k0 + kr) * HK * D + (lane & 3) * 2;
#pragma unroll
      for (int nt = 0; nt < D / 8; ++nt) {
        const float* kk = acc_k + 4 * nt + 2 * half;
        const float* vv = acc_v + 4 * nt + 2 * half;
        *reinterpret_cast<unsigned*>(dk + row + nt * 8) = pack_half(SCALE * kk[0], SCALE * kk[1]);
        *reinterpret_cast<unsigned*>(dv + row + nt * 8) = pack_half(vv[0], vv[1]);
      }
    }
  }
}
