// document_ranges: grid [64, 1, 1], block [256, 1, 1], 0 flops, 196608 bytes
// document_ranges: document range [start, end) of each position of [4, 4096] i32 segment ids
namespace document_ranges_7b748fb5f06c_detail {



constexpr long long COUNT = 16384;
constexpr int T = 4096;

}  // namespace document_ranges_7b748fb5f06c_detail

extern "C" __global__ void __launch_bounds__(256) document_ranges_7b748fb5f06c(
    const int* __restrict__ in0,
    int* __restrict__ out0) {
  using namespace document_ranges_7b748fb5f06c_detail;
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
