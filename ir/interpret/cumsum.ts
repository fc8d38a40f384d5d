// Running sums (cumsum) along one axis, ONNX CumSum's meaning. The operand is viewed as [outer, n, inner] with the
// summed axis in the middle; each (outer, inner) line is summed in double precision in index order (from the end when
// `reverse`), and each output element is stored once in the result dtype: narrow floats round once per element,
// i32/i8/u8 wrap modulo 2^bits like their storage (exact, as the double sums of integers below 2^53 are exact).
// Meaning: out[i] = sum of x[j] over j <= i (j < i when `exclusive`); with `reverse`, over j >= i (j > i).

import { numel } from "../tensor.ts";
import { seal, stageOut, type Eval } from "./context.ts";
import { axisOf } from "./structural.ts";

const cumsum: Eval = ([x], ctx) => {
  const shape = x!.shape;
  const axis = axisOf(ctx, shape.length);
  const outer = numel(shape.slice(0, axis));
  const n = shape[axis]!;
  const inner = numel(shape.slice(axis + 1));
  const exclusive = ctx.attrs["exclusive"] as boolean;
  const reverse = ctx.attrs["reverse"] as boolean;
  const src = x!.data;
  const out = stageOut(ctx);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let s = 0; s < n; s++) {
      const at = (o * n + (reverse ? n - 1 - s : s)) * inner;
      if (exclusive) {
        for (let i = 0; i < inner; i++) {
          out[at + i] = acc[i]!;
          acc[i] += src[at + i]!;
        }
      } else {
        for (let i = 0; i < inner; i++) out[at + i] = acc[i] += src[at + i]!;
      }
    }
  }
  return [seal(ctx.out[0]!, out)];
};

/** Evaluation of cumsum. */
export const CUMSUM_EVALS = { cumsum };
