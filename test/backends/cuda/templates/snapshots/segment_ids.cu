// segment_ids: grid [4, 1, 1], block [1024, 1, 1], 0 flops, 196608 bytes
// segment_ids: document index of each position of [4, 4096] i64 (a new document where pos != previous + 1)
namespace segment_ids_0be5c435c05a_detail {

// Prefix sums of one value per thread, in thread order over the block's THREADS threads: returns the inclusive
// sum and sets the exclusive sum and the block total. Every thread of the block must call it.
template <int THREADS, typename A> __device__ __forceinline__ A block_scan(A v, A& exclusive, A& total) {
  __shared__ A warp_totals[THREADS / 32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  A inclusive = v;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const A y = __shfl_up_sync(0xffffffffu, inclusive, o);
    if (lane >= o) inclusive += y;
  }
  A before_lane = __shfl_up_sync(0xffffffffu, inclusive, 1);
  if (lane == 0) before_lane = A(0);
  if (lane == 31) warp_totals[warp] = inclusive;
  __syncthreads();
  A before_warp = A(0);
  total = A(0);
#pragma unroll
  for (int w = 0; w < THREADS / 32; ++w) {
    if (w == warp) before_warp = total;
    total += warp_totals[w];
  }
  __syncthreads();
  exclusive = before_warp + before_lane;
  return before_warp + inclusive;
}

constexpr long long ROWS = 4;
constexpr int T = 4096;
constexpr int THREADS = 1024;

}  // namespace segment_ids_0be5c435c05a_detail

extern "C" __global__ void __launch_bounds__(1024) segment_ids_0be5c435c05a(
    const long long* __restrict__ in0,
    int* __restrict__ out0) {
  using namespace segment_ids_0be5c435c05a_detail;
  const long long* const pos = in0;
  int* const seg = out0;
  if (blockIdx.x >= ROWS) return;  // whole blocks
  const long long base = static_cast<long long>(blockIdx.x) * T;
  int carry = 0;
  for (int t0 = 0; t0 < T; t0 += THREADS) {
    const int t = t0 + threadIdx.x;
    const bool starts = t > 0 && t < T &&
        static_cast<long long>(pos[base + t]) != static_cast<long long>(pos[base + t - 1]) + 1;
    int exclusive, total;
    const int inclusive = block_scan<THREADS>(starts ? 1 : 0, exclusive, total);
    if (t < T) seg[base + t] = carry + inclusive;
    carry += total;
  }
}
