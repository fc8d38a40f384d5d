// Finite-difference cases for the elementwise ops: every unary op on inputs inside its domain (and away from kinks),
// every binary op with broadcasting on both sides, where with a broadcast condition, and cast.
import type { OpName } from "../../../ir/ops/index.ts";
import { f64, type FdCase } from "../fd.ts";

const POSITIVE = { range: [0.5, 2] } as const;

function unaryCase(op: OpName, options = {}): FdCase {
  return { name: op, ops: [op], inputs: [f64("x", [3, 4], options)], build: (b, x) => b.op(op, [x["x"]!]) };
}

function binaryCase(
  op: OpName, a: readonly number[], c: readonly number[], options: { a?: object; c?: object } = {},
): FdCase {
  return {
    name: `${op} [${a}] with [${c}]`, ops: [op],
    inputs: [f64("a", a, options.a), f64("c", c, options.c)],
    build: (b, x) => b.op(op, [x["a"]!, x["c"]!]),
  };
}

export const ELEMENTWISE_CASES: readonly FdCase[] = [
  unaryCase("neg"),
  unaryCase("abs", { range: [0.1, 1], signed: true }),
  unaryCase("exp"),
  unaryCase("log", POSITIVE),
  unaryCase("sqrt", POSITIVE),
  unaryCase("rsqrt", POSITIVE),
  unaryCase("reciprocal", { range: [0.5, 2], signed: true }),
  unaryCase("sigmoid", { range: [-3, 3] }),
  unaryCase("silu", { range: [-3, 3] }),
  unaryCase("tanh", { range: [-2, 2] }),
  unaryCase("sin", { range: [-3, 3] }),
  unaryCase("cos", { range: [-3, 3] }),
  binaryCase("add", [2, 3, 4], [3, 1]),
  binaryCase("add", [4], [2, 3, 4]),
  binaryCase("sub", [2, 1, 4], [3, 1]),
  binaryCase("mul", [2, 3, 4], [2, 1, 4]),
  binaryCase("mul", [], [3, 2]),
  binaryCase("div", [2, 3], [3], { c: { range: [0.5, 2], signed: true } }),
  binaryCase("div", [3, 1], [1, 4], { c: { range: [0.5, 2] } }),
  binaryCase("pow", [2, 3], [3], { a: POSITIVE, c: { range: [-1.5, 2.5] } }),
  binaryCase("maximum", [2, 3, 4], [4]),
  binaryCase("minimum", [3, 1], [1, 4]),
  {
    name: "where with a broadcast condition and operands", ops: ["where"],
    inputs: [
      { name: "cond", dtype: "bool", shape: [2, 1, 4], values: [1, 0, 0, 1, 0, 1, 1, 0] },
      f64("a", [3, 4]), f64("c", [2, 1, 1]),
    ],
    build: (b, x) => b.op("where", [x["cond"]!, x["a"]!, x["c"]!]),
  },
  {
    name: "cast f64 to f64", ops: ["cast"], inputs: [f64("x", [2, 3])],
    build: (b, x) => b.op("mul", [b.op("cast", [x["x"]!], { dtype: "f64" }), x["x"]!]),
  },
];
