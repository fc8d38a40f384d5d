// Value-producing ops (constant, iota, size) and cast. size evaluates its dim (a number or a polynomial in symbolic
// sizes) with the bound sizes, 6107 when a name has no value; the value may be negative (1-T) and is stored as
// its dtype stores it.
// Meaning of cast: float -> float rounds to nearest even (once, from the exact source value); float -> int truncates
// toward zero, NaN and infinities give 0, and i32/i8/u8 wrap modulo 2^bits (i64 keeps the truncated value, exact
// below 2^53); int -> float is exact then rounded; anything -> bool is x != 0 (NaN is true); bool -> number is 0/1.
// Casting from or to nf4/int4 is an error (6116): those hold codes, and dequantize gives their values.
// iota writes the index along `axis` in the result dtype (rounded, so a bf16 iota of 257 holds 256).

import type { Dim } from "../dim.ts";
import { DTYPES } from "../dtype.ts";
import { fromArray, numel } from "../tensor.ts";
import { seal, stageOut, type Eval } from "./context.ts";

const constant: Eval = (_, ctx) => {
  const spec = ctx.out[0]!;
  const values = ctx.attrs["values"] as readonly number[] | undefined;
  const fill = ctx.attrs["value"] as number;
  return [fromArray(spec.dtype, spec.shape, values ?? new Array<number>(numel(spec.shape)).fill(fill))];
};

const iota: Eval = (_, ctx) => {
  const spec = ctx.out[0]!;
  const rank = spec.shape.length;
  const axis = ctx.int("axis") < 0 ? ctx.int("axis") + rank : ctx.int("axis");
  const outer = numel(spec.shape.slice(0, axis));
  const size = spec.shape[axis]!;
  const inner = numel(spec.shape.slice(axis + 1));
  const out = stageOut(ctx);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let m = 0; m < size; m++) for (let k = 0; k < inner; k++) out[i++] = m;
  }
  return [seal(spec, out)];
};

const size: Eval = (_, ctx) => [fromArray(ctx.out[0]!.dtype, [], [ctx.evaluate(ctx.attrs["dim"] as Dim)])];

const cast: Eval = ([x], ctx) => {
  const spec = ctx.out[0]!;
  if (DTYPES[x!.dtype].kind === "packed" || DTYPES[spec.dtype].kind === "packed") {
    ctx.fail(6116, `cannot cast ${x!.dtype} to ${spec.dtype}: 4-bit types hold codes, not values`,
      "use dequantize to get the values of nf4/int4 weights");
  }
  const src = x!.data;
  const out = stageOut(ctx);
  const n = out.length;
  if (spec.dtype === "bool") {
    for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
  } else if (spec.dtype === "i64") {
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      out[i] = Number.isFinite(v) ? Math.trunc(v) + 0 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = src[i]!;
  }
  return [seal(spec, out)];
};

/** Evaluations of constant, iota, size and cast. */
export const CREATE_EVALS = { constant, iota, size, cast };
