// cross_entropy, cross_entropy_grad, embedding and embedding_grad against hand-computed values: ignore_index,
// out-of-range targets and ids (errors name the position and value), duplicate ids accumulating gradient.

import { describe, expect, it } from "vitest";
import { toArray } from "../../ir/tensor.ts";
import { expectClose, expectTrainc, feed, runOp } from "./helpers.ts";

const logits = feed("f64", [2, 2, 3], [1, 2, 3, 0, 0, 0, -1, 5, 2, 4, 4, 4]);
const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));

describe("cross_entropy", () => {
  it("is logsumexp - logit[target], 0 where target == ignore_index", () => {
    const targets = feed("i64", [2, 2], [2, -100, 1, 0]);
    const out = runOp([logits, targets], "cross_entropy");
    expect(out.shape).toEqual([2, 2]);
    expectClose(out, [lse([1, 2, 3]) - 3, 0, lse([-1, 5, 2]) - 5, Math.log(3)], 1e-15);
  });

  it("honours a custom ignore_index", () => {
    const out = runOp([logits, feed("i32", [2, 2], [7, 0, 7, 7])], "cross_entropy", { ignore_index: 7 });
    expectClose(out, [0, Math.log(3), 0, 0], 1e-15);
  });

  it("computes in the logits dtype (f32 result)", () => {
    const out = runOp([feed("f32", [1, 2], [0, 0]), feed("i64", [1], [1])], "cross_entropy");
    expect(toArray(out)).toEqual([Math.fround(Math.LN2)]);
  });

  it("names the position and value of an out-of-range target", () => {
    expectTrainc(() => runOp([logits, feed("i64", [2, 2], [0, 1, 3, 0])], "cross_entropy"), 6111,
      /target 3 at position \[1,0\] is outside \[0, 3\)/);
    const dloss = feed("f64", [2, 2], [1, 1, 1, 1]);
    expectTrainc(() => runOp([logits, feed("i64", [2, 2], [0, -1, 0, 0]), dloss], "cross_entropy_grad"), 6111,
      /target -1 at position \[0,1\]/);
  });
});

describe("cross_entropy_grad", () => {
  it("is (softmax - onehot) * dloss, zero rows where ignored", () => {
    const targets = feed("i64", [2, 2], [2, -100, 1, 0]);
    const dloss = feed("f64", [2, 2], [2, 5, 1, 0.5]);
    const soft = (row: number[]) => row.map((v) => Math.exp(v - lse(row)));
    const rows = [[1, 2, 3], [0, 0, 0], [-1, 5, 2], [4, 4, 4]];
    const expected = [
      ...soft(rows[0]!).map((p, j) => (p - (j === 2 ? 1 : 0)) * 2),
      0, 0, 0,
      ...soft(rows[2]!).map((p, j) => (p - (j === 1 ? 1 : 0)) * 1),
      ...soft(rows[3]!).map((p, j) => (p - (j === 0 ? 1 : 0)) * 0.5),
    ];
    expectClose(runOp([logits, targets, dloss], "cross_entropy_grad"), expected, 1e-15);
  });
});

describe("embedding", () => {
  const weight = feed("f32", [3, 2], [1, 2, 3, 4, 5, 6]);

  it("gathers rows for ids of any rank", () => {
    const out = runOp([weight, feed("i64", [2, 2], [2, 0, 1, 2])], "embedding");
    expect(out.shape).toEqual([2, 2, 2]);
    expect(toArray(out)).toEqual([5, 6, 1, 2, 3, 4, 5, 6]);
  });

  it("names the position and value of an out-of-range id", () => {
    expectTrainc(() => runOp([weight, feed("i32", [2, 2], [0, 1, 2, 3])], "embedding"), 6110,
      /id 3 at position \[1,1\] is outside \[0, 3\)/);
    expectTrainc(() => runOp([weight, feed("i64", [1], [-1])], "embedding"), 6110, /id -1 at position \[0\]/);
  });

  it("embedding_grad scatter-adds rows, duplicates accumulating", () => {
    const ids = feed("i64", [3], [1, 0, 1]);
    const dy = feed("f64", [3, 2], [1, 2, 3, 4, 5, 6]);
    const out = runOp([ids, dy], "embedding_grad", { num_embeddings: 4 });
    expect(out.shape).toEqual([4, 2]);
    expect(toArray(out)).toEqual([3, 4, 6, 8, 0, 0, 0, 0]);
    expectTrainc(() => runOp([feed("i64", [1], [4]), feed("f64", [1, 2], [1, 1])], "embedding_grad", { num_embeddings: 4 }),
      6110, /id 4/);
  });
});
