// Running sums and documents on WebGPU. cumsum (ir/interpret/cumsum.ts): a thread runs down each line along the axis
// (the compiler's use is short: prefix-LM's running count of trained positions per row), floats accumulating in f32
// and rounding once per stored element, integers in i32. Documents (ir/interpret/model.ts): segment_ids: seg[b, 0] = 0 and seg[b, t] = seg[b, t-1] + 1 where a
// document starts (pos[b, t] != pos[b, t-1] + 1); a thread runs down each row of positions (rows are few, the
// micro-batch, so the kernel is a small part of a step). document_ranges: a thread per position binary-searches its
// row of never-decreasing ids for the first and one past the last position holding its id (as the CUDA template,
// backends/cuda/templates/documents.ts; ids that decrease give unspecified ranges). prefix_lm_ranges: a thread per
// position binary-searches its document for the end of its prefix, as the CUDA template does.
// Invariant: every element of each result is written.

import { isFloat } from "../../../ir/dtype.ts";
import { numel, writtenResult, type Anchor, type Slot } from "../../cuda/templates/anchor.ts";
import { axisLayout } from "../../cuda/templates/rows.ts";
import { storage } from "../language.ts";
import type { KernelSource } from "../../kernel.ts";
import { gridFor, makeWgslKernel, paramBytes } from "./source.ts";

/** cumsum along `axis`. */
export function renderWgslCumsum(a: Anchor): KernelSource {
  const x = a.args[0]!;
  const y = writtenResult(a, 0);
  const axis = a.node.attrs["axis"] as number;
  const [outer, n, inner] = axisLayout(x.shape as number[], axis);
  const lines = outer * inner;
  const float = isFloat(x.dtype);
  const [exclusive, reverse] = [a.node.attrs["exclusive"] as boolean, a.node.attrs["reverse"] as boolean];
  const store = `y[at] = ${float ? `${storage(y.dtype)}(acc)` : "acc"};`;
  return makeWgslKernel({
    anchor: a, kind: "cumsum", roles: [["x", x], ["y", y]],
    summary: `running sum along axis ${axis} of [${x.shape.join(", ")}] ${x.dtype}, a thread per line`,
    body: `  for (var line: i32 = i32(gid.x); line < ${lines}; line += i32(groups.x) * 256) {
    let base = (line / ${inner}) * ${n * inner} + line % ${inner};
    var acc = ${float ? "0.0" : "0"};
    for (var s: i32 = 0; s < ${n}; s++) {
      let at = base + ${reverse ? `(${n - 1} - s)` : "s"} * ${inner};
      ${exclusive ? `${store}
      acc += ${float ? "f32(x[at])" : "x[at]"};` : `acc += ${float ? "f32(x[at])" : "x[at]"};
      ${store}`}
    }
  }`,
    grid: gridFor(lines), flops: float ? numel(x.shape) : 0, bytes: paramBytes([x, y]),
  });
}

/** segment_ids(positions [B, T]) -> [B, T]. */
export function renderWgslSegmentIds(a: Anchor): KernelSource {
  const pos = a.args[0]!;
  const seg = writtenResult(a, 0);
  const [rows, length] = pos.shape as [number, number];
  return makeWgslKernel({
    anchor: a, kind: "segment_ids", roles: [["pos", pos], ["seg", seg]],
    summary: `document ids of ${rows} rows of ${length} positions, a thread per row`,
    body: `  for (var b: i32 = i32(gid.x); b < ${rows}; b += i32(groups.x) * 256) {
    var count = 0;
    var previous = 0;
    for (var t: i32 = 0; t < ${length}; t++) {
      let p = i32(pos[b * ${length} + t]);
      if (t > 0 && p != previous + 1) { count++; }
      seg[b * ${length} + t] = count;
      previous = p;
    }
  }`,
    grid: gridFor(rows), flops: 0, bytes: paramBytes([pos, seg]),
  });
}

/** document_ranges(segment ids [B, T]) -> [B, T, 2]. */
export function renderWgslDocumentRanges(a: Anchor): KernelSource {
  const seg = a.args[0]!;
  const ranges = writtenResult(a, 0);
  const [rows, length] = seg.shape as [number, number];
  const count = rows * length;
  return makeWgslKernel({
    anchor: a, kind: "document_ranges", roles: [["seg", seg], ["ranges", ranges]],
    summary: `document range [start, end) of each of ${rows} rows of ${length} positions, a thread per position`,
    body: `  for (var item: i32 = i32(gid.x); item < ${count}; item += i32(groups.x) * 256) {
    let base = item / ${length} * ${length};
    let t = item - base;
    let id = seg[item];
    var lo = 0;
    var hi = t;
    while (lo < hi) {
      let mid = (lo + hi) / 2;
      if (seg[base + mid] < id) { lo = mid + 1; } else { hi = mid; }
    }
    ranges[2 * item] = lo;
    lo = t + 1;
    hi = ${length};
    while (lo < hi) {
      let mid = (lo + hi) / 2;
      if (seg[base + mid] <= id) { lo = mid + 1; } else { hi = mid; }
    }
    ranges[2 * item + 1] = lo;
  }`,
    grid: gridFor(count), flops: 0, bytes: paramBytes([seg, ranges]),
  });
}

/** prefix_lm_ranges(document ranges [B, T, 2], trained counts [B, T]) -> [B, T, 4]. */
export function renderWgslPrefixLmRanges(a: Anchor): KernelSource {
  const [ranges, trained] = a.args as [Slot, Slot];
  const out = writtenResult(a, 0);
  const [rows, length] = trained.shape as [number, number];
  const count = rows * length;
  return makeWgslKernel({
    anchor: a, kind: "prefix_lm_ranges", roles: [["ranges", ranges], ["trained", trained], ["out", out]],
    summary: `prefix-LM ranges of each of ${rows} rows of ${length} positions, a thread per position`,
    body: `  for (var item: i32 = i32(gid.x); item < ${count}; item += i32(groups.x) * 256) {
    let base = item / ${length} * ${length};
    let t = item - base;
    let s = ranges[2 * item];
    let e = ranges[2 * item + 1];
    var before = 0;
    if (s > 0) { before = i32(trained[base + s - 1]); }
    var lo = s;
    var hi = e;
    while (lo < hi) {
      let mid = (lo + hi) / 2;
      if (i32(trained[base + mid]) > before) { hi = mid; } else { lo = mid + 1; }
    }
    out[4 * item] = s;
    out[4 * item + 1] = max(t + 1, lo);
    out[4 * item + 2] = select(t, s, t < lo);
    out[4 * item + 3] = e;
  }`,
    grid: gridFor(count), flops: 0, bytes: paramBytes([ranges, trained, out]),
  });
}
