// ===== matmul_6db44d6957b7241b
// C = op(A) · op(B): 1 x [16, 32] x [32, 32], bf16 in, bf16 out, f32 accumulation; 64 x 64 tiles, no tensor cores
extern "C" __global__ void __launch_bounds__(256) matmul_6db44d6957b7241b(const __nv_bfloat16* __restrict__ a, const __nv_bfloat16* __restrict__ bm, __nv_bfloat16* __restrict__ c) {
  __shared__ float tile_a[16][64];
  __shared__ float tile_b[16][64];
  const long long b = blockIdx.z;
  const int m0 = blockIdx.y * 64, n0 = blockIdx.x * 64;
  const int t = threadIdx.y * 16 + threadIdx.x;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < 32; k0 += 16) {
    for (int e = t; e < 1024; e += 256) {
      const int m = m0 + e / 16, k = k0 + e % 16;
      tile_a[e % 16][e / 16] = m < 16 && k < 32 ? __bfloat162float(a[b * 512LL + m * 32LL + k]) : 0.0f;
      const int kb = k0 + e / 64, n = n0 + e % 64;
      tile_b[e / 64][e % 64] = kb < 32 && n < 32 ? __bfloat162float(bm[b * 1024LL + n * 32LL + kb]) : 0.0f;
    }
    __syncthreads();
    for (int kk = 0; kk < 16; ++kk) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float x = tile_a[kk][threadIdx.y * 4 + i];
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(x, tile_b[kk][threadIdx.x * 4 + j], acc[i][j]);
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + threadIdx.y * 4 + i;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + threadIdx.x * 4 + j;
      if (m < 16 && n < 32) c[b * 512LL + m * 32LL + n] = __float2bfloat16_rn(acc[i][j]);
    }
  }
}

// ===== document_ranges_4aba8f849190
// document_ranges: document range [start, end) of each position of [2, 9] i32 segment ids
namespace document_ranges_4aba8f849190_detail {



constexpr long long COUNT = 18;
constexpr int T = 9;

}  // namespace document_ranges_4aba8f849190_detail

extern "C" __global__ void __launch_bounds__(256) document_ranges_4aba8f849190(
    const int* __restrict__ in0,
    int* __restrict__ out0) {
  using namespace document_ranges_4aba8f849190_detail;
  const int* const seg = in0;
  int* const ranges = out0;
  const long long item = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (item >= COUNT) return;
  const long long base = item / T * T;
  const int t = static_cast<int>(item - base);
  const auto id = seg[item];
  int lo = 0, hi = t;  // the first position holding id is in [lo, hi]
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (seg[base + mid] < id) lo = mid + 1; else hi = mid;
  }
  ranges[2 * item] = lo;
  lo = t + 1;
  hi = T;  // one past the last position holding id is in [lo, hi]
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (seg[base + mid] <= id) lo = mid + 1; else hi = mid;
  }
  ranges[2 * item + 1] = lo;
}


// ===== attention_e790ad5b5fe508bd
// attention [2, 9, 4, 8], 2 kv heads, a thread per query
extern "C" __global__ void __launch_bounds__(256) attention_e790ad5b5fe508bd(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, const int* __restrict__ rg, float* __restrict__ out, float* __restrict__ lse) {
  constexpr int D = 8, TQ = 9, TK = 9, HQ = 4, HK = 2, GROUP = 2;
  constexpr float SCALE = 3.5355339059327373e-1f;
  for (long long item = blockIdx.x * (long long)blockDim.x + threadIdx.x; item < 72LL; item += (long long)gridDim.x * blockDim.x) {
    const int i = item % TQ, h = item / TQ % HQ, kvh = h / GROUP;
    const long long b = item / ((long long)TQ * HQ);
    const int lo = trainc_max(0, rg[2 * (b * TQ + i)]);
    const int hi = trainc_min(trainc_min(i, TK - 1), rg[2 * (b * TQ + i) + 1] - 1);
    float acc[D] = {};
    float m = -CUDART_INF_F, l = 0.0f;
    for (int j = lo; j <= hi; ++j) {
      float s = 0.0f;
      for (int d = 0; d < D; ++d) s += q[((b * TQ + i) * HQ + h) * (long long)D + d] * k[((b * TK + j) * HK + kvh) * (long long)D + d];
      s *= SCALE;
      const float top = fmaxf(m, s), correction = expf(m - top), p = expf(s - top);
      l = l * correction + p;
      const long long vo = ((b * TK + j) * HK + kvh) * (long long)D;
      for (int d = 0; d < D; ++d) acc[d] = acc[d] * correction + p * v[vo + d];
      m = top;
    }
    const long long oo = ((b * TQ + i) * HQ + h) * (long long)D;
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int d = 0; d < D; ++d) out[oo + d] = acc[d] * inv;
    lse[(b * HQ + h) * TQ + i] = l > 0.0f ? m + logf(l) : CUDART_INF_F;
  }
}

