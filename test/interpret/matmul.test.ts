// matmul against a naive triple loop written here: every transpose combination, batch broadcasting in both
// directions, symbolic batch dims, and f32 rounding of a double-precision sum.

import { describe, expect, it } from "vitest";
import { toArray } from "../../ir/tensor.ts";
import { expectClose, feed, random, runOp } from "./helpers.ts";

/** Naive batched matmul on row-major arrays; a is [batchA.., M, K] (or [.., K, M] if ta), b likewise. */
function naive(a: number[], aShape: number[], b: number[], bShape: number[], ta: boolean, tb: boolean): number[] {
  const [M, K] = ta ? [aShape.at(-1)!, aShape.at(-2)!] : [aShape.at(-2)!, aShape.at(-1)!];
  const N = tb ? bShape.at(-2)! : bShape.at(-1)!;
  const batchA = aShape.slice(0, -2);
  const batchB = bShape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const padA = [...new Array(rank - batchA.length).fill(1), ...batchA];
  const padB = [...new Array(rank - batchB.length).fill(1), ...batchB];
  const batch = padA.map((d, i) => Math.max(d, padB[i]!));
  const count = batch.reduce((x, y) => x * y, 1);
  const out: number[] = [];
  for (let n = 0; n < count; n++) {
    let rest = n;
    let ia = 0;
    let ib = 0;
    for (let axis = 0; axis < rank; axis++) {
      const size = batch.slice(axis + 1).reduce((x, y) => x * y, 1);
      const idx = Math.floor(rest / size);
      rest %= size;
      ia = ia * padA[axis]! + (padA[axis] === 1 ? 0 : idx);
      ib = ib * padB[axis]! + (padB[axis] === 1 ? 0 : idx);
    }
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = a[ia * M * K + (ta ? k * M + i : i * K + k)]!;
        const bv = b[ib * K * N + (tb ? j * K + k : k * N + j)]!;
        s += av * bv;
      }
      out.push(s);
    }
  }
  return out;
}

describe("matmul", () => {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      it(`transpose_a=${ta} transpose_b=${tb}, M=5 K=3 N=6 (M not a multiple of 4)`, () => {
        const aShape = ta ? [3, 5] : [5, 3];
        const bShape = tb ? [6, 3] : [3, 6];
        const a = random(15, 1);
        const b = random(18, 2);
        const out = runOp([feed("f64", aShape, a), feed("f64", bShape, b)], "matmul", { transpose_a: ta, transpose_b: tb });
        expect(out.shape).toEqual([5, 6]);
        expectClose(out, naive(a, aShape, b, bShape, ta, tb), 1e-14);
      });
    }
  }

  it("batched lhs with a shared rhs [2,3,4,5] @ [5,2]", () => {
    const a = random(120, 3);
    const b = random(10, 4);
    const out = runOp([feed("f64", [2, 3, 4, 5], a), feed("f64", [5, 2], b)], "matmul");
    expect(out.shape).toEqual([2, 3, 4, 2]);
    expectClose(out, naive(a, [2, 3, 4, 5], b, [5, 2], false, false), 1e-14);
  });

  it("batch broadcasting in both directions [2,1,3,4] @ [1,3,4,2]^T-free", () => {
    const a = random(24, 5);
    const b = random(24, 6);
    const out = runOp([feed("f64", [2, 1, 3, 4], a), feed("f64", [1, 3, 4, 2], b)], "matmul");
    expect(out.shape).toEqual([2, 3, 3, 2]);
    expectClose(out, naive(a, [2, 1, 3, 4], b, [1, 3, 4, 2], false, false), 1e-14);
  });

  it("symbolic batch with transposed rhs [B,T,C] @ [V,C]^T", () => {
    const a = random(2 * 3 * 4, 7);
    const b = random(5 * 4, 8);
    const out = runOp([feed("f64", [2, 3, 4], a, ["B", "T", 4]), feed("f64", [5, 4], b)], "matmul", { transpose_b: true });
    expect(out.shape).toEqual([2, 3, 5]);
    expectClose(out, naive(a, [2, 3, 4], b, [5, 4], false, true), 1e-14);
  });

  it("sums in double and rounds once into f32 and bf16", () => {
    const a = [1e8, 1, 1, 1];
    const b = [1, 1, 1, 1];
    expect(toArray(runOp([feed("f32", [1, 4], a), feed("f32", [4, 1], b)], "matmul"))).toEqual([Math.fround(1e8 + 3)]);
    expect(toArray(runOp([feed("bf16", [1, 3], [1, 2 ** -9, 2 ** -9]), feed("bf16", [3, 1], [1, 1, 1])], "matmul")))
      .toEqual([1]);
    expect(toArray(runOp([feed("bf16", [1, 3], [1, 2 ** -8, 2 ** -9]), feed("bf16", [3, 1], [1, 1, 1])], "matmul")))
      .toEqual([1 + 2 ** -7]);
  });

  it("K = 0 gives zeros", () => {
    expect(toArray(runOp([feed("f32", [2, 0], []), feed("f32", [0, 3], [])], "matmul"))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
