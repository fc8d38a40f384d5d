// Device side of the attention lab: seeded input fill and naive float64 reference kernels for attention and its
// gradient, one warp per query row (or key row), written from the op's definition (ir/interpret/attention.ts):
// key j is visible from query i when (not causal or j <= i), (window == 0 or i - j < window) and the segment ids match;
// GQA query head h reads kv head h / (Hq / Hk); a query that sees no key gives 0 and lse = +inf.
// The references share nothing with the generated kernels: no tiling, no online-softmax tricks in f32, delta taken
// as sum_j P_ij dP_ij (the kernels use rowsum(dout * out)).
// Invariants: D <= 32 * MAX_LANE_ELEMENTS; references work on one (batch, head) slice at a time.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cmath>

namespace lab {

/** One attention problem at run time (the generated kernels have these sizes baked in). */
struct Problem {
  int B, Tq, Tk, Hq, Hk, D;
  int causal, window, documents;
  /** Document lengths are drawn from [doc_min, doc_max]; 0, 0: from [1, Tq/2] (harness.cuh segment_ids). */
  int doc_min, doc_max;
  float scale;
  /** With a block table (flex): its block size (harness.cuh block_table); 0: none. */
  int block;
};

constexpr int MAX_LANE_ELEMENTS = 8;

__device__ inline float to_float(float x) { return x; }
__device__ inline float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ inline float to_float(__half x) { return __half2float(x); }
__device__ inline void from_float(float x, float* p) { *p = x; }
__device__ inline void from_float(float x, __nv_bfloat16* p) { *p = __float2bfloat16_rn(x); }
__device__ inline void from_float(float x, __half* p) { *p = __float2half_rn(x); }

/** Uniform in [-spread, spread) from a counter hash of (seed, i). */
__device__ inline float hash_uniform(unsigned seed, unsigned long long i, float spread) {
  unsigned long long z = i * 0x9e3779b97f4a7c15ull + seed;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return spread * (static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f);
}

template <typename T>
__global__ void fill(T* p, long long n, unsigned seed, float spread) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    from_float(hash_uniform(seed, static_cast<unsigned long long>(i), spread), p + i);
  }
}

__device__ inline bool visible(const Problem& p, const int* seg, int b, int i, int j) {
  if (j >= p.Tk || (p.causal && j > i) || (p.window > 0 && i - j >= p.window)) return false;
  return !p.documents || seg[static_cast<long long>(b) * p.Tq + i] == seg[static_cast<long long>(b) * p.Tq + j];
}

__device__ inline double warp_sum(double x) {
  for (int m = 16; m > 0; m >>= 1) x += __shfl_xor_sync(0xffffffffu, x, m);
  return x;
}

/** sum_d a[d] * b[d] in float64, lanes striding over d; every lane gets the sum. */
template <typename T>
__device__ inline double dot(const T* a, const T* b, int D) {
  double s = 0.0;
  for (int d = threadIdx.x % 32; d < D; d += 32) s += static_cast<double>(to_float(a[d])) * to_float(b[d]);
  return warp_sum(s);
}

__device__ inline long long row_at(const Problem& p, int b, int t, int T, int H, int h) {
  return ((static_cast<long long>(b) * T + t) * H + h) * p.D;
}

/** out_ref[i][d] and lse_ref[i] of query head h of batch b (8 rows per block of 256 threads). */
template <typename T>
__global__ void ref_forward(Problem p, const T* q, const T* k, const T* v, const int* seg, int b, int h,
                            double* out_ref, double* lse_ref) {
  const int i = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x % 32, kvh = h / (p.Hq / p.Hk);
  if (i >= p.Tq) return;
  const T* qi = q + row_at(p, b, i, p.Tq, p.Hq, h);
  double m = -INFINITY, l = 0.0, acc[MAX_LANE_ELEMENTS] = {};
  for (int j = 0; j < p.Tk; ++j) {
    if (!visible(p, seg, b, i, j)) continue;
    const double s = p.scale * dot(qi, k + row_at(p, b, j, p.Tk, p.Hk, kvh), p.D);
    if (s > m) {
      const double corr = exp(m - s);
      l *= corr;
      for (int e = 0; e < MAX_LANE_ELEMENTS; ++e) acc[e] *= corr;
      m = s;
    }
    const double w = exp(s - m);
    l += w;
    const T* vj = v + row_at(p, b, j, p.Tk, p.Hk, kvh);
    for (int e = 0, d = lane; d < p.D; ++e, d += 32) acc[e] += w * to_float(vj[d]);
  }
  for (int e = 0, d = lane; d < p.D; ++e, d += 32) {
    out_ref[static_cast<long long>(i) * p.D + d] = l > 0 ? acc[e] / l : 0;
  }
  if (lane == 0) lse_ref[i] = l > 0 ? m + log(l) : INFINITY;
}

