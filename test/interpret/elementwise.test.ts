// Elementwise ops against hand-computed values: unary math, broadcasting binary arithmetic (every fast path and the
// general case), integer semantics, comparisons, logic, where, cast, constant, iota, and narrow-dtype rounding.

import { describe, expect, it } from "vitest";
import { toArray } from "../../ir/tensor.ts";
import { expectClose, expectTrainc, feed, run, runOp } from "./helpers.ts";

const xs = [-2, -0.5, 0, 0.5, 3];
const x = feed("f64", [5], xs);

describe("unary ops", () => {
  const cases: [Parameters<typeof runOp>[1], (v: number) => number][] = [
    ["neg", (v) => -v],
    ["abs", (v) => (v < 0 ? -v : v)],
    ["exp", (v) => Math.E ** v],
    ["tanh", (v) => (Math.E ** v - Math.E ** -v) / (Math.E ** v + Math.E ** -v)],
    ["sin", Math.sin],
    ["cos", Math.cos],
    ["sigmoid", (v) => 1 / (1 + Math.E ** -v)],
    ["silu", (v) => v / (1 + Math.E ** -v)],
  ];
  for (const [op, f] of cases) {
    it(`${op} matches its formula`, () => expectClose(runOp([x], op), xs.map(f), 1e-15));
  }

  it("log, sqrt, rsqrt, reciprocal on positive and edge values", () => {
    const p = feed("f64", [4], [0.25, 1, 4, 0]);
    expectClose(runOp([p], "log"), [-2 * Math.LN2, 0, 2 * Math.LN2, -Infinity]);
    expectClose(runOp([p], "sqrt"), [0.5, 1, 2, 0]);
    expectClose(runOp([p], "rsqrt"), [2, 1, 0.5, Infinity]);
    expectClose(runOp([p], "reciprocal"), [4, 1, 0.25, Infinity]);
    expectClose(runOp([feed("f64", [1], [-1])], "sqrt"), [NaN]);
  });

  it("sigmoid does not overflow at the extremes", () => {
    expectClose(runOp([feed("f64", [2], [-800, 800])], "sigmoid"), [0, 1]);
  });

  it("not, and integer neg/abs", () => {
    expect(toArray(runOp([feed("bool", [3], [1, 0, 1])], "not"))).toEqual([0, 1, 0]);
    expect(toArray(runOp([feed("i32", [3], [-3, 0, 7])], "abs"))).toEqual([3, 0, 7]);
    expect(toArray(runOp([feed("i8", [2], [-128, 5])], "neg"))).toEqual([-128, -5]);
  });

  it("rounds narrow-float results once, after computing in double", () => {
    const bf = runOp([feed("bf16", [1], [1])], "exp");
    expect(toArray(bf)).toEqual([2.71875]);
    const f16 = runOp([feed("f16", [1], [12])], "exp");
    expect(toArray(f16)).toEqual([Infinity]);
  });
});

