// KernelSource {"name":"attn_fwd_wgmma_73bd5d04b6e8","params":[{"name":"q","dtype":"bf16","access":"read"},{"name":"k","dtype":"bf16","access":"read"},{"name":"v","dtype":"bf16","access":"read"},{"name":"ranges","dtype":"i32","access":"read"},{"name":"blocks","dtype":"i32","access":"read"},{"name":"out","dtype":"bf16","access":"write"},{"name":"lse","dtype":"f32","access":"write"}],"grid":[32,32,4],"block":[384,1,1],"sharedBytes":165080,"flops":549890031616,"bytes":337772544}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention forward, bf16 wgmma (sm_90a): B=4 Tq=4096 Tk=4096 Hq=32 Hk=8 D=128, causal, documents, block table; tiles Br=128 Bc=128, 2 computing warpgroups and a producer
namespace attn_fwd_wgmma_73bd5d04b6e8_detail {

typedef __nv_bfloat16 half_t;
constexpr int TQ = 4096;
constexpr int TK = 4096;
constexpr int HQ = 32;
constexpr int HK = 8;
constexpr int D = 128;
constexpr int GROUP = 4;
constexpr int BR = 128;
constexpr int BC = 128;
constexpr int NQ = 32;
constexpr int K_OFFSET = 32768;
constexpr int V_OFFSET = 98304;
constexpr int LIST_OFFSET = 163840;
constexpr int STAGES = 2;
constexpr int BAR_OFFSET = 163984;
constexpr int COMPUTE_GROUPS = 2;
constexpr int COMPUTE_THREADS = 256;
constexpr int PRODUCER_REGISTERS = 56;
constexpr int COMPUTE_REGISTERS = 224;
constexpr float SCALE_LOG2 = 0.127517432f;
constexpr float LN2 = 0.693147182f;

// 32-bit shared-memory address of a generic pointer into shared memory.
__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// Starts a 16-byte copy global -> shared; when !valid the 16 bytes are zero-filled (src not read).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
               :: "r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0) : "memory");
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

// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}

// Whether p holds on any lane of the warp (all 32 lanes take part).
__device__ __forceinline__ bool any_sync(bool p) {
  return __any_sync(0xffffffffu, p);
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

// d += A B for the warpgroup on the tensor cores (wgmma m64n128k16, bf16 in, f32 accumulate), A [64 x 16] and
// B [16 x 128] both read from shared memory through descriptors; TA / TB = 1: that operand is stored M- / N-major
// (else K-major). d holds this thread's part of the [64 x 128] accumulator in mma.sync's C layout, n8 tile by tile.
// Asynchronous: d may be read only after wgmma_wait and fence_operands.
template <int TA, int TB>
__device__ __forceinline__ void wgmma_ss_n128(float (&d)[64], unsigned long long da, unsigned long long db) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, "
               "p, 1, 1, %67, %68;\n}\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
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
#pragma unroll
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

// The key tiles that query rows [own0, own0 + 128) visit: walk positions [lo, hi] cover the listed
// blocks of their block (bl: this batch row's block table), 1 tile each. walk copies the
// list into shared memory (every thread of the block must call it), where the walk reads it.
struct Walk {
  int lo, hi;
  const int* list;  // the listed blocks: 2 * block + (1 when every pair of it is visible)
};
__device__ __forceinline__ Walk walk(const int* bl, int own0, int* shared_list) {
  const int* list = bl + (own0 / 128) * 33;
  for (int e = static_cast<int>(threadIdx.x); e <= 32; e += static_cast<int>(blockDim.x)) {
    shared_list[e] = list[e];
  }
  __syncthreads();
  return Walk{0, shared_list[0] * 1 - 1, shared_list + 1};
}

// The tile at walk position f, and whether it holds a pair that is not visible (so the per-element test must run).
__device__ __forceinline__ int tile_at(const Walk& w, int f) {
  return (w.list[f / 1] >> 1) * 1 + f % 1;
}
__device__ __forceinline__ bool needs_mask(const Walk& w, int f) {
  return (w.list[f / 1] & 1) == 0;
}

// Key j visible from query i by the static rules (documents are compared by the caller).
__device__ __forceinline__ bool visible(int i, int j) {
  return j < 4096 && j <= i;
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

// Sets the scores of pairs that are not visible to -inf. The thread holds rows i0 and i0 + 8 (half 0, 1) and, per
// 8-key tile nt, keys k0 + 8nt + 2(lane % 4) + {0, 1}: sc[4 nt + 2 half + e]. A row's document is [doc_start,
// doc_end); causal rows need no end (j <= i < end).
__device__ __forceinline__ void mask_tile(float (&sc)[BC / 2], int i0, int k0, int lane, const int (&doc_start)[2]) {
#pragma unroll
  for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int i = i0 + (e >> 1) * 8, j = k0 + nt * 8 + (lane & 3) * 2 + (e & 1);
      if (!(visible(i, j) && j >= doc_start[e >> 1])) sc[4 * nt + e] = -INFINITY;
    }
  }
}

// Online softmax of one tile: folds its scores into m (log2 domain) and this thread's partial sums l, replaces each
// score s by p = 2^(s * scale * log2e - m) in place, and sets corr, the factor O must be scaled by (1 unless the row
// raised its max). Returns whether some row of this thread raised its max.
__device__ __forceinline__ bool softmax_update(float (&sc)[BC / 2], float (&m)[2], float (&l)[2], float (&corr)[2]) {
  bool raised = false;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float mx = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt) mx = fmaxf(mx, fmaxf(sc[4 * nt + 2 * half], sc[4 * nt + 2 * half + 1]));
    mx = fmaxf(mx, shfl_xor(mx, 1));
    mx = fmaxf(mx, shfl_xor(mx, 2));
    const float m_new = fmaxf(m[half], mx * SCALE_LOG2);
    const float base = m_new == -INFINITY ? 0.0f : m_new;
    corr[half] = fast_exp2(m[half] - base);
    raised = raised || m_new != m[half];
    m[half] = m_new;
    float sum = 0.0f;
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        float& p = sc[4 * nt + 2 * half + e];
        p = fast_exp2(fmaf(p, SCALE_LOG2, -base));
        sum += p;
      }
    }
    l[half] = l[half] * corr[half] + sum;
  }
  return raised;
}

