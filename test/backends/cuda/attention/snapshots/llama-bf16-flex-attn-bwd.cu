// KernelSource {"name":"attn_bwd_95873c95257f","params":[{"name":"q","dtype":"bf16","access":"read"},{"name":"k","dtype":"bf16","access":"read"},{"name":"v","dtype":"bf16","access":"read"},{"name":"dout","dtype":"bf16","access":"read"},{"name":"lse","dtype":"f32","access":"read"},{"name":"delta","dtype":"f32","access":"read"},{"name":"ranges","dtype":"i32","access":"read"},{"name":"blocks","dtype":"i32","access":"read"},{"name":"dq_accum","dtype":"f32","access":"readwrite"},{"name":"dk","dtype":"bf16","access":"write"},{"name":"dv","dtype":"bf16","access":"write"}],"grid":[8,4,32],"block":[256,1,1],"sharedBytes":165008,"flops":1374725079040,"bytes":675414016}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention backward, bf16 tensor cores: B=4 Tq=4096 Tk=4096 Hq=32 Hk=8 D=128, causal, documents, block table; tiles Br=64 Bc=128, 8 warps
namespace attn_bwd_95873c95257f_detail {

typedef __nv_bfloat16 half_t;
constexpr int TQ = 4096;
constexpr int TK = 4096;
constexpr int HQ = 32;
constexpr int HK = 8;
constexpr int D = 128;
constexpr int GROUP = 4;
constexpr int BR = 64;
constexpr int BC = 128;
constexpr int THREADS = 256;
constexpr int S_WM = 2;
constexpr int S_MT = 2;
constexpr int S_NT = 4;
constexpr int K_WM = 4;
constexpr int K_MT = 2;
constexpr int K_NT = 8;
constexpr int Q_WM = 2;
constexpr int Q_MT = 2;
constexpr int Q_NT = 4;
constexpr int V_OFFSET = 32768;
constexpr int Q_OFFSET = 65536;
constexpr int DO_OFFSET = 98304;
constexpr int P_OFFSET = 131072;
constexpr int DS_OFFSET = 147456;
constexpr int ROW_OFFSET = 163840;
constexpr int LIST_OFFSET = 164864;
constexpr float SCALE_LOG2 = 0.127517432f;
constexpr float LOG2E = 1.44269502f;
constexpr float SCALE = 0.0883883461f;
constexpr bool AHEAD = false;
constexpr bool SCORES_A_AHEAD = false;

// Base of the block's dynamic shared memory (128-byte aligned).
__device__ __forceinline__ unsigned char* shared_base() {
  extern __shared__ __align__(128) unsigned char smem[];
  return smem;
}

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

// ldmatrix x4: lane l gives the address of row l%8 of 8x8 bf16 matrix l/8; r[m] gets row lane/4,
// cols 2*(lane%4)+{0,1} of matrix m.
__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(row)) : "memory");
}

// ldmatrix x4 transposed: r[m] gets rows 2*(lane%4)+{0,1}, col lane/4 of matrix m.
__device__ __forceinline__ void ldsm_x4_t(unsigned (&r)[4], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(row)) : "memory");
}

// d += a (16x16 bf16, row) * b (16x8 bf16, col), f32 accumulate: mma.sync m16n8k16.
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
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

// p[0] += a, p[1] += b atomically (p 8-byte aligned, global memory; one vector reduction on sm_90).
__device__ __forceinline__ void red_add_f32x2(float* p, float a, float b) {
  atomicAdd(reinterpret_cast<float2*>(p), make_float2(a, b));
}

// Element offset of 16-byte chunk `chunk` of tile row `row` (rows of 128 16-bit elements, XOR-swizzled).
__device__ __forceinline__ int swz(int row, int chunk) {
  return (row * 16 + (chunk ^ (row & 7))) * 8;
}

// swz(row, 2 * k + hi) == swz_pair(row, hi) ^ (16 * k) for 0 <= k < 8: the XOR swizzle only touches bits
// below D that row * D leaves zero, so a lane keeps one base offset per operand and XORs in the chunk pair.
__device__ __forceinline__ int swz_pair(int row, int hi) {
  return row * 128 + 8 * (hi ^ (row & 7));
}

