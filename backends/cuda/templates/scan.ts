// Running sums: cumsum along one axis (ONNX CumSum, as ir/interpret/cumsum.ts: exclusive and reverse variants;
// floats accumulate in float, or double for f64, and round once per stored element; integers accumulate in 64 bits
// and wrap to their width on store) and segment_ids (ir/interpret/model.ts: the running count of document starts,
// t > 0 with pos[t] != pos[t-1] + 1, along each row of positions).
// Layout: the operand is viewed as [outer, n, inner]. With the axis innermost each line is contiguous and one block
// scans it in tiles of one element per thread (block_scan, device.ts), carrying the tile total forward; loads and
// stores are coalesced. Otherwise one thread runs down each (outer, inner) line, coalesced across inner.

import { isFloat } from "../../../ir/dtype.ts";
import { numel, writtenResult, type Anchor } from "./anchor.ts";
import { axisLayout } from "./rows.ts";
import { grid1d, makeKernel, mathType } from "./source.ts";

/** Threads of a block that scans a line of n elements: the next power of two, from 32 to 1024. */
export function scanThreads(n: number): number {
  let threads = 32;
  while (threads < 1024 && threads < n) threads *= 2;
  return threads;
}

const TILED_CUMSUM = `  if (blockIdx.x >= LINES) return;  // whole blocks
  const long long base = static_cast<long long>(blockIdx.x) * N;
  A carry = A(0);
  for (int t0 = 0; t0 < N; t0 += THREADS) {
    const int s = t0 + threadIdx.x;  // position in scan order
    const long long at = base + (REVERSE ? N - 1 - s : s);
    const A v = s < N ? static_cast<A>(widen(x[at])) : A(0);
    A exclusive, total;
    const A inclusive = block_scan<THREADS>(v, exclusive, total);
    if (s < N) narrow(y[at], carry + (EXCLUSIVE ? exclusive : inclusive));
    carry += total;
  }`;

const LINE_CUMSUM = `  const long long line = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (line >= LINES) return;
  const long long base = (line / INNER) * N * INNER + line % INNER;
  A acc = A(0);
  for (int s = 0; s < N; ++s) {
    const long long at = base + (REVERSE ? N - 1 - s : s) * INNER;
    const A v = static_cast<A>(widen(x[at]));
    if (EXCLUSIVE) {
      narrow(y[at], acc);
      acc += v;
    } else {
      acc += v;
      narrow(y[at], acc);
    }
  }`;

/** cumsum along `axis`. */
export function renderCumsum(a: Anchor) {
  const x = a.args[0]!;
  const axis = a.node.attrs["axis"] as number;
  const [outer, n, inner] = axisLayout(x.shape, axis);
  const acc = isFloat(x.dtype) ? mathType(x.dtype) : "long long";
  const tiled = inner === 1;
  const threads = tiled ? scanThreads(n) : 256;
  const layout = tiled ? `constexpr int THREADS = ${threads};` : `constexpr long long INNER = ${inner};  // stride between a line's elements`;
  const detail = `using A = ${acc};  // accumulator
constexpr long long LINES = ${outer * inner};
constexpr int N = ${n};  // line length
${layout}
constexpr bool EXCLUSIVE = ${a.node.attrs["exclusive"] as boolean};
constexpr bool REVERSE = ${a.node.attrs["reverse"] as boolean};`;
  return makeKernel({
    anchor: a,
    summary: `running sum along axis ${axis} of [${x.shape.join(", ")}] ${x.dtype}`,
    detail,
    helpers: tiled ? ["convert", "block_scan"] : ["convert"],
    roles: [["x", x], ["y", writtenResult(a, 0)]],
    body: tiled ? TILED_CUMSUM : LINE_CUMSUM,
    threads,
    grid: tiled ? [Math.max(1, outer), 1, 1] : grid1d(outer * inner, 256),
    flops: isFloat(x.dtype) ? numel(x.shape) : 0,
  });
}

/** segment_ids of positions [B, T]. */
export function renderSegmentIds(a: Anchor) {
  const pos = a.args[0]!;
  const [rows, t] = pos.shape as [number, number];
  const threads = scanThreads(t);
  const body = `  if (blockIdx.x >= ROWS) return;  // whole blocks
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
  }`;
  return makeKernel({
    anchor: a,
    summary: `document index of each position of [${rows}, ${t}] ${pos.dtype} (a new document where pos != previous + 1)`,
    detail: `constexpr long long ROWS = ${rows};
constexpr int T = ${t};
constexpr int THREADS = ${threads};`,
    helpers: ["block_scan"],
    roles: [["pos", pos], ["seg", writtenResult(a, 0)]],
    body,
    threads,
    grid: [Math.max(1, rows), 1, 1],
    flops: 0,
  });
}
