// block_mask: grid [32, 1, 1], block [256, 1, 1], 0 flops, 263168 bytes
// block_mask: visible blocks of 128 x 128 (query, key) pairs over [1, 16384] document ranges, causal, a warp per list
namespace block_mask_bc3639eb72a9_detail {



constexpr int T = 16384;
constexpr int W = 2;  // ranges per position; the first pair is the keys a query sees
constexpr int NB = 128;  // blocks of 128 positions
constexpr int LISTS = 256;

// 0: no visible pair in (query block qb, key block kb); 1: some; 2: every pair within T.
__device__ __forceinline__ int classify(const int* rg, int qb, int kb) {
  const int k0 = kb * 128, k1 = trainc_min(T, k0 + 128) - 1;
  bool any = false, all = true;
  for (int i = qb * 128; i < trainc_min(T, (qb + 1) * 128); ++i) {
    const int lo = rg[W * i];
    const int hi = trainc_min(i, rg[W * i + 1] - 1);
    any = any || trainc_max(lo, k0) <= trainc_min(hi, k1);
    all = all && lo <= k0 && hi >= k1;
  }
  return any ? (all ? 2 : 1) : 0;
}

}  // namespace block_mask_bc3639eb72a9_detail

extern "C" __global__ void __launch_bounds__(256) block_mask_bc3639eb72a9(
    const int* __restrict__ in0,
    int* __restrict__ out0) {
  using namespace block_mask_bc3639eb72a9_detail;
  const int* const ranges = in0;
  int* const blocks = out0;
  const int warp = static_cast<int>((blockIdx.x * 256 + threadIdx.x) / 32), lane = threadIdx.x % 32;
  if (warp >= LISTS) return;  // whole warps
  const int r = warp % NB, half = warp / NB % 2;
  const int* rg = ranges + static_cast<long long>(warp / (2 * NB)) * T * W;
  int* list = blocks + static_cast<long long>(warp) * (NB + 1);
  int count = 0;
  for (int o0 = 0; o0 < NB; o0 += 32) {
    const int o = o0 + lane;
    const int qb = half == 0 ? r : o, kb = half == 0 ? o : r;
    const int kind = o < NB ? classify(rg, qb, kb) : 0;
    const unsigned visible = __ballot_sync(0xffffffffu, kind != 0);
    if (kind != 0) list[1 + count + __popc(visible & ((1u << lane) - 1u))] = 2 * o + (kind == 2 ? 1 : 0);
    count += __popc(visible);
  }
  for (int e = count + 1 + lane; e <= NB; e += 32) list[e] = -1;
  if (lane == 0) list[0] = count;
}
