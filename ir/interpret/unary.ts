// Unary elementwise ops: each is one tight loop over the operand, computed in double precision and stored in the
// result's dtype (narrow floats are rounded once when the result is sealed). Integer neg/abs wrap like their storage.

import type { TensorData } from "../tensor.ts";
import { seal, stageOut, type Eval } from "./context.ts";

type Kernel = (o: TensorData, x: TensorData, n: number) => void;

function unary(kernel: Kernel): Eval {
  return ([x], ctx) => {
    const out = stageOut(ctx);
    kernel(out, x!.data, out.length);
    return [seal(ctx.out[0]!, out)];
  };
}

/** Logistic function, written so that neither branch overflows. */
function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** Evaluations of the unary elementwise ops. */
export const UNARY_EVALS = {
  neg: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = -x[i]!; }),
  abs: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]!); }),
  exp: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]!); }),
  log: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.log(x[i]!); }),
  sqrt: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]!); }),
  rsqrt: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = 1 / Math.sqrt(x[i]!); }),
  reciprocal: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = 1 / x[i]!; }),
  sigmoid: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = sigmoid(x[i]!); }),
  silu: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = x[i]! * sigmoid(x[i]!); }),
  tanh: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]!); }),
  sin: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]!); }),
  cos: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]!); }),
  not: unary((o, x, n) => { for (let i = 0; i < n; i++) o[i] = x[i] === 0 ? 1 : 0; }),
};
