// document_ranges (ir/interpret/model.ts): for segment ids that never decrease along a row, each position's document
// as [start, end), written as the pair out[2t], out[2t + 1]. A thread per position finds both ends by binary search
// over its row (log2 T reads, coalesced across the warp's neighbouring positions), so a long document costs no thread
// more than a short one and no scan is needed.
// Invariant: every element of the result is written. Ids that decrease give unspecified ranges (the interpreter fails
// with 6122); the compiler only builds document_ranges of segment_ids (passes/packing-masks.ts), which never decrease.

import { numel, writtenResult, type Anchor } from "./anchor.ts";
import { grid1d, makeKernel } from "./source.ts";

/** document_ranges(segment ids [B, T]) -> [B, T, 2]. */
export function renderDocumentRanges(a: Anchor) {
  const seg = a.args[0]!;
  const [rows, t] = seg.shape as [number, number];
  const count = numel(seg.shape);
  const body = `  const long long item = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
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
  ranges[2 * item + 1] = lo;`;
  return makeKernel({
    anchor: a,
    summary: `document range [start, end) of each position of [${rows}, ${t}] ${seg.dtype} segment ids`,
    detail: `constexpr long long COUNT = ${count};
constexpr int T = ${t};`,
    helpers: [],
    roles: [["seg", seg], ["ranges", writtenResult(a, 0)]],
    body,
    threads: 256,
    grid: grid1d(count, 256),
    flops: 0,
  });
}
