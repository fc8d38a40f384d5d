// KernelSource {"name":"attn_fwd_e30400306d6d","params":[{"name":"q","dtype":"bf16","access":"read"},{"name":"k","dtype":"bf16","access":"read"},{"name":"v","dtype":"bf16","access":"read"},{"name":"ranges","dtype":"i32","access":"read"},{"name":"out","dtype":"bf16","access":"write"},{"name":"lse","dtype":"f32","access":"write"}],"grid":[32,32,4],"block":[128,1,1],"sharedBytes":49152,"flops":120275861504,"bytes":270663680}
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// attention forward, bf16 tensor cores: B=4 Tq=4096 Tk=4096 Hq=32 Hk=32 D=64, causal, window 1024, documents; tiles Br=128 Bc=128, 4 warps
namespace attn_fwd_e30400306d6d_detail {

typedef __nv_bfloat16 half_t;
constexpr int TQ = 4096;
constexpr int TK = 4096;
constexpr int HQ = 32;
constexpr int HK = 32;
constexpr int D = 64;
constexpr int GROUP = 1;
constexpr int BR = 128;
constexpr int BC = 128;
constexpr int MT = 2;
constexpr int NT = 16;
constexpr int NQ = 32;
constexpr int K_OFFSET = 16384;
constexpr int V_OFFSET = 32768;
constexpr float SCALE_LOG2 = 0.127517432f;
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

// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}

// Whether p holds on any lane of the warp (all 32 lanes take part).
__device__ __forceinline__ bool any_sync(bool p) {
  return __any_sync(0xffffffffu, p);
}

// Element offset of 16-byte chunk `chunk` of tile row `row` (rows of 64 16-bit elements, XOR-swizzled).
__device__ __forceinline__ int swz(int row, int chunk) {
  return (row * 8 + (chunk ^ (row & 7))) * 8;
}

// swz(row, 2 * k + hi) == swz_pair(row, hi) ^ (16 * k) for 0 <= k < 4: the XOR swizzle only touches bits
// below D that row * D leaves zero, so a lane keeps one base offset per operand and XORs in the chunk pair.
__device__ __forceinline__ int swz_pair(int row, int hi) {
  return row * 64 + 8 * (hi ^ (row & 7));
}

// Starts async copies of rows [row0, row0 + ROWS) of one head into a swizzled tile; src points at row 0 of that head
// and consecutive rows are `stride` elements apart; rows at or past `limit` are zero-filled. Each thread copies
// one chunk column every 16 rows, so its addresses advance by constants (no per-copy arithmetic).
template <int ROWS>
__device__ __forceinline__ void load_rows(half_t* tile, const half_t* src, int row0, int limit,
                                          long long stride) {
  const int r = static_cast<int>(threadIdx.x) / 8, chunk = static_cast<int>(threadIdx.x) % 8;
  const half_t* from = src + (row0 + r) * stride + chunk * 8;
  half_t* to = tile + swz(r, chunk);
#pragma unroll
  for (int it = 0; it < ROWS / 16; ++it) {
    const bool ok = row0 + r + it * 16 < limit;
    cp_async16(to + it * 1024, ok ? from + it * 16 * stride : src, ok);
  }
}

// Copies tile rows [0, ROWS) to rows [row0, row0 + ROWS) of one head of dst (16 bytes per thread and step), skipping
// rows at or past `limit`. The tile must be complete (a barrier after its last write).
template <int ROWS>
__device__ __forceinline__ void store_rows(half_t* dst, const half_t* tile, int row0, int limit,
                                           long long stride) {
  const int r = static_cast<int>(threadIdx.x) / 8, chunk = static_cast<int>(threadIdx.x) % 8;
#pragma unroll
  for (int it = 0; it < ROWS / 16; ++it) {
    if (row0 + r + it * 16 < limit) {
      *reinterpret_cast<uint4*>(dst + (row0 + r + it * 16) * stride + chunk * 8) =
          *reinterpret_cast<const uint4*>(tile + swz(r, chunk) + it * 1024);
    }
  }
}

// The key tiles [lo, hi] that query rows [own0, own0 + 128) may see (lo > hi: none), and the
// tiles [full_lo, full_hi] among them whose every pair is visible.
struct Walk {
  int lo, hi, full_lo, full_hi;
};
__device__ __forceinline__ Walk walk(const int* rg, int own0) {
  const int last = min(own0 + 128, 4096) - 1;
  const int start = rg[2 * last];  // every owned row's range starts by here
  return Walk{(max(max(0, own0 - 1023), rg[2 * own0])) / 128, (last) / 128,
              max(last >= 1024 ? (last - 1024) / 128 + 1 : 0, (start + 127) / 128), min(31, (own0 + 1) / 128 - 1)};
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
  return j < 4096 && j <= i && i - j < 1024;
}

// Sets the scores of pairs that are not visible to -inf (tile at query row q0, key row k0). A row's document is
// [doc_start, doc_end); causal rows need no end (j <= i < end).
__device__ __forceinline__ void mask_tile(float (&s)[MT][NT][4], int q0, int k0, int warp, int lane, const int (&doc_start)[MT][2]) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int i = q0 + (warp * MT + mt) * 16 + (lane >> 2) + (e >> 1) * 8;
        const int j = k0 + nt * 8 + (lane & 3) * 2 + (e & 1);
        if (!(visible(i, j) && j >= doc_start[mt][e >> 1])) s[mt][nt][e] = -INFINITY;
      }
    }
  }
}

