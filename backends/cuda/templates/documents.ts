// The document tables attention reads. document_ranges (ir/interpret/model.ts): for segment ids that never decrease
// along a row, each position's document as [start, end), written as the pair out[2t], out[2t + 1]. A thread per
// position finds both ends by binary search over its row (log2 T reads, coalesced across the warp's neighbouring
// positions), so a long document costs no thread more than a short one and no scan is needed. Ids that decrease give
// unspecified ranges (the interpreter fails with 6122); the compiler only builds document_ranges of segment_ids
// (passes/packing-masks.ts), which never decrease.
// prefix_lm_ranges (ir/interpret/model.ts): a thread per position binary-searches its document [s, e) for the prefix's
// end p, the first position whose running count of trained positions exceeds the count before s (counts never
// decrease, so "exceeds" holds from p on), and writes [s, max(t + 1, p), t < p ? s : t, e). Counts that decrease give
// unspecified ranges (the interpreter fails with 6125).
// block_mask (ir/interpret/block-mask.ts): a warp per list (batch row, half, block): its lanes classify 32 candidate
// blocks at a time, each by walking the query block's rows (every row sees one interval of keys), and a ballot packs
// the visible ones into the list in ascending order. Built once per step; every flex attention kernel reads it.
// Invariant: every element of each result is written.

import { ATTENTION_BLOCK } from "../../../ir/ops/model.ts";
import { numel, writtenResult, type Anchor, type Slot } from "./anchor.ts";
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

/** prefix_lm_ranges(document ranges [B, T, 2], trained counts [B, T]) -> [B, T, 4]. */
export function renderPrefixLmRanges(a: Anchor) {
  const [ranges, trained] = a.args as [Slot, Slot];
  const [rows, t] = trained.shape as [number, number];
  const count = numel(trained.shape);
  const body = `  const long long item = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
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
  out[4 * item + 3] = e;`;
  return makeKernel({
    anchor: a,
    summary: `prefix-LM ranges of each position of [${rows}, ${t}] document ranges and ${trained.dtype} trained counts`,
    detail: `constexpr long long COUNT = ${count};
constexpr int T = ${t};`,
    helpers: [],
    roles: [["ranges", ranges], ["trained", trained], ["out", writtenResult(a, 0)]],
    body,
    threads: 256,
    grid: grid1d(count, 256),
    flops: 0,
  });
}

const BLOCK_MASK_BODY = `  const int warp = static_cast<int>((blockIdx.x * 256 + threadIdx.x) / 32), lane = threadIdx.x % 32;
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
  if (lane == 0) list[0] = count;`;

/** block_mask(document or prefix-LM ranges [B, T, 2 or 4]) -> [B, 2, nB, nB + 1]. */
export function renderBlockMask(a: Anchor) {
  const ranges = a.args[0]!;
  const [batch, t, width] = ranges.shape as [number, number, number];
  const n = Math.ceil(t / ATTENTION_BLOCK);
  const causal = a.node.attrs["causal"] as boolean;
  const window = a.node.attrs["window"] as number;
  const lists = batch * 2 * n;
  const detail = `constexpr int T = ${t};
constexpr int W = ${width};  // ranges per position; the first pair is the keys a query sees
constexpr int NB = ${n};  // blocks of ${ATTENTION_BLOCK} positions
constexpr int LISTS = ${lists};

// 0: no visible pair in (query block qb, key block kb); 1: some; 2: every pair within T.
__device__ __forceinline__ int classify(const int* rg, int qb, int kb) {
  const int k0 = kb * ${ATTENTION_BLOCK}, k1 = trainc_min(T, k0 + ${ATTENTION_BLOCK}) - 1;
  bool any = false, all = true;
  for (int i = qb * ${ATTENTION_BLOCK}; i < trainc_min(T, (qb + 1) * ${ATTENTION_BLOCK}); ++i) {
    const int lo = ${window > 0 ? `trainc_max(rg[W * i], i - ${window - 1})` : "rg[W * i]"};
    const int hi = ${causal ? "trainc_min(i, rg[W * i + 1] - 1)" : "rg[W * i + 1] - 1"};
    any = any || trainc_max(lo, k0) <= trainc_min(hi, k1);
    all = all && lo <= k0 && hi >= k1;
  }
  return any ? (all ? 2 : 1) : 0;
}`;
  return makeKernel({
    anchor: a,
    summary: `visible blocks of ${ATTENTION_BLOCK} x ${ATTENTION_BLOCK} (query, key) pairs over [${batch}, ${t}] ` +
      `${width === 4 ? "prefix-LM" : "document"} ranges` +
      `${causal ? ", causal" : ""}${window > 0 ? `, window ${window}` : ""}, a warp per list`,
    detail,
    helpers: [],
    roles: [["ranges", ranges], ["blocks", writtenResult(a, 0)]],
    body: BLOCK_MASK_BODY,
    threads: 256,
    grid: grid1d(lists * 32, 256),
    flops: 0,
  });
}
