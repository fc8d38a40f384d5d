// KernelSource {"name":"attn_fwd_7e0ef2b7a5c2","params":[{"name":"q","dtype":"f32","access":"read"},{"name":"k","dtype":"f32","access":"read"},{"name":"v","dtype":"f32","access":"read"},{"name":"ranges","dtype":"i32","access":"read"},{"name":"out","dtype":"f32","access":"write"},{"name":"lse","dtype":"f32","access":"write"}],"grid":[1,4,16],"block":[256,1,1],"sharedBytes":32768,"flops":2162688,"bytes":405504}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention forward, f32 SIMT: B=16 Tq=32 Tk=32 Hq=4 Hk=2 D=16, causal, documents; tiles Br=64 Bc=64, 8 warps
namespace attn_fwd_7e0ef2b7a5c2_detail {

constexpr int TQ = 32;
constexpr int TK = 32;
constexpr int HQ = 4;
constexpr int HK = 2;
constexpr int D = 16;
constexpr int GROUP = 2;
constexpr int BR = 64;
constexpr int BC = 64;
constexpr int WARPS = 8;
constexpr int THREADS = 256;
constexpr int RL = 2;
constexpr int KL = 8;
constexpr int LD = 20;
constexpr int PLD = 68;
constexpr int NQ = 1;
constexpr int K_OFFSET = 5120;
constexpr int V_OFFSET = 10240;
constexpr int P_OFFSET = 15360;
constexpr float SCALE_LOG2 = 0.360673755f;
constexpr float LN2 = 0.693147182f;

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

// Closes the group of copies this thread started since the last commit.
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}

// Waits until at most N of this thread's committed copy groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" :: "n"(N) : "memory");
}

// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}

// The key tiles [lo, hi] that query rows [own0, own0 + 64) may see (lo > hi: none), and the
// tiles [full_lo, full_hi] among them whose every pair is visible.
struct Walk {
  int lo, hi, full_lo, full_hi;
};
__device__ __forceinline__ Walk walk(const int* rg, int own0) {
  const int last = min(own0 + 64, 32) - 1;
  const int start = rg[2 * last];  // every owned row's range starts by here
  return Walk{(max(0, rg[2 * own0])) / 64, (last) / 64,
              (start + 63) / 64, min(-1, (own0 + 1) / 64 - 1)};
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
  return j < 32 && j <= i;
}

// Sets the scores of pairs that are not visible to -inf (lane rows from query i0, tile at key k0). A row's
// document is [doc_start, doc_end); causal rows need no end (j <= i < end).
__device__ __forceinline__ void mask_tile(float (&s)[RL][KL], int i0, int k0, int cl, const int (&doc_start)[RL]) {
#pragma unroll
  for (int r = 0; r < RL; ++r) {
#pragma unroll
    for (int c = 0; c < KL; ++c) {
      const int i = i0 + r, j = k0 + cl + 8 * c;
      if (!(visible(i, j) && j >= doc_start[r])) s[r][c] = -INFINITY;
    }
  }
}

// Starts async copies of rows [row0, row0 + ROWS) of one head (rows `stride` floats apart) into a
// tile with rows LD floats apart; rows at or past `limit` are zero-filled.
template <int ROWS>
__device__ __forceinline__ void load_rows(float* tile, const float* src, int row0, int limit, long long stride) {
  for (int c = static_cast<int>(threadIdx.x); c < ROWS * (D / 4); c += THREADS) {
    const int row = c / (D / 4), part = c % (D / 4);
    const bool ok = row0 + row < limit;
    cp_async16(tile + row * LD + part * 4, ok ? src + (row0 + row) * stride + part * 4 : src, ok);
  }
}

// S = Q K^T for this lane's RL rows (from `row`) and KL keys (cl + 8c).
__device__ __forceinline__ void qk(const float* sQ, const float* sK, float (&s)[RL][KL], int row, int cl) {
#pragma unroll
  for (int r = 0; r < RL; ++r) {
#pragma unroll
    for (int c = 0; c < KL; ++c) s[r][c] = 0.0f;
  }
#pragma unroll 4
  for (int d = 0; d < D; ++d) {
    float qv[RL], kv[KL];
#pragma unroll
    for (int r = 0; r < RL; ++r) qv[r] = sQ[(row + r) * LD + d];
#pragma unroll
    for (int c = 0; c < KL; ++c) kv[c] = sK[(cl + 8 * c) * LD + d];
#pragma unroll
    for (int r = 0; r < RL; ++r) {
#pragma unroll
      for (int c = 0; c < KL; ++c) s[r][c] = fmaf(qv[r], kv[c], s[r][c]);
    }
  }
}