// S = Q K^T for this warp's rows and the whole key tile.
__device__ __forceinline__ void qk(const half_t* sQ, const half_t* sK, float (&s)[MT][NT][4], int warp,
                                   int lane) {
  const int qa = swz_pair(warp * MT * 16 + (lane & 15), lane >> 4);
  const int kb = swz_pair((lane & 7) + ((lane >> 4) << 3), (lane >> 3) & 1);
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    unsigned a[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) ldsm_x4(a[mt], sQ + (qa ^ (16 * kk)) + mt * 16 * D);
#pragma unroll
    for (int np = 0; np < NT / 2; ++np) {
      unsigned b[4];
      ldsm_x4(b, sK + (kb ^ (16 * kk)) + np * 16 * D);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma_16816(s[mt][2 * np], a[mt], b[0], b[1]);
        mma_16816(s[mt][2 * np + 1], a[mt], b[2], b[3]);
      }
    }
  }
}

// Online softmax: folds the tile's scores into m (log2 domain) and l, rescales O (skipped when no row of the warp
// raised its max, the common case once the max has settled), and packs P = 2^(s*c - m) as 16-bit pairs:
// p[mt][nt][half] holds row half*8 + lane/4 of n-tile nt (the halves of an mma A fragment).
__device__ __forceinline__ void softmax_update(const float (&s)[MT][NT][4], float (&m)[MT][2], float (&l)[MT][2],
                                               float (&o)[MT][D / 8][4], unsigned (&p)[MT][NT][2]) {
  float corr[MT][2];
  bool raised = false;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float mx = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) mx = fmaxf(mx, fmaxf(s[mt][nt][2 * half], s[mt][nt][2 * half + 1]));
      mx = fmaxf(mx, shfl_xor(mx, 1));
      mx = fmaxf(mx, shfl_xor(mx, 2));
      const float m_new = fmaxf(m[mt][half], mx * SCALE_LOG2);
      const float base = m_new == -INFINITY ? 0.0f : m_new;
      corr[mt][half] = fast_exp2(m[mt][half] - base);
      raised = raised || m_new != m[mt][half];
      m[mt][half] = m_new;
      float sum = 0.0f;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const float p0 = fast_exp2(fmaf(s[mt][nt][2 * half], SCALE_LOG2, -base));
        const float p1 = fast_exp2(fmaf(s[mt][nt][2 * half + 1], SCALE_LOG2, -base));
        sum += p0 + p1;
        p[mt][nt][half] = pack_half(p0, p1);
      }
      l[mt][half] = l[mt][half] * corr[mt][half] + sum;
    }
  }
  if (any_sync(raised)) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
        o[mt][dt][0] *= corr[mt][0];
        o[mt][dt][1] *= corr[mt][0];
        o[mt][dt][2] *= corr[mt][1];
        o[mt][dt][3] *= corr[mt][1];
      }
    }
  }
}

