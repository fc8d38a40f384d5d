// Shared pieces of the op handlers: the handler type, elementwise constant folding over known tensors (numbers
// computed in double precision and stored as the dtype stores them, symbolic sizes through Dim arithmetic), casts
// of known tensors, and axis normalization with ONNX's error messages.
// Invariant: folding gives the value the interpreter would compute for the same op on the same data.

import type { Dim } from "../../../../ir/dim.ts";
import { isInt, type DType } from "../../../../ir/dtype.ts";
import { roundTo } from "../../../../ir/tensor.ts";
import type { NodeContext, OnnxValue } from "../context.ts";
import { E_MALFORMED, E_UNRESOLVED_SHAPE } from "../errors.ts";
import { compareDims, known, mapBroadcast, type Known } from "../known.ts";

/** Maps one ONNX node to IR: returns its outputs in order (known at import time, or runtime IR values). */
export type Handler = (ctx: NodeContext) => OnnxValue[];

/** An elementwise rule: `num` on concrete numbers; `dim` on integer elements where one is symbolic. */
export interface ElementRule {
  readonly num: (...xs: number[]) => number;
  readonly dim?: (...xs: Dim[]) => Dim | undefined;
}

/** Folds an elementwise op over known operands (NumPy broadcasting) into a known tensor of `dtype`. */
export function foldElementwise(ctx: NodeContext, args: readonly Known[], dtype: DType, rule: ElementRule): Known {
  const fn = (xs: Dim[]): Dim => {
    if (xs.every((x) => typeof x === "number")) return roundTo(dtype, rule.num(...(xs as number[])));
    const out = rule.dim?.(...xs);
    return out ?? ctx.fail(E_UNRESOLVED_SHAPE, `cannot decide ${ctx.node.opType} of [${xs.join(", ")}] at import time`,
      "the result depends on symbolic sizes; export with static shapes for this computation");
  };
  return mapBroadcast(args, dtype, fn) ?? ctx.fail(E_MALFORMED,
    `operand shapes ${args.map((a) => `[${a.shape.join(",")}]`).join(" and ")} do not broadcast`,
    "the model file is invalid; re-export it");
}

/** A comparison rule: `test` on the sign of a - b. Symbolic operands compare through compareDims. */
export function comparison(test: (sign: number) => boolean): ElementRule {
  return {
    num: (a, b) => (test(Math.sign(a! - b!)) ? 1 : 0),
    dim: (a, b) => {
      const sign = compareDims(a!, b!);
      return sign === undefined ? undefined : test(sign) ? 1 : 0;
    },
  };
}

/** Casts a known tensor: int -> int keeps Dims; to float or bool needs numbers (bool of a size is true). */
export function castKnown(ctx: NodeContext, k: Known, dtype: DType): Known {
  if (k.dtype === dtype) return k;
  const data = k.data.map((x): Dim => {
    if (typeof x === "number") return roundTo(dtype, x);
    if (isInt(dtype)) return x;
    if (dtype === "bool" && compareDims(x, 0) === 1) return 1;
    return ctx.fail(E_UNRESOLVED_SHAPE, `cannot cast the symbolic size ${x} to ${dtype} at import time`,
      "trainc keeps symbolic sizes as integers; export with static shapes for this computation");
  });
  return known(dtype, k.shape, data);
}

/** Resolves an ONNX axis (negative counts from the end) against `rank`. */
export function axisOf(ctx: NodeContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    ctx.fail(E_MALFORMED, `axis ${axis} is out of range for rank ${rank}`, "the model file is invalid; re-export it");
  }
  return a;
}
