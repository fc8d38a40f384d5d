// cumsum, gather and size against hand-computed values: cumsum in every exclusive/reverse combination, on the first,
// a middle and the last axis, with integer wrap-around and narrow floats rounded once per element; gather along
// several axes with vector, matrix and scalar indices, of packed and integer data, and its index errors; size of
// plain, polynomial, negative and concrete dims, rounded to its dtype, and its error for an unbound size.

import { describe, expect, it } from "vitest";
import { toArray } from "../../ir/tensor.ts";
import { expectTrainc, feed, run, runOp } from "./helpers.ts";

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("cumsum", () => {
  const x = feed("f64", [2, 3], [1, 2, 3, 4, 5, 6]);

  it("along the last axis, in every exclusive/reverse combination", () => {
    const along = (exclusive: boolean, reverse: boolean) =>
      toArray(runOp([x], "cumsum", { axis: 1, exclusive, reverse }));
    expect(along(false, false)).toEqual([1, 3, 6, 4, 9, 15]);
    expect(along(true, false)).toEqual([0, 1, 3, 0, 4, 9]);
    expect(along(false, true)).toEqual([6, 5, 3, 15, 11, 6]);
    expect(along(true, true)).toEqual([5, 3, 0, 11, 6, 0]);
  });

  it("along axis 0 (also as a negative axis) and along a middle axis", () => {
    expect(toArray(runOp([x], "cumsum", { axis: 0 }))).toEqual([1, 2, 3, 5, 7, 9]);
    expect(toArray(runOp([x], "cumsum", { axis: -2 }))).toEqual([1, 2, 3, 5, 7, 9]);
    const cube = feed("i64", [2, 2, 2], iota(8));
    expect(toArray(runOp([cube], "cumsum", { axis: 1 }))).toEqual([0, 1, 2, 4, 4, 5, 10, 12]);
  });

  it("over a symbolic length, and over an empty axis", () => {
    const t = feed("i64", [1, 4], [3, -1, 4, 1], [1, "T"]);
    expect(toArray(runOp([t], "cumsum", { axis: 1, reverse: true }))).toEqual([7, 4, 5, 1]);
    expect(runOp([feed("f32", [2, 0], [], [2, "T"])], "cumsum", { axis: 1 }).shape).toEqual([2, 0]);
  });

  it("integers wrap like their storage", () => {
    expect(toArray(runOp([feed("i32", [2], [2 ** 31 - 1, 1])], "cumsum", { axis: 0 }))).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(toArray(runOp([feed("u8", [3], [200, 100, 250])], "cumsum", { axis: 0 }))).toEqual([200, 44, 38]);
  });

  it("sums in double and rounds each bf16 element once", () => {
    const small = 2 ** -8;
    const out = runOp([feed("bf16", [3], [1, small, small])], "cumsum", { axis: 0 });
    expect(toArray(out)).toEqual([1, 1, 1 + 2 * small]);
  });
});

describe("gather", () => {
  it("rows along axis 0 by a vector of indices", () => {
    const out = runOp([feed("f32", [3, 4], iota(12)), feed("i64", [2], [2, 0])], "gather", { axis: 0 });
    expect(out.shape).toEqual([2, 4]);
    expect(toArray(out)).toEqual([8, 9, 10, 11, 0, 1, 2, 3]);
  });

  it("along the last axis by a matrix of indices (repeats allowed)", () => {
    const out = runOp([feed("f64", [2, 4], iota(8)), feed("i32", [2, 2], [3, 0, 1, 1])], "gather", { axis: 1 });
    expect(out.shape).toEqual([2, 2, 2]);
    expect(toArray(out)).toEqual([3, 0, 1, 1, 7, 4, 5, 5]);
  });

  it("a scalar index drops the axis; a one-element vector keeps it", () => {
    const data = feed("i64", [2, 3, 2], iota(12));
    const scalar = runOp([data, feed("i32", [], [2])], "gather", { axis: -2 });
    expect(scalar.shape).toEqual([2, 2]);
    expect(toArray(scalar)).toEqual([4, 5, 10, 11]);
    const kept = runOp([data, feed("i64", [1], [1])], "gather", { axis: 1 });
    expect(kept.shape).toEqual([2, 1, 2]);
    expect(toArray(kept)).toEqual([2, 3, 8, 9]);
  });

  it("moves packed nf4 codes and binds symbolic sizes", () => {
    const out = runOp([feed("nf4", [3, 2], [1, 2, 3, 4, 5, 6], ["N", 2]), feed("i64", [3], [2, 2, 0], ["K"])], "gather",
      { axis: 0 });
    expect(out.shape).toEqual([3, 2]);
    expect(toArray(out)).toEqual([5, 6, 5, 6, 1, 2]);
  });

  it("rejects indices outside [0, size), naming the position and value; negative ones are not wrapped", () => {
    const data = feed("f32", [3, 2], iota(6));
    expectTrainc(() => runOp([data, feed("i64", [2], [0, 3])], "gather", { axis: 0 }), 6121,
      /node 0 \(gather\): index 3 at position \[1\] is outside \[0, 3\) on axis 0/);
    expectTrainc(() => runOp([data, feed("i64", [2, 2], [0, 1, 1, -1])], "gather", { axis: 1 }), 6121,
      /index -1 at position \[1,1\] is outside \[0, 2\) on axis 1/);
  });
});

describe("size", () => {
  const bt = feed("f32", [2, 5], new Array(10).fill(0), ["B", "T"]);

  it("holds a symbolic size, a polynomial of sizes, or a number, in its dtype", () => {
    const [t, poly, fixed] = run([bt], (b) => [
      b.op("size", [], { dim: "T" }),
      b.op("size", [], { dim: "2*B*T-1", dtype: "f32" }),
      b.op("size", [], { dim: 16, dtype: "i32" }),
    ]);
    expect([t!.dtype, t!.shape, toArray(t!)]).toEqual(["i64", [], [5]]);
    expect([poly!.dtype, toArray(poly!)]).toEqual(["f32", [19]]);
    expect([fixed!.dtype, toArray(fixed!)]).toEqual(["i32", [16]]);
  });

  it("rounds to a narrow float dtype", () => {
    const [t] = run([feed("f32", [257], new Array(257).fill(0), ["T"])], (b) => b.op("size", [], { dim: "T", dtype: "bf16" }));
    expect(toArray(t!)).toEqual([256]);
  });

  it("may be negative, and fails for a size no input fixes", () => {
    const [neg] = run([bt], (b) => b.op("size", [], { dim: "T-6" }));
    expect(toArray(neg!)).toEqual([-1]);
    expectTrainc(() => run([bt], (b) => b.op("size", [], { dim: "S" })), 6107, /dimension 'S' has no value/);
  });
});
