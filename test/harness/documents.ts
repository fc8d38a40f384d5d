// Document tables for kernel tests, as the interpreter's ops make them (so a test never carries a second copy of
// their rules): document_ranges of segment ids, prefix_lm_ranges of those, and block_mask of ranges, each returned as
// plain i32 data.

import { GraphBuilder } from "../../ir/builder.ts";
import type { Attrs } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray } from "../../ir/tensor.ts";

/** The one result of `op` on i32 inputs of the given shapes, as i32 data. */
function evalOp(op: "document_ranges" | "prefix_lm_ranges" | "block_mask",
  inputs: readonly (readonly [readonly number[], ArrayLike<number>])[], attrs: Attrs = {}): Int32Array {
  const g = new GraphBuilder(op);
  const args = inputs.map(([shape], i) => g.input(`in${i}`, "i32", shape));
  g.output("out", g.op(op, args, attrs));
  const feeds = Object.fromEntries(inputs.map(([shape, data], i) => [`in${i}`, fromArray("i32", shape, data)]));
  return Int32Array.from(toArray(interpret(g.build(), feeds)["out"]!) as number[]);
}

/** document_ranges of never-decreasing segment ids [B, T]: [start, end) of each position, as pairs. */
export function documentRanges(ids: ArrayLike<number>, B: number, T: number): Int32Array {
  return evalOp("document_ranges", [[[B, T], ids]]);
}

/** prefix_lm_ranges of document ranges [B, T, 2] and running counts of trained positions [B, T]: four per position. */
export function prefixLmRanges(ranges: ArrayLike<number>, trained: ArrayLike<number>, B: number, T: number): Int32Array {
  return evalOp("prefix_lm_ranges", [[[B, T, 2], ranges], [[B, T], trained]]);
}

/** block_mask of document (width 2) or prefix-LM (width 4) ranges [B, T, width] under the causal and window rules. */
export function blockTable(ranges: ArrayLike<number>, B: number, T: number,
  rules: { readonly causal: boolean; readonly window: number }, width = 2): Int32Array {
  return evalOp("block_mask", [[[B, T, width], ranges]], rules);
}