// Online softmax over the tile for each row; writes P to this warp's rows of sP and rescales O.
__device__ __forceinline__ void softmax_update(float (&s)[RL][KL], float (&m)[RL], float (&l)[RL],
                                               float (&o)[RL][D / 8], float* sP, int row, int cl) {
#pragma unroll
  for (int r = 0; r < RL; ++r) {
    float mx = -INFINITY;
#pragma unroll
    for (int c = 0; c < KL; ++c) mx = fmaxf(mx, s[r][c]);
#pragma unroll
    for (int mask = 1; mask < 8; mask <<= 1) mx = fmaxf(mx, shfl_xor(mx, mask));
    const float m_new = fmaxf(m[r], mx * SCALE_LOG2);
    const float base = m_new == -INFINITY ? 0.0f : m_new;
    const float corr = exp2f(m[r] - base);
    m[r] = m_new;
    float sum = 0.0f;
#pragma unroll
    for (int c = 0; c < KL; ++c) {
      const float p = exp2f(fmaf(s[r][c], SCALE_LOG2, -base));
      sP[(row + r) * PLD + cl + 8 * c] = p;
      sum += p;
    }
    l[r] = l[r] * corr + sum;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) o[r][c] *= corr;
  }
}

// O += P V for this lane's rows and columns cl + 8c.
__device__ __forceinline__ void pv(const float* sP, const float* sV, float (&o)[RL][D / 8], int row, int cl) {
#pragma unroll 4
  for (int j = 0; j < BC; ++j) {
    float vv[D / 8];
#pragma unroll
    for (int c = 0; c < D / 8; ++c) vv[c] = sV[j * LD + cl + 8 * c];
#pragma unroll
    for (int r = 0; r < RL; ++r) {
      const float p = sP[(row + r) * PLD + j];
#pragma unroll
      for (int c = 0; c < D / 8; ++c) o[r][c] = fmaf(p, vv[c], o[r][c]);
    }
  }
}

}  // namespace attn_fwd_7e0ef2b7a5c2_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_fwd_7e0ef2b7a5c2(
    const float* __restrict__ q,
    const float* __restrict__ k,
    const float* __restrict__ v,
    const int* __restrict__ ranges,
    float* __restrict__ out,
    float* __restrict__ lse) {
  using namespace attn_fwd_7e0ef2b7a5c2_detail;
  const int q0 = (NQ - 1 - static_cast<int>(blockIdx.x)) * BR;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int row = warp * (BR / WARPS) + (lane >> 3) * RL, cl = lane & 7;
  unsigned char* smem = shared_base();
  float* sQ = reinterpret_cast<float*>(smem);
  float* sK = reinterpret_cast<float*>(smem + K_OFFSET);
  float* sV = reinterpret_cast<float*>(smem + V_OFFSET);
  float* sP = reinterpret_cast<float*>(smem + P_OFFSET);
  const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + h / GROUP) * D;

  load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
  cp_async_commit();
  const int* rg = ranges + static_cast<long long>(b) * TQ * 2;
  const Walk w = walk(rg, q0);

  float o[RL][D / 8], m[RL], l[RL];
  int doc_start[RL];
#pragma unroll
  for (int r = 0; r < RL; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.0f;
    doc_start[r] = q0 + row + r < TQ ? rg[2 * (q0 + row + r)] : 0;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) o[r][c] = 0.0f;
  }

  for (int f = w.hi; f >= w.lo; --f) {
    const int n = tile_at(w, f);
    __syncthreads();
    load_rows<BC>(sK, k + kv_head, n * BC, TK, HK * D);
    load_rows<BC>(sV, v + kv_head, n * BC, TK, HK * D);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    float sc[RL][KL];
    qk(sQ, sK, sc, row, cl);
    if (needs_mask(w, f)) mask_tile(sc, q0 + row, n * BC, cl, doc_start);
    softmax_update(sc, m, l, o, sP, row, cl);
    __syncwarp();
    pv(sP, sV, o, row, cl);
  }

#pragma unroll
  for (int r = 0; r < RL; ++r) {
    float sum = l[r];
#pragma unroll
    for (int mask = 1; mask < 8; mask <<= 1) sum += shfl_xor(sum, mask);
    const int i = q0 + row + r;
    if (i < TQ) {
      if (cl == 0) {
        lse[(static_cast<long long>(b) * HQ + h) * TQ + i] = sum > 0.0f ? (m[r] + log2f(sum)) * LN2 : INFINITY;
      }
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
      for (int c = 0; c < D / 8; ++c) out[q_head + static_cast<long long>(i) * HQ * D + cl + 8 * c] = o[r][c] * inv;
    }
  }
}
