// KernelSource {"name":"attn_bwd_f1bb1d7b5aaf","params":[{"name":"q","dtype":"f32","access":"read"},{"name":"k","dtype":"f32","access":"read"},{"name":"v","dtype":"f32","access":"read"},{"name":"dout","dtype":"f32","access":"read"},{"name":"lse","dtype":"f32","access":"read"},{"name":"delta","dtype":"f32","access":"read"},{"name":"ranges","dtype":"i32","access":"read"},{"name":"dq","dtype":"f32","access":"readwrite"},{"name":"dk","dtype":"f32","access":"write"},{"name":"dv","dtype":"f32","access":"write"}],"grid":[1,2,16],"block":[256,1,1],"sharedBytes":19712,"flops":5406720,"bytes":675840}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention backward, f32 SIMT: B=16 Tq=32 Tk=32 Hq=4 Hk=2 D=16, causal, documents; tiles Br=32 Bc=32, 8 warps
namespace attn_bwd_f1bb1d7b5aaf_detail {

constexpr int TQ = 32;
constexpr int TK = 32;
constexpr int HQ = 4;
constexpr int HK = 2;
constexpr int D = 16;
constexpr int GROUP = 2;
constexpr int BR = 32;
constexpr int BC = 32;
constexpr int THREADS = 256;
constexpr int KL = 4;
constexpr int LD = 20;
constexpr int PLD = 36;
constexpr int TILE_BYTES = 2560;
constexpr int P_OFFSET = 10240;
constexpr int ROW_OFFSET = 19456;
constexpr float SCALE_LOG2 = 0.360673755f;
constexpr float LOG2E = 1.44269502f;
constexpr float SCALE = 0.250000000f;

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

// *p += a atomically (global memory; the result is not read, so this compiles to a reduction).
__device__ __forceinline__ void red_add_f32(float* p, float a) {
  atomicAdd(p, a);
}

// The query tiles [lo, hi] that key rows [own0, own0 + 32) may see (lo > hi: none), and the
// tiles [full_lo, full_hi] among them whose every pair is visible.
struct Walk {
  int lo, hi, full_lo, full_hi;
};
__device__ __forceinline__ Walk walk(const int* rg, int own0) {
  const int last = min(own0 + 32, 32) - 1;
  const int end = rg[2 * own0 + 1];  // and ends no earlier than here
  return Walk{(max(own0, rg[2 * own0])) / 32, (min(31, rg[2 * last + 1] - 1)) / 32,
              (last + 31) / 32, end / 32 - 1};
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

// Starts async copies of rows [row0, row0 + ROWS) of one head into a tile with rows LD floats apart
// (zero past limit).
template <int ROWS>
__device__ __forceinline__ void load_rows(float* tile, const float* src, int row0, int limit, long long stride) {
  for (int c = static_cast<int>(threadIdx.x); c < ROWS * (D / 4); c += THREADS) {
    const int row = c / (D / 4), part = c % (D / 4);
    const bool ok = row0 + row < limit;
    cp_async16(tile + row * LD + part * 4, ok ? src + (row0 + row) * stride + part * 4 : src, ok);
  }
}

// s[c] = A[row] . B[cl + 8c] over D, for two pairs of tiles at once (Q K^T and dO V^T).
__device__ __forceinline__ void scores(const float* sQ, const float* sK, const float* sdO, const float* sV,
                                       float (&s)[KL], float (&dp)[KL], int row, int cl) {
#pragma unroll
  for (int c = 0; c < KL; ++c) s[c] = dp[c] = 0.0f;
#pragma unroll 4
  for (int d = 0; d < D; ++d) {
    const float qv = sQ[row * LD + d], ov = sdO[row * LD + d];
#pragma unroll
    for (int c = 0; c < KL; ++c) {
      s[c] = fmaf(qv, sK[(cl + 8 * c) * LD + d], s[c]);
      dp[c] = fmaf(ov, sV[(cl + 8 * c) * LD + d], dp[c]);
    }
  }
}

// dv += P^T dO and dk += dS^T Q for key `key`, columns cl + 8c.
__device__ __forceinline__ void key_grads(const float* sP, const float* sdS, const float* sdO, const float* sQ,
                                          float (&dk)[D / 8], float (&dv)[D / 8], int key, int cl) {
#pragma unroll 2
  for (int i = 0; i < BR; ++i) {
    const float p = sP[i * PLD + key], ds = sdS[i * PLD + key];
#pragma unroll
    for (int c = 0; c < D / 8; ++c) {
      dv[c] = fmaf(p, sdO[i * LD + cl + 8 * c], dv[c]);
      dk[c] = fmaf(ds, sQ[i * LD + cl + 8 * c], dk[c]);
    }
  }
}

// dq[row] += scale * dS[row] K for columns cl + 8c (f32 atomics), when the row is inside Tq.
__device__ __forceinline__ void query_grad(const float* sdS, const float* sK, float* dq_row, int row, int cl,
                                           bool inside) {
  float acc[D / 8];
#pragma unroll
  for (int c = 0; c < D / 8; ++c) acc[c] = 0.0f;
#pragma unroll 2
  for (int j = 0; j < BC; ++j) {
    const float ds = sdS[row * PLD + j];
#pragma unroll
    for (int c = 0; c < D / 8; ++c) acc[c] = fmaf(ds, sK[j * LD + cl + 8 * c], acc[c]);
  }
  if (inside) {
#pragma unroll
    for (int c = 0; c < D / 8; ++c) red_add_f32(dq_row + cl + 8 * c, SCALE * acc[c]);
  }
}

}  // namespace attn_bwd_f1bb1d7b5aaf_detail

extern "C" __global__ void __launch_bounds__(256, 1) attn_bwd_f1bb1d7b5aaf(
    const float* __restrict__ q,
    const float* __restrict__ k,
    const float* __restrict__ v,
    const float* __restrict__ dout,
    const float* __restrict__ lse,
    const float* __restrict__ delta,
    const int* __restrict__ ranges,
    float* __restrict__ dq,
    float* __restrict__ dk,
    float* __restrict__ dv) {
  using namespace attn_bwd_f1bb1d7b5aaf_detail;
  const int k0 = static_cast<int>(blockIdx.x) * BC;
  const int kvh = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int row = static_cast<int>(threadIdx.x) / 8, cl = static_cast<int>(threadIdx.x) % 8;
  unsigned char* smem = shared_base();
  float* sK = reinterpret_cast<float*>(smem);
  float* sV = reinterpret_cast<float*>(smem + TILE_BYTES);
  float* sQ = reinterpret_cast<float*>(smem + 2 * TILE_BYTES);
  float* sdO = reinterpret_cast<float*>(smem + 3 * TILE_BYTES);
  float* sP = reinterpret_cast<float*>(smem + P_OFFSET);
  float* sdS = sP + BR * PLD;
  float* sLse = reinterpret_cast<float*>(smem + ROW_OFFSET);
  float* sDelta = sLse + BR;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + kvh) * D;