describe("binary ops and broadcasting", () => {
  it("same shape", () => {
    const a = feed("f64", [2, 2], [1, 2, 3, 4]);
    const b = feed("f64", [2, 2], [10, 20, 30, 40]);
    expectClose(runOp([a, b], "add"), [11, 22, 33, 44]);
    expectClose(runOp([a, b], "sub"), [-9, -18, -27, -36]);
    expectClose(runOp([a, b], "mul"), [10, 40, 90, 160]);
    expectClose(runOp([a, b], "div"), [0.1, 0.1, 0.1, 0.1]);
  });

  it("scalar operand on either side", () => {
    const a = feed("f64", [2, 3], [1, 2, 3, 4, 5, 6]);
    const s = feed("f64", [], [2]);
    expectClose(runOp([a, s], "pow"), [1, 4, 9, 16, 25, 36]);
    expectClose(runOp([s, a], "sub"), [1, 0, -1, -2, -3, -4]);
  });

  it("trailing-axis broadcast [2,3] + [3] and column broadcast [2,3] * [2,1]", () => {
    const a = feed("f64", [2, 3], [1, 2, 3, 4, 5, 6]);
    expectClose(runOp([a, feed("f64", [3], [10, 20, 30])], "add"), [11, 22, 33, 14, 25, 36]);
    expectClose(runOp([a, feed("f64", [2, 1], [10, 100])], "mul"), [10, 20, 30, 400, 500, 600]);
  });

  it("general broadcast [2,1,3] with [1,2,1] (outer product shape)", () => {
    const a = feed("f64", [2, 1, 3], [1, 2, 3, 4, 5, 6]);
    const b = feed("f64", [1, 2, 1], [10, 20]);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) expected.push((i * 3 + k + 1) * (j + 1) * 10);
    const out = runOp([a, b], "mul");
    expect(out.shape).toEqual([2, 2, 3]);
    expectClose(out, expected);
  });

  it("broadcast with symbolic dims", () => {
    const a = feed("f32", [2, 3], [1, 2, 3, 4, 5, 6], ["B", "C"]);
    const b = feed("f32", [3], [1, 1, 1], ["C"]);
    expectClose(runOp([a, b], "sub"), [0, 1, 2, 3, 4, 5]);
  });

  it("maximum / minimum propagate NaN", () => {
    const a = feed("f64", [3], [1, NaN, -2]);
    const b = feed("f64", [3], [0, 5, -1]);
    expectClose(runOp([a, b], "maximum"), [1, NaN, -1]);
    expectClose(runOp([a, b], "minimum"), [0, NaN, -2]);
  });

  it("integer div truncates toward zero, wraps i32, and rejects a zero divisor", () => {
    const a = feed("i32", [4], [7, -7, 7, -7]);
    const b = feed("i32", [4], [2, 2, -2, -2]);
    expect(toArray(runOp([a, b], "div"))).toEqual([3, -3, -3, 3]);
    expect(toArray(runOp([feed("i64", [2], [-9, 9]), feed("i64", [1], [4])], "div"))).toEqual([-2, 2]);
    expect(toArray(runOp([feed("i32", [1], [2 ** 30]), feed("i32", [1], [4])], "mul"))).toEqual([0]);
    expectTrainc(() => runOp([a, feed("i32", [4], [1, 0, 1, 1])], "div"), 6112, /node 0 \(div\).*division by zero/);
  });

  it("integer pow is exact and rejects negative exponents", () => {
    expect(toArray(runOp([feed("i64", [3], [3, -2, 10]), feed("i64", [3], [4, 3, 15])], "pow"))).toEqual([81, -8, 1e15]);
    expectTrainc(() => runOp([feed("i32", [1], [2]), feed("i32", [1], [-1])], "pow"), 6113, /negative exponent/);
  });

  it("narrow dtypes round after the op: bf16 1 + 2^-8 is 1", () => {
    const a = feed("bf16", [2], [1, 256]);
    const b = feed("bf16", [2], [2 ** -8, 1]);
    expect(toArray(runOp([a, b], "add"))).toEqual([1, 256]);
    expect(toArray(runOp([feed("f16", [1], [60000]), feed("f16", [1], [2])], "mul"))).toEqual([Infinity]);
  });
});

describe("comparisons, logic and where", () => {
  const a = feed("f64", [4], [1, 2, NaN, 4]);
  const b = feed("f64", [4], [1, 3, NaN, 3]);
  const table: [Parameters<typeof runOp>[1], number[]][] = [
    ["eq", [1, 0, 0, 0]], ["ne", [0, 1, 1, 1]], ["lt", [0, 1, 0, 0]],
    ["le", [1, 1, 0, 0]], ["gt", [0, 0, 0, 1]], ["ge", [1, 0, 0, 1]],
  ];
  for (const [op, expected] of table) {
    it(`${op} gives bool`, () => {
      const out = runOp([a, b], op);
      expect(out.dtype).toBe("bool");
      expect(toArray(out)).toEqual(expected);
    });
  }

  it("and / or broadcast bools", () => {
    const p = feed("bool", [2, 2], [1, 1, 0, 0]);
    const q = feed("bool", [2], [1, 0]);
    expect(toArray(runOp([p, q], "and"))).toEqual([1, 0, 0, 0]);
    expect(toArray(runOp([p, q], "or"))).toEqual([1, 1, 1, 0]);
  });

  it("where broadcasts all three operands", () => {
    const c = feed("bool", [2, 1], [1, 0]);
    const t = feed("f32", [3], [1, 2, 3]);
    const f = feed("f32", [], [-1]);
    expect(toArray(runOp([c, t, f], "where"))).toEqual([1, 2, 3, -1, -1, -1]);
  });
});