// ===== attention_grad_stats_a786aaf676c1a70c
// attention gradient: each row's lse and delta = sum_j p_j (dout . v_j)
extern "C" __global__ void __launch_bounds__(256) attention_grad_stats_a786aaf676c1a70c(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ dout, const int* __restrict__ rg, const float* __restrict__ lse, float* __restrict__ stats) {
  constexpr int D = 8, TQ = 9, TK = 9, HQ = 4, HK = 2, GROUP = 2;
  constexpr float SCALE = 3.5355339059327373e-1f;
  for (long long item = blockIdx.x * (long long)blockDim.x + threadIdx.x; item < 72LL; item += (long long)gridDim.x * blockDim.x) {
    const int i = item % TQ, h = item / TQ % HQ, kvh = h / GROUP;
    const long long b = item / ((long long)TQ * HQ);
    const long long oo = ((b * TQ + i) * HQ + h) * (long long)D;
    const float row_lse = lse[item];
    const int lo = trainc_max(0, rg[2 * (b * TQ + i)]);
    const int hi = trainc_min(trainc_min(i, TK - 1), rg[2 * (b * TQ + i) + 1] - 1);
    float delta = 0.0f;
    for (int j = lo; j <= hi; ++j) {
      float s = 0.0f;
      for (int d = 0; d < D; ++d) s += q[((b * TQ + i) * HQ + h) * (long long)D + d] * k[((b * TK + j) * HK + kvh) * (long long)D + d];
      s *= SCALE;
      const long long ko = ((b * TK + j) * HK + kvh) * (long long)D;
      float dp = 0.0f;
      for (int d = 0; d < D; ++d) dp += dout[oo + d] * v[ko + d];
      delta += expf(s - row_lse) * dp;
    }
    stats[2 * item] = row_lse;
    stats[2 * item + 1] = delta;
  }
}

// ===== attention_grad_dq_46cf556facec98d9
// attention gradient: dq, a thread per query
extern "C" __global__ void __launch_bounds__(256) attention_grad_dq_46cf556facec98d9(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ dout, const int* __restrict__ rg, const float* __restrict__ stats, float* __restrict__ dq) {
  constexpr int D = 8, TQ = 9, TK = 9, HQ = 4, HK = 2, GROUP = 2;
  constexpr float SCALE = 3.5355339059327373e-1f;
  for (long long item = blockIdx.x * (long long)blockDim.x + threadIdx.x; item < 72LL; item += (long long)gridDim.x * blockDim.x) {
    const int i = item % TQ, h = item / TQ % HQ, kvh = h / GROUP;
    const long long b = item / ((long long)TQ * HQ);
    const long long oo = ((b * TQ + i) * HQ + h) * (long long)D, row = (b * HQ + h) * TQ + i;
    const float row_lse = stats[2 * row], delta = stats[2 * row + 1];
    const int lo = trainc_max(0, rg[2 * (b * TQ + i)]);
    const int hi = trainc_min(trainc_min(i, TK - 1), rg[2 * (b * TQ + i) + 1] - 1);
    float acc[D] = {};
    for (int j = lo; j <= hi; ++j) {
      float s = 0.0f;
      for (int d = 0; d < D; ++d) s += q[((b * TQ + i) * HQ + h) * (long long)D + d] * k[((b * TK + j) * HK + kvh) * (long long)D + d];
      s *= SCALE;
      const float p = expf(s - row_lse);
      const long long ko = ((b * TK + j) * HK + kvh) * (long long)D;
      float dp = 0.0f;
      for (int d = 0; d < D; ++d) dp += dout[oo + d] * v[ko + d];
      const float ds = p * (dp - delta) * SCALE;
      for (int d = 0; d < D; ++d) acc[d] += ds * k[ko + d];
    }
    for (int d = 0; d < D; ++d) dq[oo + d] = acc[d];
  }
}

// ===== attention_grad_dkv_4f04ce9271fbcbfb
// attention gradient: dk and dv, a thread per key and kv head
extern "C" __global__ void __launch_bounds__(256) attention_grad_dkv_4f04ce9271fbcbfb(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ dout, const int* __restrict__ rg, const float* __restrict__ stats, float* __restrict__ dk, float* __restrict__ dv) {
  constexpr int D = 8, TQ = 9, TK = 9, HQ = 4, HK = 2, GROUP = 2;
  constexpr float SCALE = 3.5355339059327373e-1f;
  for (long long item = blockIdx.x * (long long)blockDim.x + threadIdx.x; item < 36LL; item += (long long)gridDim.x * blockDim.x) {
    const int j = item % TK, kvh = item / TK % HK;
    const long long b = item / ((long long)TK * HK);
    const long long ko = ((b * TK + j) * HK + kvh) * (long long)D;
    const int first = trainc_max(j, rg[2 * (b * TK + j)]);
    const int last = trainc_min(TQ - 1, rg[2 * (b * TK + j) + 1] - 1);
    float dk_acc[D] = {}, dv_acc[D] = {};
    for (int h = kvh * GROUP; h < (kvh + 1) * GROUP; ++h) {
      for (int i = first; i <= last; ++i) {
        float s = 0.0f;
        for (int d = 0; d < D; ++d) s += q[((b * TQ + i) * HQ + h) * (long long)D + d] * k[((b * TK + j) * HK + kvh) * (long long)D + d];
        s *= SCALE;
        const long long row = (b * HQ + h) * TQ + i, qo = ((b * TQ + i) * HQ + h) * (long long)D;
        const float p = expf(s - stats[2 * row]);
        float dp = 0.0f;
        for (int d = 0; d < D; ++d) {
          const float g = dout[qo + d];
          dp += g * v[ko + d];
          dv_acc[d] += p * g;
        }
        const float ds = p * (dp - stats[2 * row + 1]) * SCALE;
        for (int d = 0; d < D; ++d) dk_acc[d] += ds * q[qo + d];
      }
    }
    for (int d = 0; d < D; ++d) {
      dk[ko + d] = dk_acc[d];
      dv[ko + d] = dv_acc[d];
    }
  }
}
