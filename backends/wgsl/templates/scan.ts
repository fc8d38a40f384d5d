// segment_ids on WebGPU (ir/interpret/model.ts): seg[b, 0] = 0 and seg[b, t] = seg[b, t-1] + 1 where a document
// starts (pos[b, t] != pos[b, t-1] + 1). A thread runs down each row of positions; rows are few (the micro-batch)
// and a row is a sequence, so the kernel is a small part of a step.
// Invariant: every element of the result is written.

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
