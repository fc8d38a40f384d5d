// VJP rules of the elementwise ops: unary math, broadcasting binary arithmetic, where and cast.
// Invariants: binary rules compute cotangents in the broadcast shape and reduce them back to each operand's shape
// with sumToShape; every cotangent has its primal's dtype. Ties of maximum/minimum send the whole cotangent to b.

import type { GraphBuilder, Value } from "../builder.ts";
import { isFloat } from "../dtype.ts";
import { add, div, indicator, mul, neg, onlyDy, scalarLike, scale, sub, sumToShape } from "./helpers.ts";
import type { Vjp } from "./types.ts";

type UnaryRule = (b: GraphBuilder, x: Value, y: Value, dy: Value) => Value;
type BinaryRule = (b: GraphBuilder, a: Value, c: Value, y: Value, dy: Value) => readonly [Value, Value];

function unary(rule: UnaryRule): Vjp {
  return ({ b, args, results, dys }) => [rule(b, args[0]!, results[0]!, onlyDy(dys))];
}

/** Wraps a rule that returns cotangents in the broadcast shape; reduces each back to its operand's shape. */
function binary(rule: BinaryRule): Vjp {
  return ({ b, args: [a, c], results, dys }) => {
    const [da, dc] = rule(b, a!, c!, results[0]!, onlyDy(dys));
    return [sumToShape(b, da, a!.type.shape), sumToShape(b, dc, c!.type.shape)];
  };
}

/** 1 - v in v's dtype. */
function oneMinus(b: GraphBuilder, v: Value): Value {
  return sub(b, scalarLike(b, 1, v), v);
}

/** Splits dy by a mask: where mask the cotangent goes to the first result, elsewhere to the second. */
function route(b: GraphBuilder, mask: Value, dy: Value): readonly [Value, Value] {
  const zero = scalarLike(b, 0, dy);
  return [b.op("where", [mask, dy, zero]), b.op("where", [mask, zero, dy])];
}

// d/dx |x| = sign(x) (0 at 0, as torch).
const abs: UnaryRule = (b, x, _y, dy) => {
  const zero = scalarLike(b, 0, x);
  const sign = sub(b, indicator(b, b.op("gt", [x, zero]), x.type.dtype), indicator(b, b.op("lt", [x, zero]), x.type.dtype));
  return mul(b, dy, sign);
};

// d/da a^c = c a^(c-1); d/dc a^c = a^c log a, taken as 0 where a == 0 (torch's rule).
const pow: BinaryRule = (b, a, c, y, dy) => {
  const da = mul(b, dy, mul(b, c, b.op("pow", [a, sub(b, c, scalarLike(b, 1, c))])));
  const atZero = b.op("eq", [a, scalarLike(b, 0, a)]);
  const dc = b.op("where", [atZero, scalarLike(b, 0, dy), mul(b, dy, mul(b, y, b.op("log", [a])))]);
  return [da, dc];
};

const where: Vjp = ({ b, args: [cond, a, c], dys }) => {
  const [da, dc] = route(b, cond!, onlyDy(dys));
  return [undefined, sumToShape(b, da, a!.type.shape), sumToShape(b, dc, c!.type.shape)];
};

// Cast back to the operand's dtype; an integer or bool operand has no gradient.
const cast: Vjp = ({ b, args: [x], dys }) => {
  const dy = onlyDy(dys);
  if (!isFloat(x!.type.dtype)) return [undefined];
  return [b.castTo(dy, x!.type.dtype)];
};

/** VJP rules of the differentiable elementwise ops (ir/ops/elementwise.ts). */
export const ELEMENTWISE_VJPS = {
  neg: unary((b, _x, _y, dy) => neg(b, dy)),
  abs: unary(abs),
  exp: unary((b, _x, y, dy) => mul(b, dy, y)),
  log: unary((b, x, _y, dy) => div(b, dy, x)),
  sqrt: unary((b, _x, y, dy) => div(b, scale(b, dy, 0.5), y)),
  rsqrt: unary((b, _x, y, dy) => mul(b, dy, scale(b, mul(b, y, mul(b, y, y)), -0.5))),
  reciprocal: unary((b, _x, y, dy) => neg(b, mul(b, dy, mul(b, y, y)))),
  sigmoid: unary((b, _x, y, dy) => mul(b, dy, mul(b, y, oneMinus(b, y)))),
  silu: unary((b, x, _y, dy) => {
    const s = b.op("sigmoid", [x]);
    return mul(b, dy, mul(b, s, add(b, scalarLike(b, 1, x), mul(b, x, oneMinus(b, s)))));
  }),
  tanh: unary((b, _x, y, dy) => mul(b, dy, oneMinus(b, mul(b, y, y)))),
  sin: unary((b, x, _y, dy) => mul(b, dy, b.op("cos", [x]))),
  cos: unary((b, x, _y, dy) => neg(b, mul(b, dy, b.op("sin", [x])))),
  add: binary((_b, _a, _c, _y, dy) => [dy, dy]),
  sub: binary((b, _a, _c, _y, dy) => [dy, neg(b, dy)]),
  mul: binary((b, a, c, _y, dy) => [mul(b, dy, c), mul(b, dy, a)]),
  div: binary((b, _a, c, y, dy) => {
    const da = div(b, dy, c);
    return [da, neg(b, mul(b, da, y))];
  }),
  pow: binary(pow),
  maximum: binary((b, a, c, _y, dy) => route(b, b.op("gt", [a, c]), dy)),
  minimum: binary((b, a, c, _y, dy) => route(b, b.op("lt", [a, c]), dy)),
  where,
  cast,
} as const satisfies Record<string, Vjp>;