// Starts async copies of rows [row0, row0 + ROWS) of one head into a swizzled tile; src points at row 0 of that head
// and consecutive rows are `stride` elements apart; rows at or past `limit` are zero-filled. Each thread copies
// one chunk column every 16 rows, so its addresses advance by constants (no per-copy arithmetic).
template <int ROWS>
__device__ __forceinline__ void load_rows(half_t* tile, const half_t* src, int row0, int limit,
                                          long long stride) {
  const int r = static_cast<int>(threadIdx.x) / 16, chunk = static_cast<int>(threadIdx.x) % 16;
  const half_t* from = src + (row0 + r) * stride + chunk * 8;
  half_t* to = tile + swz(r, chunk);
#pragma unroll
  for (int it = 0; it < ROWS / 16; ++it) {
    const bool ok = row0 + r + it * 16 < limit;
    cp_async16(to + it * 2048, ok ? from + it * 16 * stride : src, ok);
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
          *reinterpret_cast<const uint4*>(tile + swz(r, chunk) + it * 2048);
    }
  }
}

// The query tiles that key rows [own0, own0 + 128) visit: walk positions [lo, hi] cover the listed
// blocks of their block (bl: this batch row's block table), 2 tiles each. walk copies the
// list into shared memory (every thread of the block must call it), where the walk reads it.
struct Walk {
  int lo, hi;
  const int* list;  // the listed blocks: 2 * block + (1 when every pair of it is visible)
};
__device__ __forceinline__ Walk walk(const int* bl, int own0, int* shared_list) {
  const int* list = bl + (32 + own0 / 128) * 33;
  for (int e = static_cast<int>(threadIdx.x); e <= 32; e += static_cast<int>(blockDim.x)) {
    shared_list[e] = list[e];
  }
  __syncthreads();
  return Walk{0, shared_list[0] * 2 - 1, shared_list + 1};
}

// The tile at walk position f, and whether it holds a pair that is not visible (so the per-element test must run).
__device__ __forceinline__ int tile_at(const Walk& w, int f) {
  return (w.list[f / 2] >> 1) * 2 + f % 2;
}
__device__ __forceinline__ bool needs_mask(const Walk& w, int f) {
  return (w.list[f / 2] & 1) == 0;
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
  for (int r = static_cast<int>(threadIdx.x); r < 2 * BR; r += THREADS) {
    const int row = r % BR;
    const bool ok = q0 + row < TQ;
    const float* src = (r < BR ? lse : delta) + (static_cast<long long>(b) * HQ + h) * TQ + q0 + row;
    cp_async4((r < BR ? sLse : sDelta) + row, ok ? src : lse, ok);
  }
}

// Element offset of chunk `chunk` of row `row` in a [BR][BC] 16-bit tile (P, dS), XOR-swizzled like
// swz; swz_p_pair is its swz_pair (tile.ts).
__device__ __forceinline__ int swz_p(int row, int chunk) {
  return (row * (BC / 8) + (chunk ^ (row & 7))) * 8;
}

__device__ __forceinline__ int swz_p_pair(int row, int hi) {
  return row * BC + 8 * (hi ^ (row & 7));
}