describe("cast", () => {
  const cast = (dtype: string, f: ReturnType<typeof feed>) => runOp([f], "cast", { dtype });
  it("float to int truncates toward zero, NaN/inf give 0, narrow ints wrap", () => {
    const v = feed("f64", [6], [2.9, -2.9, NaN, Infinity, 300, -129]);
    expect(toArray(cast("i64", v))).toEqual([2, -2, 0, 0, 300, -129]);
    expect(toArray(cast("i32", v))).toEqual([2, -2, 0, 0, 300, -129]);
    expect(toArray(cast("i8", v))).toEqual([2, -2, 0, 0, 44, 127]);
    expect(toArray(cast("u8", v))).toEqual([2, 254, 0, 0, 44, 127]);
  });

  it("to bool is x != 0, bool to float is 0/1", () => {
    expect(toArray(cast("bool", feed("f32", [4], [0, -0.5, NaN, 3])))).toEqual([0, 1, 1, 1]);
    expect(toArray(cast("f32", feed("bool", [2], [1, 0])))).toEqual([1, 0]);
  });

  it("float to float rounds once to nearest even; int to float is exact then rounded", () => {
    expect(toArray(cast("bf16", feed("f64", [1], [1 + 2 ** -8 + 2 ** -40])))).toEqual([1 + 2 ** -7]);
    expect(toArray(cast("f32", feed("f64", [1], [0.1])))).toEqual([Math.fround(0.1)]);
    expect(toArray(cast("f16", feed("i64", [2], [2049, 70000])))).toEqual([2048, Infinity]);
    expect(toArray(cast("f64", feed("f16", [1], [0.1])))).toEqual([0.0999755859375]);
  });

  it("rejects packed types", () => {
    expectTrainc(() => cast("f32", feed("nf4", [2], [1, 2])), 6116, /cannot cast nf4 to f32/);
    expectTrainc(() => cast("int4", feed("f32", [2], [1, 2])), 6116, /cannot cast f32 to int4/);
  });
});

describe("constant and iota", () => {
  it("constant fills or lists values, rounded to the dtype, with symbolic shapes", () => {
    const [filled, listed] = run([feed("f32", [2, 3], new Array(6).fill(0), ["B", 3])], (b) => [
      b.op("constant", [], { dtype: "bf16", shape: ["B", 2], value: 1 + 2 ** -8 }),
      b.op("constant", [], { dtype: "i32", shape: [2, 2], values: [1, -2, 3.7, 4] }),
    ]);
    expect(filled!.shape).toEqual([2, 2]);
    expect(toArray(filled!)).toEqual([1, 1, 1, 1]);
    expect(toArray(listed!)).toEqual([1, -2, 3, 4]);
  });

  it("iota along a negative axis and along axis 0", () => {
    const [last, first] = run([], (b) => [
      b.op("iota", [], { dtype: "i64", shape: [2, 3], axis: -1 }),
      b.op("iota", [], { dtype: "f32", shape: [2, 3], axis: 0 }),
    ]);
    expect(toArray(last!)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(toArray(first!)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it("iota in bf16 rounds large indices", () => {
    const [t] = run([], (b) => b.op("iota", [], { dtype: "bf16", shape: [258], axis: 0 }));
    expect(toArray(t!).slice(255)).toEqual([255, 256, 256]);
  });
});