/** delta_ref[i] = sum_j P_ij dP_ij and dq_ref[i][d] of query head h of batch b, given lse_ref of that head. */
template <typename T>
__global__ void ref_grad_q(Problem p, const T* q, const T* k, const T* v, const T* dout, const int* seg, int b, int h,
                           const double* lse_ref, double* delta_ref, double* dq_ref) {
  const int i = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x % 32, kvh = h / (p.Hq / p.Hk);
  if (i >= p.Tq) return;
  const T* qi = q + row_at(p, b, i, p.Tq, p.Hq, h);
  const T* oi = dout + row_at(p, b, i, p.Tq, p.Hq, h);
  double delta = 0.0, acc[MAX_LANE_ELEMENTS] = {};
  for (int pass = 0; pass < 2; ++pass) {
    for (int j = 0; j < p.Tk; ++j) {
      if (!visible(p, seg, b, i, j)) continue;
      const T* kj = k + row_at(p, b, j, p.Tk, p.Hk, kvh);
      const double prob = exp(p.scale * dot(qi, kj, p.D) - lse_ref[i]);
      const double dp = dot(oi, v + row_at(p, b, j, p.Tk, p.Hk, kvh), p.D);
      if (pass == 0) {
        delta += prob * dp;
      } else {
        const double ds = prob * (dp - delta) * p.scale;
        for (int e = 0, d = lane; d < p.D; ++e, d += 32) acc[e] += ds * to_float(kj[d]);
      }
    }
  }
  for (int e = 0, d = lane; d < p.D; ++e, d += 32) dq_ref[static_cast<long long>(i) * p.D + d] = acc[e];
  if (lane == 0) delta_ref[i] = delta;
}

/** dk_ref[j][d], dv_ref[j][d] of kv head kvh of batch b, given lse_ref and delta_ref [group][Tq] of its heads. */
template <typename T>
__global__ void ref_grad_kv(Problem p, const T* q, const T* k, const T* v, const T* dout, const int* seg, int b,
                            int kvh, const double* lse_ref, const double* delta_ref, double* dk_ref, double* dv_ref) {
  const int j = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x % 32, group = p.Hq / p.Hk;
  if (j >= p.Tk) return;
  const T* kj = k + row_at(p, b, j, p.Tk, p.Hk, kvh);
  const T* vj = v + row_at(p, b, j, p.Tk, p.Hk, kvh);
  double dk[MAX_LANE_ELEMENTS] = {}, dv[MAX_LANE_ELEMENTS] = {};
  for (int g = 0; g < group; ++g) {
    const int h = kvh * group + g;
    for (int i = 0; i < p.Tq; ++i) {
      if (!visible(p, seg, b, i, j)) continue;
      const T* qi = q + row_at(p, b, i, p.Tq, p.Hq, h);
      const T* oi = dout + row_at(p, b, i, p.Tq, p.Hq, h);
      const double prob = exp(p.scale * dot(qi, kj, p.D) - lse_ref[g * p.Tq + i]);
      const double ds = prob * (dot(oi, vj, p.D) - delta_ref[g * p.Tq + i]) * p.scale;
      for (int e = 0, d = lane; d < p.D; ++e, d += 32) {
        dv[e] += prob * to_float(oi[d]);
        dk[e] += ds * to_float(qi[d]);
      }
    }
  }
  for (int e = 0, d = lane; d < p.D; ++e, d += 32) {
    dk_ref[static_cast<long long>(j) * p.D + d] = dk[e];
    dv_ref[static_cast<long long>(j) * p.D + d] = dv[e];
  }
}

}  // namespace lab