// acc += sum over STEPS k-steps of A_k B_k on the tensor cores for this warp's MT x NT tile of 16 x 8 outputs:
// load_a(k, a) fills the MT A fragments of step k, load_b(k, np, b) the B fragments of n-tile pair np. With AHEAD the
// B fragments of step k + 1 load while step k's mmas run (a second register set), and with A_AHEAD the A fragments
// too, so ldmatrix latency hides behind the tensor cores: 2 warps per scheduler cannot hide it (the H200 lab measured
// +5% fwd+bwd at d = 128 and +10% at d = 64). Without AHEAD each fragment loads just before its mmas and the loop
// unrolls by 2 only (fewer live registers).
template <int STEPS, bool AHEAD, bool A_AHEAD, int MT, int NT, class LoadA, class LoadB>
__device__ __forceinline__ void mma_steps(float (&acc)[MT][NT][4], LoadA load_a, LoadB load_b) {
  unsigned a[A_AHEAD ? 2 : 1][MT][4], b[AHEAD ? 2 : 1][NT / 2][4];
  if (A_AHEAD) load_a(0, a[0]);
#pragma unroll
  for (int np = 0; np < NT / 2; ++np) {
    if (AHEAD) load_b(0, np, b[0][np]);
  }
#pragma unroll(AHEAD ? STEPS : 2)
  for (int k = 0; k < STEPS; ++k) {
    const int ca = A_AHEAD ? k & 1 : 0, cb = AHEAD ? k & 1 : 0;
    if (!A_AHEAD) load_a(k, a[0]);
    if (AHEAD && k + 1 < STEPS) {
      if (A_AHEAD) load_a(k + 1, a[ca ^ 1]);
#pragma unroll
      for (int np = 0; np < NT / 2; ++np) load_b(k + 1, np, b[cb ^ 1][np]);
    }
#pragma unroll
    for (int np = 0; np < NT / 2; ++np) {
      if (!AHEAD) load_b(k, np, b[0][np]);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma_16816(acc[mt][2 * np], a[ca][mt], b[cb][np][0], b[cb][np][1]);
        mma_16816(acc[mt][2 * np + 1], a[ca][mt], b[cb][np][2], b[cb][np][3]);
      }
    }
  }
}

template <int MT, int NT>
__device__ __forceinline__ void zero(float (&acc)[MT][NT][4]) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) acc[mt][nt][0] = acc[mt][nt][1] = acc[mt][nt][2] = acc[mt][nt][3] = 0.0f;
  }
}

// acc = A B^T for this warp's S_MT*16 rows of A ([BR][D] tile, from r0) and S_NT*8 rows of B ([BC][D], from c0).
__device__ __forceinline__ void scores(const half_t* sA, const half_t* sB, float (&acc)[S_MT][S_NT][4],
                                       int r0, int c0, int lane) {
  const int ab = swz_pair(r0 + (lane & 15), lane >> 4);
  const int bb = swz_pair(c0 + (lane & 7) + ((lane >> 4) << 3), (lane >> 3) & 1);
  zero(acc);
  mma_steps<D / 16, AHEAD, SCORES_A_AHEAD>(acc,
      [&](int kk, unsigned (&a)[S_MT][4]) {
#pragma unroll
        for (int mt = 0; mt < S_MT; ++mt) ldsm_x4(a[mt], sA + (ab ^ (16 * kk)) + mt * 16 * D);
      },
      [&](int kk, int np, unsigned (&b)[4]) { ldsm_x4(b, sB + (bb ^ (16 * kk)) + np * 16 * D); });
}

// acc += T^T X for this warp's K_MT*16 keys (from k0) and K_NT*8 columns (from c0): T a [BR][BC] tile (P or dS),
// X a [BR][D] tile (dO or Q). k0 and c0 are multiples of the warp tile, so XOR-ing them into the bases is exact.
__device__ __forceinline__ void key_grad(const half_t* sT, const half_t* sX, float (&acc)[K_MT][K_NT][4],
                                         int k0, int c0, int lane) {
  const int ab = swz_p_pair((lane & 7) + ((lane >> 4) << 3), (lane >> 3) & 1) ^ k0;
  const int bb = swz_pair((lane & 7) + (((lane >> 3) & 1) << 3), lane >> 4) ^ c0;
  mma_steps<BR / 16, AHEAD, AHEAD>(acc,
      [&](int kk, unsigned (&a)[K_MT][4]) {
#pragma unroll
        for (int mt = 0; mt < K_MT; ++mt) ldsm_x4_t(a[mt], sT + (ab ^ (16 * mt)) + kk * 16 * BC);
      },
      [&](int kk, int np, unsigned (&b)[4]) { ldsm_x4_t(b, sX + (bb ^ (16 * np)) + kk * 16 * D); });
}

