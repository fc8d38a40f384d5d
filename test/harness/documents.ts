// Document tables for kernel tests, as the interpreter's ops make them (so a test never carries a second copy of
// their rules): document_ranges of segment ids and block_mask of ranges, each returned as plain i32 data.

import { GraphBuilder } from "../../ir/builder.ts";
import type { Attrs } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray } from "../../ir/tensor.ts";

/** The one result of `op` on one i32 input of `shape`, as i32 data. */
function evalOp(op: "document_ranges" | "block_mask", shape: readonly number[], data: ArrayLike<number>,
  attrs: Attrs = {}): Int32Array {
  const g = new GraphBuilder(op);
  g.output("out", g.op(op, [g.input("in", "i32", shape)], attrs));
  return Int32Array.from(toArray(interpret(g.build(), { in: fromArray("i32", shape, data) })["out"]!) as number[]);
}

/** document_ranges of never-decreasing segment ids [B, T]: [start, end) of each position, as pairs. */
export function documentRanges(ids: ArrayLike<number>, B: number, T: number): Int32Array {
  return evalOp("document_ranges", [B, T], ids);
}

/** block_mask of document ranges [B, T, 2] under the causal and window rules. */
export function blockTable(ranges: ArrayLike<number>, B: number, T: number,
  rules: { readonly causal: boolean; readonly window: number }):
  Int32Array {
  return evalOp("block_mask", [B, T, 2], ranges, rules);
}