// Issues S = Q K^T for the warpgroup's 64 query rows and one tile of K, without waiting.
__device__ __forceinline__ void issue_scores(float (&sc)[BC / 2], const half_t* sQ, const half_t* tK,
                                             int wg) {
  zero(sc);
  fence_operands(sc);
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    wgmma_ss_n128<0, 0>(sc, k_major<BR>(sQ, 64 * wg, kk), k_major<BC>(tK, 0, kk));
  }
  wgmma_commit();
}

// Issues O += P V over one tile of V (the warpgroup's 64 rows, every column), without waiting.
__device__ __forceinline__ void issue_pv(float (&o)[D / 2], const unsigned (&pk)[BC / 16][4], const half_t* tV) {
#pragma unroll
  for (int t = 0; t < BC / 16; ++t) wgmma_rs_n128<1>(o, pk[t], n_major<BC>(tV, 0, t));
  wgmma_commit();
}

// Once S of key tile k0 has landed: masks it where needed, folds it into the softmax state, waits for the O += P V in
// flight, rescales O where a row raised its max, and packs this tile's P as the A fragments of the next O += P V
// (k-step t covers keys 16t..16t+15).
__device__ __forceinline__ void finish_tile(float (&sc)[BC / 2], float (&o)[D / 2], float (&m)[2], float (&l)[2],
                                            unsigned (&pk)[BC / 16][4], bool masked, int i0, int k0,
                                            int lane, const int (&doc_start)[2]) {
  fence_operands(sc);
  if (masked) mask_tile(sc, i0, k0, lane, doc_start);
  float corr[2];
  const bool raised = softmax_update(sc, m, l, corr);
  wgmma_wait<0>();
  fence_operands(o);
  if (any_sync(raised)) {
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) o[4 * dt + e] *= corr[e >> 1];
    }
  }
#pragma unroll
  for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      pk[nt / 2][half + 2 * (nt % 2)] = pack_half(sc[4 * nt + 2 * half], sc[4 * nt + 2 * half + 1]);
    }
  }
}

}  // namespace attn_fwd_wgmma_73bd5d04b6e8_detail