// acc = dS K for this warp's Q_MT*16 query rows (from r0) and Q_NT*8 columns (from c0).
__device__ __forceinline__ void query_grad(const half_t* sdS, const half_t* sK,
                                           float (&acc)[Q_MT][Q_NT][4], int r0, int c0, int lane) {
  const int ab = swz_p_pair(r0 + (lane & 15), lane >> 4);
  const int bb = swz_pair((lane & 7) + (((lane >> 3) & 1) << 3), lane >> 4) ^ c0;
  zero(acc);
  mma_steps<BC / 16, AHEAD, AHEAD>(acc,
      [&](int kk, unsigned (&a)[Q_MT][4]) {
#pragma unroll
        for (int mt = 0; mt < Q_MT; ++mt) ldsm_x4(a[mt], sdS + (ab ^ (16 * kk)) + mt * 16 * BC);
      },
      [&](int kk, int np, unsigned (&b)[4]) { ldsm_x4_t(b, sK + (bb ^ (16 * np)) + kk * 16 * D); });
}

// P and dS of this warp's score tile at (r0, c0) -> shared memory (16-bit); masked pairs get P = 0.
__device__ __forceinline__ void softmax_grad(const float (&sc)[S_MT][S_NT][4], const float (&dp)[S_MT][S_NT][4],
                                             const float* lse, const float* delta, half_t* sP,
                                             half_t* sdS, int r0, int c0, int q0, int k0, bool masked,
                                             int lane, const int* rg) {
  const int pb = swz_p(r0 + (lane >> 2), c0 / 8) + (lane & 3) * 2;
#pragma unroll
  for (int mt = 0; mt < S_MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int r = r0 + mt * 16 + (lane >> 2) + half * 8;
      const float row_lse = q0 + r < TQ ? lse[r] * LOG2E : INFINITY, row_delta = delta[r];
#pragma unroll
      for (int nt = 0; nt < S_NT; ++nt) {
        float p[2], ds[2];
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          p[e] = fast_exp2(fmaf(sc[mt][nt][2 * half + e], SCALE_LOG2, -row_lse));
          if (masked) {
            const int i = q0 + r, j = k0 + c0 + nt * 8 + (lane & 3) * 2 + e;
            if (!visible(i, j) || i >= rg[2 * j + 1]) p[e] = 0.0f;
          }
          ds[e] = p[e] * (dp[mt][nt][2 * half + e] - row_delta);
        }
        const int at = (pb ^ (8 * nt)) + (mt * 16 + half * 8) * BC;
        *reinterpret_cast<unsigned*>(sP + at) = pack_half(p[0], p[1]);
        *reinterpret_cast<unsigned*>(sdS + at) = pack_half(ds[0], ds[1]);
      }
    }
  }
}

}  // namespace attn_bwd_95873c95257f_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_bwd_95873c95257f(
    const __nv_bfloat16* __restrict__ q,
    const __nv_bfloat16* __restrict__ k,
    const __nv_bfloat16* __restrict__ v,
    const __nv_bfloat16* __restrict__ dout,
    const float* __restrict__ lse,
    const float* __restrict__ delta,
    const int* __restrict__ ranges,
    const int* __restrict__ blocks,
    float* __restrict__ dq_accum,
    __nv_bfloat16* __restrict__ dk,
    __nv_bfloat16* __restrict__ dv) {
  using namespace attn_bwd_95873c95257f_detail;
  const int k0 = static_cast<int>(blockIdx.z) * BC;
  const int kvh = static_cast<int>(blockIdx.x), b = static_cast<int>(blockIdx.y);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int s_r0 = (warp % S_WM) * S_MT * 16, s_c0 = (warp / S_WM) * S_NT * 8;
  const int k_r0 = (warp % K_WM) * K_MT * 16, k_c0 = (warp / K_WM) * K_NT * 8;
  const int q_r0 = (warp % Q_WM) * Q_MT * 16, q_c0 = (warp / Q_WM) * Q_NT * 8;
  unsigned char* smem = shared_base();
  half_t* sK = reinterpret_cast<half_t*>(smem);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  half_t* sQ = reinterpret_cast<half_t*>(smem + Q_OFFSET);
  half_t* sdO = reinterpret_cast<half_t*>(smem + DO_OFFSET);
  half_t* sP = reinterpret_cast<half_t*>(smem + P_OFFSET);
  half_t* sdS = reinterpret_cast<half_t*>(smem + DS_OFFSET);
  float* sLse = reinterpret_cast<float*>(smem + ROW_OFFSET);
  float* sDelta = sLse + 2 * BR;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + kvh) * D;

  load_rows<BC>(sK, k + kv_head, k0, TK, HK * D);
  load_rows<BC>(sV, v + kv_head, k0, TK, HK * D);
  const int* rg = ranges + static_cast<long long>(b) * TQ * 2;
  const int* bl = blocks + static_cast<long long>(b) * 2112;
  const Walk w = walk(bl, k0, reinterpret_cast<int*>(smem + LIST_OFFSET));
  int hh = 0, f = w.lo, stage = 0;
  bool more = w.lo <= w.hi;
  if (more) load_query_tile(q, dout, lse, delta, sQ, sdO, sLse, sDelta, b, kvh * GROUP + hh, tile_at(w, f) * BR);
  cp_async_commit();

  float acc_k[K_MT][K_NT][4], acc_v[K_MT][K_NT][4];
  zero(acc_k);
  zero(acc_v);

  while (more) {
    const int h = kvh * GROUP + hh, q0 = tile_at(w, f) * BR;
    const bool masked = needs_mask(w, f);
    const int st = stage * BR;
    cp_async_wait<0>();
    __syncthreads();
    int nh = hh, nf = f;
    more = advance(nh, nf, w);
    if (more) {
      const int nst = (stage ^ 1) * BR;
      load_query_tile(q, dout, lse, delta, sQ + nst * D, sdO + nst * D, sLse + nst, sDelta + nst, b, kvh * GROUP + nh,
                      tile_at(w, nf) * BR);
    }
    cp_async_commit();
    {
      float sc[S_MT][S_NT][4], dp[S_MT][S_NT][4];
      scores(sQ + st * D, sK, sc, s_r0, s_c0, lane);
      scores(sdO + st * D, sV, dp, s_r0, s_c0, lane);
      softmax_grad(sc, dp, sLse + st, sDelta + st, sP, sdS, s_r0, s_c0, q0, k0, masked, lane, rg);
    }
    __syncthreads();
    key_grad(sP, sdO + st * D, acc_v, k_r0, k_c0, lane);
    key_grad(sdS, sQ + st * D, acc_k, k_r0, k_c0, lane);
    {
      float part[Q_MT][Q_NT][4];
      query_grad(sdS, sK, part, q_r0, q_c0, lane);
      float* dst = dq_accum + (static_cast<long long>(b) * TQ * HQ + h) * D + q_c0 + (lane & 3) * 2;
#pragma unroll
      for (int mt = 0; mt < Q_MT; ++mt) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const int i = q0 + q_r0 + mt * 16 + (lane >> 2) + half * 8;
          if (i < TQ) {
#pragma unroll
            for (int nt = 0; nt < Q_NT; ++nt) {
              red_add_f32x2(dst + static_cast<long long>(i) * HQ * D + nt * 8, part[mt][nt][2 * half],
                            part[mt][nt][2 * half + 1]);
            }
          }
        }
      }
    }
    hh = nh;
    f = nf;
    stage ^= 1;
  }

  cp_async_wait<0>();
  __syncthreads();
#pragma unroll
  for (int mt = 0; mt < K_MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < K_NT; ++nt) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int at = swz(k_r0 + mt * 16 + (lane >> 2) + half * 8, k_c0 / 8 + nt) + (lane & 3) * 2;
        const float* kk = acc_k[mt][nt] + 2 * half;
        const float* vv = acc_v[mt][nt] + 2 * half;
        *reinterpret_cast<unsigned*>(sK + at) = pack_half(SCALE * kk[0], SCALE * kk[1]);
        *reinterpret_cast<unsigned*>(sV + at) = pack_half(vv[0], vv[1]);
      }
    }
  }
  __syncthreads();
  store_rows<BC>(dk + kv_head, sK, k0, TK, HK * D);
  store_rows<BC>(dv + kv_head, sV, k0, TK, HK * D);
}