  load_rows<BC>(sK, k + kv_head, k0, TK, HK * D);
  load_rows<BC>(sV, v + kv_head, k0, TK, HK * D);
  cp_async_commit();
  const int* rg = ranges + static_cast<long long>(b) * TQ * 2;
  const Walk w = walk(rg, k0);
  float acc_k[D / 8], acc_v[D / 8];
#pragma unroll
  for (int c = 0; c < D / 8; ++c) acc_k[c] = acc_v[c] = 0.0f;

  for (int hh = 0; hh < GROUP; ++hh) {
    const int h = kvh * GROUP + hh;
    const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
    for (int f = w.lo; f <= w.hi; ++f) {
      __syncthreads();
      const int q0 = tile_at(w, f) * BR;
      load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
      load_rows<BR>(sdO, dout + q_head, q0, TQ, HQ * D);
      cp_async_commit();
      const int t = static_cast<int>(threadIdx.x);
      if (t < BR) {
        const bool ok = q0 + t < TQ;
        const long long at = (static_cast<long long>(b) * HQ + h) * TQ + q0 + t;
        sLse[t] = ok ? lse[at] * LOG2E : INFINITY;
        sDelta[t] = ok ? delta[at] : 0.0f;
      }
      cp_async_wait<0>();
      __syncthreads();
      float sc[KL], dp[KL];
      scores(sQ, sK, sdO, sV, sc, dp, row, cl);
      const bool masked = needs_mask(w, f);
#pragma unroll
      for (int c = 0; c < KL; ++c) {
        const int i = q0 + row, j = k0 + cl + 8 * c;
        float p = exp2f(fmaf(sc[c], SCALE_LOG2, -sLse[row]));
        if (masked && (!visible(i, j) || i >= rg[2 * j + 1])) p = 0.0f;
        sP[row * PLD + cl + 8 * c] = p;
        sdS[row * PLD + cl + 8 * c] = p * (dp[c] - sDelta[row]);
      }
      __syncthreads();
      key_grads(sP, sdS, sdO, sQ, acc_k, acc_v, row, cl);
      query_grad(sdS, sK, dq + q_head + static_cast<long long>(q0 + row) * HQ * D, row, cl, q0 + row < TQ);
    }
  }

  if (k0 + row < TK) {
    const long long at = kv_head + static_cast<long long>(k0 + row) * HK * D + cl;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) {
      dk[at + 8 * c] = SCALE * acc_k[c];
      dv[at + 8 * c] = acc_v[c];
    }
  }
}