// O += P V with P's packed 16-bit pairs as the A fragments.
__device__ __forceinline__ void pv(const unsigned (&p)[MT][NT][2], const half_t* sV, float (&o)[MT][D / 8][4],
                                   int lane) {
  const int vb = swz_pair((lane & 7) + (((lane >> 3) & 1) << 3), lane >> 4);
#pragma unroll
  for (int kk = 0; kk < NT / 2; ++kk) {
    unsigned a[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      a[mt][0] = p[mt][2 * kk][0];
      a[mt][1] = p[mt][2 * kk][1];
      a[mt][2] = p[mt][2 * kk + 1][0];
      a[mt][3] = p[mt][2 * kk + 1][1];
    }
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      unsigned b[4];
      ldsm_x4_t(b, sV + (vb ^ (16 * dp)) + kk * 16 * D);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma_16816(o[mt][2 * dp], a[mt], b[0], b[1]);
        mma_16816(o[mt][2 * dp + 1], a[mt], b[2], b[3]);
      }
    }
  }
}

}  // namespace attn_fwd_e30400306d6d_detail

extern "C" __global__ void __launch_bounds__(128, 2) attn_fwd_e30400306d6d(
    const __nv_bfloat16* __restrict__ q,
    const __nv_bfloat16* __restrict__ k,
    const __nv_bfloat16* __restrict__ v,
    const int* __restrict__ ranges,
    __nv_bfloat16* __restrict__ out,
    float* __restrict__ lse) {
  using namespace attn_fwd_e30400306d6d_detail;
  const int q0 = (NQ - 1 - static_cast<int>(blockIdx.x)) * BR;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  unsigned char* smem = shared_base();
  half_t* sQ = reinterpret_cast<half_t*>(smem);
  half_t* sK = reinterpret_cast<half_t*>(smem + K_OFFSET);
  half_t* sV = reinterpret_cast<half_t*>(smem + V_OFFSET);
  const long long q_head = (static_cast<long long>(b) * TQ * HQ + h) * D;
  const long long kv_head = (static_cast<long long>(b) * TK * HK + h / GROUP) * D;

  load_rows<BR>(sQ, q + q_head, q0, TQ, HQ * D);
  const int* rg = ranges + static_cast<long long>(b) * TQ * 2;
  const Walk w = walk(rg, q0);
  int f = w.hi;
  if (f >= w.lo) load_rows<BC>(sK, k + kv_head, tile_at(w, f) * BC, TK, HK * D);
  cp_async_commit();

  float o[MT][D / 8][4], m[MT][2], l[MT][2];
  int doc_start[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      m[mt][half] = -INFINITY;
      l[mt][half] = 0.0f;
      const int i = q0 + (warp * MT + mt) * 16 + (lane >> 2) + half * 8;
      doc_start[mt][half] = i < TQ ? rg[2 * i] : 0;
    }
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) o[mt][dt][0] = o[mt][dt][1] = o[mt][dt][2] = o[mt][dt][3] = 0.0f;
  }

  for (; f >= w.lo; --f) {
    const int n = tile_at(w, f);
    cp_async_wait<0>();
    __syncthreads();
    load_rows<BC>(sV, v + kv_head, n * BC, TK, HK * D);
    cp_async_commit();
    float sc[MT][NT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) sc[mt][nt][0] = sc[mt][nt][1] = sc[mt][nt][2] = sc[mt][nt][3] = 0.0f;
    }
    qk(sQ, sK, sc, warp, lane);
    __syncthreads();
    if (f > w.lo) load_rows<BC>(sK, k + kv_head, tile_at(w, f - 1) * BC, TK, HK * D);
    cp_async_commit();
    if (needs_mask(w, f)) mask_tile(sc, q0, n * BC, warp, lane, doc_start);
    unsigned pk[MT][NT][2];
    softmax_update(sc, m, l, o, pk);
    cp_async_wait<1>();
    __syncthreads();
    pv(pk, sV, o, lane);
  }

  cp_async_wait<0>();
  __syncthreads();
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float sum = l[mt][half];
      sum += shfl_xor(sum, 1);
      sum += shfl_xor(sum, 2);
      const int row = (warp * MT + mt) * 16 + (lane >> 2) + half * 8;
      if ((lane & 3) == 0 && q0 + row < TQ) {
        lse[(static_cast<long long>(b) * HQ + h) * TQ + q0 + row] =
            sum > 0.0f ? (m[mt][half] + log2f(sum)) * LN2 : INFINITY;
      }
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
        *reinterpret_cast<unsigned*>(sQ + swz(row, dt) + (lane & 3) * 2) =
            pack_half(o[mt][dt][2 * half] * inv, o[mt][dt][2 * half + 1] * inv);
      }
    }
  }
  __syncthreads();
  store_rows<BR>(out + q_head, sQ, q0, TQ, HQ * D);
}
