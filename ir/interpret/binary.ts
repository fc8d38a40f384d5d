// Broadcasting binary ops (arithmetic, comparisons, logic) and `where`. Each op is a row kernel: one tight loop over
// a row of the broadcast plan (ir/interpret/broadcast.ts), so broadcasting costs nothing per element.
// Meaning: arithmetic is computed in double precision and stored in the result dtype. Integer `div` truncates toward
// zero and fails on a zero divisor (6112); integer `pow` is the exact power (exact while below 2^53) and fails on a
// negative exponent (6113); i32/i8/u8 results wrap modulo 2^bits like their storage. maximum/minimum propagate NaN
// (as torch.maximum). Comparisons give bool (NaN compares unequal to everything); and/or read bool as 0/1.

import { isInt } from "../dtype.ts";
import type { Tensor, TensorData } from "../tensor.ts";
import { planRows } from "./broadcast.ts";
import { seal, stageOut, type Eval, type EvalContext } from "./context.ts";

/** Writes row elements o[oo + j] = f(a[oa + j*sa], b[ob + j*sb]) for j < n. */
type RowKernel = (o: TensorData, oo: number, a: TensorData, oa: number, sa: number,
  b: TensorData, ob: number, sb: number, n: number) => void;

/** Runs a row kernel over the broadcast of a and b into the node's first result. */
function runBinary(kernel: RowKernel, a: Tensor, b: Tensor, ctx: EvalContext): Tensor {
  const spec = ctx.out[0]!;
  const out = stageOut(ctx);
  const plan = planRows(spec.shape, [a.shape, b.shape]);
  const [offA, offB] = plan.rowOffsets as [Int32Array, Int32Array];
  const [sa, sb] = plan.innerStrides as [number, number];
  for (let r = 0; r < plan.rows; r++) kernel(out, r * plan.inner, a.data, offA[r]!, sa, b.data, offB[r]!, sb, plan.inner);
  return seal(spec, out);
}

function binary(kernel: RowKernel): Eval {
  return ([a, b], ctx) => [runBinary(kernel, a!, b!, ctx)];
}

const intDiv: RowKernel = (o, oo, a, oa, sa, b, ob, sb, n) => {
  for (let j = 0; j < n; j++) o[oo + j] = Math.trunc(a[oa + j * sa]! / b[ob + j * sb]!);
};
const floatDiv: RowKernel = (o, oo, a, oa, sa, b, ob, sb, n) => {
  for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! / b[ob + j * sb]!;
};
const power: RowKernel = (o, oo, a, oa, sa, b, ob, sb, n) => {
  for (let j = 0; j < n; j++) o[oo + j] = Math.pow(a[oa + j * sa]!, b[ob + j * sb]!);
};

const div: Eval = ([a, b], ctx) => {
  if (!isInt(a!.dtype)) return [runBinary(floatDiv, a!, b!, ctx)];
  if (b!.data.includes(0)) ctx.fail(6112, "integer division by zero", "make sure the divisor has no zero element");
  return [runBinary(intDiv, a!, b!, ctx)];
};

const pow: Eval = ([a, b], ctx) => {
  if (isInt(a!.dtype) && (b!.data as Float64Array).some((v) => v < 0)) {
    ctx.fail(6113, "integer power with a negative exponent", "cast the operands to a float dtype first");
  }
  return [runBinary(power, a!, b!, ctx)];
};

/** Evaluations of the binary elementwise ops, comparisons, logic and where. */
export const BINARY_EVALS = {
  add: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! + b[ob + j * sb]!;
  }),
  sub: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! - b[ob + j * sb]!;
  }),
  mul: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! * b[ob + j * sb]!;
  }),
  div,
  pow,
  maximum: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = Math.max(a[oa + j * sa]!, b[ob + j * sb]!);
  }),
  minimum: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = Math.min(a[oa + j * sa]!, b[ob + j * sb]!);
  }),
  eq: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa] === b[ob + j * sb] ? 1 : 0;
  }),
  ne: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa] !== b[ob + j * sb] ? 1 : 0;
  }),
  lt: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! < b[ob + j * sb]! ? 1 : 0;
  }),
  le: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! <= b[ob + j * sb]! ? 1 : 0;
  }),
  gt: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! > b[ob + j * sb]! ? 1 : 0;
  }),
  ge: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! >= b[ob + j * sb]! ? 1 : 0;
  }),
  and: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! & b[ob + j * sb]!;
  }),
  or: binary((o, oo, a, oa, sa, b, ob, sb, n) => {
    for (let j = 0; j < n; j++) o[oo + j] = a[oa + j * sa]! | b[ob + j * sb]!;
  }),
  where: (([c, a, b], ctx) => {
    const spec = ctx.out[0]!;
    const out = stageOut(ctx);
    const plan = planRows(spec.shape, [c!.shape, a!.shape, b!.shape]);
    const [offC, offA, offB] = plan.rowOffsets as [Int32Array, Int32Array, Int32Array];
    const [sc, sa, sb] = plan.innerStrides as [number, number, number];
    const cd = c!.data, ad = a!.data, bd = b!.data, n = plan.inner;
    for (let r = 0; r < plan.rows; r++) {
      const oo = r * n, oc = offC[r]!, oa = offA[r]!, ob = offB[r]!;
      for (let j = 0; j < n; j++) out[oo + j] = cd[oc + j * sc] !== 0 ? ad[oa + j * sa]! : bd[ob + j * sb]!;
    }
    return [seal(spec, out)];
  }) as Eval,
};
