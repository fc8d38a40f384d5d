// Reductions, softmax and logsumexp against naive loops written here: negative and non-adjacent axes, keepdims,
// integer sums, empty axes, and the extreme values softmax/logsumexp must survive.

import { describe, expect, it } from "vitest";
import { toArray } from "../../ir/tensor.ts";
import { expectClose, expectTrainc, feed, random, runOp } from "./helpers.ts";

const shape = [2, 3, 4];
const values = random(24, 7);
const x = feed("f64", shape, values);
const at = (i: number, j: number, k: number) => values[(i * 3 + j) * 4 + k]!;

/** Naive reduction over the axes set in `reduced` of the [2,3,4] test tensor. */
function naive(reduced: boolean[], combine: (acc: number, v: number) => number, init: number): number[] {
  const out = new Map<string, number>();
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
    const key = [i, j, k].map((v, a) => (reduced[a] ? 0 : v)).join(",");
    out.set(key, combine(out.get(key) ?? init, at(i, j, k)));
  }
  return [...out.values()];
}

describe("reductions", () => {
  it("reduce_sum over a negative axis", () => {
    const out = runOp([x], "reduce_sum", { axes: [-1] });
    expect(out.shape).toEqual([2, 3]);
    expectClose(out, naive([false, false, true], (a, v) => a + v, 0));
  });

  it("reduce_sum over non-adjacent axes with keepdims", () => {
    const out = runOp([x], "reduce_sum", { axes: [0, 2], keepdims: true });
    expect(out.shape).toEqual([1, 3, 1]);
    expectClose(out, naive([true, false, true], (a, v) => a + v, 0));
  });

  it("reduce_max over the middle axis and over all axes", () => {
    expectClose(runOp([x], "reduce_max", { axes: [1] }), naive([false, true, false], Math.max, -Infinity));
    const all = runOp([x], "reduce_max", { axes: [0, 1, 2] });
    expect(all.shape).toEqual([]);
    expectClose(all, [Math.max(...values)]);
  });

  it("reduce_mean over the leading two axes", () => {
    const sums = naive([true, true, false], (a, v) => a + v, 0);
    expectClose(runOp([x], "reduce_mean", { axes: [0, 1] }), sums.map((s) => s / 6));
  });

  it("reduce with no axes is the identity", () => {
    expectClose(runOp([x], "reduce_sum", { axes: [] }), values);
  });

  it("integer sums are exact and i32 wraps", () => {
    expect(toArray(runOp([feed("i64", [2, 2], [2 ** 40, 3, -5, 2])], "reduce_sum", { axes: [1] }))).toEqual([2 ** 40 + 3, -3]);
    expect(toArray(runOp([feed("i32", [2], [2 ** 31 - 1, 1])], "reduce_sum", { axes: [0] }))).toEqual([-(2 ** 31)]);
  });

  it("sums over an empty axis are 0; reduce_max over one fails", () => {
    const empty = feed("f32", [2, 0], []);
    expectClose(runOp([empty], "reduce_sum", { axes: [1] }), [0, 0]);
    expectTrainc(() => runOp([empty], "reduce_max", { axes: [1] }), 6117, /empty axis/);
  });

  it("reduce_max propagates NaN", () => {
    expectClose(runOp([feed("f64", [3], [1, NaN, 2])], "reduce_max", { axes: [0] }), [NaN]);
  });

  it("sums in double then rounds once (f32 1e8 + 1 + 1 ... keeps the ones)", () => {
    const out = runOp([feed("f32", [5], [1e8, 1, 1, 1, 1])], "reduce_sum", { axes: [0] });
    expect(toArray(out)).toEqual([Math.fround(1e8 + 4)]);
  });
});

describe("softmax and logsumexp", () => {
  /** Naive softmax / logsumexp along axis 1 of [2,3,4]. */
  function naiveAlong1(): { soft: number[]; lse: number[] } {
    const soft = new Array<number>(24);
    const lse: number[] = [];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) {
      let total = 0;
      for (let j = 0; j < 3; j++) total += Math.exp(at(i, j, k));
      for (let j = 0; j < 3; j++) soft[(i * 3 + j) * 4 + k] = Math.exp(at(i, j, k)) / total;
      lse.push(Math.log(total));
    }
    return { soft, lse };
  }

  it("softmax along a middle axis", () => expectClose(runOp([x], "softmax", { axis: 1 }), naiveAlong1().soft, 1e-14));

  it("logsumexp along a middle axis, with and without keepdims", () => {
    const { lse } = naiveAlong1();
    expectClose(runOp([x], "logsumexp", { axis: -2 }), lse, 1e-14);
    expect(runOp([x], "logsumexp", { axis: 1, keepdims: true }).shape).toEqual([2, 1, 4]);
  });

  it("is stable for large inputs and handles -inf", () => {
    const big = feed("f64", [2, 2], [1000, 1000, -Infinity, 0]);
    expectClose(runOp([big], "softmax"), [0.5, 0.5, 0, 1]);
    expectClose(runOp([big], "logsumexp"), [1000 + Math.LN2, 0]);
    const dead = feed("f64", [2], [-Infinity, -Infinity]);
    expectClose(runOp([dead], "softmax"), [NaN, NaN]);
    expectClose(runOp([dead], "logsumexp"), [-Infinity]);
  });
});
