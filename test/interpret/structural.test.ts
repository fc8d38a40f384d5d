// Data movement against hand-written expectations: reshape, transpose (3-D perms), slice (steps, negative axes,
// symbolic bounds, runtime bound errors), concat of three, broadcast, and moves of packed 4-bit tensors.

import { describe, expect, it } from "vitest";
import { toArray } from "../../ir/tensor.ts";
import { expectTrainc, feed, run, runOp } from "./helpers.ts";

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("reshape and transpose", () => {
  it("reshape keeps row-major order and binds symbolic shapes", () => {
    const out = runOp([feed("f32", [2, 3], iota(6), ["B", 3])], "reshape", { shape: [3, "B"] });
    expect(out.shape).toEqual([3, 2]);
    expect(toArray(out)).toEqual(iota(6));
  });

  it("transpose [2,3,4] with perm [2,0,1]", () => {
    const out = runOp([feed("i32", [2, 3, 4], iota(24))], "transpose", { perm: [2, 0, 1] });
    expect(out.shape).toEqual([4, 2, 3]);
    const expected: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(i * 12 + j * 4 + k);
    expect(toArray(out)).toEqual(expected);
  });

  it("transpose of a packed int4 tensor moves codes", () => {
    const out = runOp([feed("int4", [2, 3], [1, 2, 3, 4, 5, 6])], "transpose", { perm: [1, 0] });
    expect(toArray(out)).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe("slice", () => {
  const x = feed("f64", [3, 5], iota(15));

  it("a range with a step along the last axis (negative axis)", () => {
    const out = runOp([x], "slice", { axis: -1, start: 1, end: 5, step: 2 });
    expect(out.shape).toEqual([3, 2]);
    expect(toArray(out)).toEqual([1, 3, 6, 8, 11, 13]);
  });

  it("a step that does not divide the range", () => {
    expect(toArray(runOp([x], "slice", { axis: 1, start: 0, end: 5, step: 3 }))).toEqual([0, 3, 5, 8, 10, 13]);
  });

  it("rows along axis 0, and an empty slice", () => {
    expect(toArray(runOp([x], "slice", { axis: 0, start: 1, end: 2 }))).toEqual([5, 6, 7, 8, 9]);
    expect(runOp([x], "slice", { axis: 0, start: 2, end: 2 }).shape).toEqual([0, 5]);
  });

  it("symbolic bounds are evaluated with the bound sizes", () => {
    const s = feed("f64", [2, 4], iota(8), [2, "T"]);
    const out = runOp([s], "slice", { axis: 1, start: 1, end: "T" });
    expect(out.shape).toEqual([2, 3]);
    expect(toArray(out)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(toArray(runOp([s], "slice", { axis: 1, start: 0, end: "T-1" }))).toEqual([0, 1, 2, 4, 5, 6]);
  });

  it("fails when symbolic bounds fall outside the axis once known", () => {
    const s = feed("f64", [2, 1], [0, 1], [2, "T"]);
    expectTrainc(() => runOp([s], "slice", { axis: 1, start: 2, end: "T+1" }), 6114, /slice 2\.\.2 is outside 0\.\.1/);
  });
});

describe("concat and broadcast", () => {
  it("concat of three along the last axis", () => {
    const out = run([feed("f32", [2, 1], [1, 2]), feed("f32", [2, 2], [3, 4, 5, 6]), feed("f32", [2, 1], [7, 8])],
      (b, p, q, r) => b.op("concat", [p!, q!, r!], { axis: -1 }))[0]!;
    expect(out.shape).toEqual([2, 4]);
    expect(toArray(out)).toEqual([1, 3, 4, 7, 2, 5, 6, 8]);
  });

  it("concat along axis 0 of symbolic sizes", () => {
    const out = run([feed("i64", [1, 2], [1, 2], ["N", 2]), feed("i64", [2, 2], [3, 4, 5, 6], ["M", 2])],
      (b, p, q) => b.op("concat", [p!, q!], { axis: 0 }))[0]!;
    expect(out.shape).toEqual([3, 2]);
    expect(toArray(out)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("concat of nf4 codes with an odd count", () => {
    const out = run([feed("nf4", [3], [1, 2, 3]), feed("nf4", [2], [14, 15])], (b, p, q) => b.op("concat", [p!, q!], { axis: 0 }))[0]!;
    expect(toArray(out)).toEqual([1, 2, 3, 14, 15]);
  });

  it("broadcast [3,1] to [2,3,4]", () => {
    const out = runOp([feed("f32", [3, 1], [1, 2, 3])], "broadcast", { shape: [2, 3, 4] });
    expect(toArray(out)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it("broadcast a scalar to a symbolic shape", () => {
    const out = run([feed("f32", [2], [0, 0], ["T"]), feed("f32", [], [5])], (b, _t, s) => b.op("broadcast", [s!], { shape: ["T", 2] }))[0]!;
    expect(toArray(out)).toEqual([5, 5, 5, 5]);
  });
});
