// prefix_lm_ranges: grid [64, 1, 1], block [256, 1, 1], 0 flops, 458752 bytes
// prefix_lm_ranges: prefix-LM ranges of each position of [4, 4096] document ranges and i32 trained counts
namespace prefix_lm_ranges_ef7a575cd87b_detail {



constexpr long long COUNT = 16384;
constexpr int T = 4096;

}  // namespace prefix_lm_ranges_ef7a575cd87b_detail

extern "C" __global__ void __launch_bounds__(256) prefix_lm_ranges_ef7a575cd87b(
    const int* __restrict__ in0,
    const int* __restrict__ in1,
    int* __restrict__ out0) {
  using namespace prefix_lm_ranges_ef7a575cd87b_detail;
  const int* const ranges = in0;
  const int* const trained = in1;
  int* const out = out0;
  const long long item = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (item >= COUNT) return;
  const long long base = item / T * T;
  const int t = static_cast<int>(item - base);
  const int s = ranges[2 * item], e = ranges[2 * item + 1];
  const long long before = s > 0 ? static_cast<long long>(trained[base + s - 1]) : 0;
  int lo = s, hi = e;  // the prefix's end, the first position whose count exceeds before, is in [lo, hi]
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (static_cast<long long>(trained[base + mid]) > before) hi = mid; else lo = mid + 1;
  }
  out[4 * item] = s;
  out[4 * item + 1] = trainc_max(t + 1, lo);
  out[4 * item + 2] = t < lo ? s : t;
  out[4 * item + 3] = e;
}