extern "C" __global__ void __launch_bounds__(384, 1) attn_fwd_wgmma_73bd5d04b6e8(
    const __nv_bfloat16* __restrict__ q,
    const __nv_bfloat16* __restrict__ k,
    const __nv_bfloat16* __restrict__ v,
    const int* __restrict__ ranges,
    const int* __restrict__ blocks,
    __nv_bfloat16* __restrict__ out,
    float* __restrict__ lse) {
  using namespace attn_fwd_wgmma_73bd5d04b6e8_detail;
  const int q0 = (NQ - 1 - static_cast<int>(blockIdx.x)) * BR;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int wg = __shfl_sync(0xffffffffu, warp / 4, 0);  // broadcast: the compiler knows it is warp-uniform
  const int row0 = 64 * wg + 16 * (warp % 4) + (lane >> 2);  // a computing thread's rows: row0 and row0 + 8
  unsigned char* smem = shared_base_1024();
  half_t* sQ = reinterpret_cast<half_t*>(smem);
  half_t* sK = reinterpret_cast<half_t*>(smem + K_OFFSET);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + h / GROUP) * D;
  unsigned long long* q_full = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 0;
  unsigned long long* k_full = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 1;
  unsigned long long* v_full = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 3;
  unsigned long long* k_empty = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 5;
  unsigned long long* v_empty = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + 7;
  if (threadIdx.x == 0) {
    for (int i = 0; i < 1; ++i) mbar_init(q_full + i, 128);
    for (int i = 0; i < 2; ++i) mbar_init(k_full + i, 128);
    for (int i = 0; i < 2; ++i) mbar_init(v_full + i, 128);
    for (int i = 0; i < 2; ++i) mbar_init(k_empty + i, COMPUTE_THREADS);
    for (int i = 0; i < 2; ++i) mbar_init(v_empty + i, COMPUTE_THREADS);
  }
  __syncthreads();
  const int* rg = ranges + static_cast<long long>(b) * TQ * 2;
  const int* bl = blocks + static_cast<long long>(b) * 2112;
  const Walk w = walk(bl, q0, reinterpret_cast<int*>(smem + LIST_OFFSET));

  if (wg == COMPUTE_GROUPS) {
    setmaxnreg_dec<PRODUCER_REGISTERS>();
    load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
    cp_async_arrive(q_full);
    for (int f = w.hi, t = 0; f >= w.lo; --f, ++t) {
      const int st = t % STAGES, row = tile_at(w, f) * BC;
      const unsigned free_phase = ((t / STAGES) & 1) ^ 1;
      mbar_wait(k_empty + st, free_phase);
      load_rows<BC>(sK + st * BC * D, k + kv_head, row, TK, HK * D);
      cp_async_arrive(k_full + st);
      mbar_wait(v_empty + st, free_phase);
      load_rows<BC>(sV + st * BC * D, v + kv_head, row, TK, HK * D);
      cp_async_arrive(v_full + st);
    }
    cp_async_commit();
    cp_async_wait<0>();
    return;
  }

  setmaxnreg_inc<COMPUTE_REGISTERS>();
  float o[D / 2], m[2], l[2];
  unsigned pk[BC / 16][4];
  int doc_start[2];
  zero(o);
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    m[half] = -INFINITY;
    l[half] = 0.0f;
    const int i = q0 + row0 + 8 * half;
    doc_start[half] = i < TQ ? rg[2 * i] : 0;
  }
  mbar_wait(q_full, 0);
  int t = 0;
  for (int f = w.hi; f >= w.lo; --f, ++t) {
    const int n = tile_at(w, f), st = t % STAGES, prev = (t + STAGES - 1) % STAGES;
    mbar_wait(k_full + st, (t / STAGES) & 1);
    fence_proxy_async();
    float sc[BC / 2];
    issue_scores(sc, sQ, sK + st * BC * D, wg);
    if (t > 0) {  // the previous tile's O += P V
      mbar_wait(v_full + prev, ((t - 1) / STAGES) & 1);
      fence_proxy_async();
      issue_pv(o, pk, sV + prev * BC * D);
      wgmma_wait<1>();
    } else {
      wgmma_wait<0>();
    }
    mbar_arrive(k_empty + st);
    finish_tile(sc, o, m, l, pk, needs_mask(w, f), q0 + row0, n * BC, lane, doc_start);
    if (t > 0) mbar_arrive(v_empty + prev);
  }
  if (t > 0) {
    const int prev = (t - 1) % STAGES;
    mbar_wait(v_full + prev, ((t - 1) / STAGES) & 1);
    fence_proxy_async();
    wgmma_fence();
    issue_pv(o, pk, sV + prev * BC * D);
    wgmma_wait<0>();
    fence_operands(o);
  }
  named_sync(1, COMPUTE_THREADS);  // every product reading sQ has landed
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float sum = l[half];
    sum += shfl_xor(sum, 1);
    sum += shfl_xor(sum, 2);
    const int row = row0 + 8 * half;
    if ((lane & 3) == 0 && q0 + row < TQ) {
      lse[(static_cast<long long>(b) * HQ + h) * TQ + q0 + row] = sum > 0.0f ? (m[half] + log2f(sum)) * LN2 : INFINITY;
    }
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      *reinterpret_cast<unsigned*>(sQ + swz<BR>(row, dt) + (lane & 3) * 2) =
          pack_half(o[4 * dt + 2 * half] * inv, o[4 * dt + 2 * half + 1] * inv);
    }
  }
  named_sync(1, COMPUTE_THREADS);
  store_rows<BR>(out + q_head, sQ, q0, TQ, HQ * D);
}
