// Documents on WebGPU (ir/interpret/model.ts). segment_ids: seg[b, 0] = 0 and seg[b, t] = seg[b, t-1] + 1 where a
// document starts (pos[b, t] != pos[b, t-1] + 1); a thread runs down each row of positions (rows are few, the
// micro-batch, so the kernel is a small part of a step). document_ranges: a thread per position binary-searches its
// row of never-decreasing ids for the first and one past the last position holding its id (as the CUDA template,
// backends/cuda/templates/documents.ts; ids that decrease give unspecified ranges).
// Invariant: every element of each result is written.

import { writtenResult, type Anchor } from "../../cuda/templates/anchor.ts";
import type { KernelSource } from "../../kernel.ts";
import { gridFor, makeWgslKernel, paramBytes } from "./source.ts";

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
