// ONNX value-making ops in hand-built models, checked against onnxruntime: Constant (tensor, scalar and list
// forms), ConstantOfShape (concrete and symbolic shapes), Range (folded, and symbolic -> iota), Trilu (upper/lower,
// diagonal offsets, on runtime data with symbolic sizes), CumSum (plain, exclusive, reverse, other axes, ints; one
// cumsum node each).

import { describe, expect, it } from "vitest";
import { fromArray } from "../../../ir/tensor.ts";
import { expectAgree, randomTensor } from "./check.ts";
import { tensor, valueInfo } from "./onnx-model.ts";

const X = valueInfo("x", "f32", ["batch", "seq"]);
const feeds = { x: randomTensor([2, 5], 51) };

describe("Constant and ConstantOfShape", () => {
  it("tensor, value_float, value_int, value_floats and value_ints forms", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("x", "f32", ["batch", 5])], outputs: [valueInfo("y", "f32", ["batch", 5]), valueInfo("n", "i64", [3])],
      nodes: [
        { op: "Constant", inputs: [], outputs: ["t"], attrs: { value: { t: tensor("v", "f32", [1, 1], [2.5]) } } },
        { op: "Constant", inputs: [], outputs: ["f"], attrs: { value_float: { f: 0.25 } } },
        { op: "Constant", inputs: [], outputs: ["fs"], attrs: { value_floats: { floats: [1, 2, 3, 4, 5] } } },
        { op: "Constant", inputs: [], outputs: ["i"], attrs: { value_int: { i: 3 } } },
        { op: "Constant", inputs: [], outputs: ["is"], attrs: { value_ints: { ints: [1, -2, 3] } } },
        { op: "Mul", inputs: ["x", "t"], outputs: ["a"] },
        { op: "Add", inputs: ["a", "f"], outputs: ["b"] },
        { op: "Mul", inputs: ["b", "fs"], outputs: ["y"] },
        { op: "Mul", inputs: ["is", "i"], outputs: ["n"] },
      ],
    }, feeds);
    expect(graph.nodes.find((n) => n.op === "constant" && n.attrs["dtype"] === "i64")?.attrs["values"]).toEqual([3, -6, 9]);
  });

  it("ConstantOfShape of a concrete shape folds; of a symbolic shape is a splat constant", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", ["batch", "seq"]), valueInfo("z", "i32", [2, 3])],
      initializers: [tensor("dims", "i64", [2], [2, 3])],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "ConstantOfShape", inputs: ["s"], outputs: ["c"], attrs: { value: { t: tensor("v", "f32", [1], [1.5]) } } },
        { op: "Sub", inputs: ["x", "c"], outputs: ["y"] },
        { op: "ConstantOfShape", inputs: ["dims"], outputs: ["z"], attrs: { value: { t: tensor("w", "i32", [1], [7]) } } },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["constant", "sub", "constant"]);
  });
});

describe("Range", () => {
  it("concrete bounds fold; a symbolic limit becomes iota * delta + start", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("a", "i64", [3]), valueInfo("b", "i64", [null]), valueInfo("c", "f32", [null])],
      initializers: [tensor("zero", "i64", [], [0]), tensor("one", "i64", [], [1]), tensor("ten", "i64", [], [10]),
        tensor("three", "i64", [], [3])],
      nodes: [
        { op: "Range", inputs: ["one", "ten", "three"], outputs: ["a"] },
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Gather", inputs: ["s", "one"], outputs: ["t"] },
        { op: "Add", inputs: ["t", "three"], outputs: ["t3"] },
        { op: "Range", inputs: ["three", "t3", "one"], outputs: ["b"] },
        { op: "Constant", inputs: [], outputs: ["fstart"], attrs: { value_float: { f: 0.5 } } },
        { op: "Constant", inputs: [], outputs: ["fl"], attrs: { value_float: { f: 2.5 } } },
        { op: "Constant", inputs: [], outputs: ["fd"], attrs: { value_float: { f: 0.5 } } },
        { op: "Range", inputs: ["fstart", "fl", "fd"], outputs: ["c"] },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toContain("iota");
  });
});

describe("Trilu", () => {
  for (const [upper, k] of [[1, 0], [0, 0], [1, 2], [0, -1]] as const) {
    it(`upper=${upper}, k=${k} on [batch, seq, seq] data`, async () => {
      await expectAgree({
        inputs: [valueInfo("x", "f32", ["batch", "seq", "seq"])], outputs: [valueInfo("y", "f32", ["batch", "seq", "seq"])],
        initializers: [tensor("k", "i64", [], [k])],
        nodes: [{ op: "Trilu", inputs: ["x", "k"], outputs: ["y"], attrs: { upper: { i: upper } } }],
      }, { x: randomTensor([2, 4, 4], 52 + k) });
    });
  }

  it("a causal mask from Trilu of a known square folds (no k input)", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("x", "f32", [3, 3])], outputs: [valueInfo("y", "f32", [3, 3])],
      nodes: [
        { op: "Constant", inputs: [], outputs: ["c"], attrs: { value: { t: tensor("v", "f32", [3, 3], Array(9).fill(1)) } } },
        { op: "Trilu", inputs: ["c"], outputs: ["m"], attrs: { upper: { i: 0 } } },
        { op: "Mul", inputs: ["x", "m"], outputs: ["y"] },
      ],
    }, { x: randomTensor([3, 3], 56) });
    expect(graph.nodes.find((n) => n.op === "constant")?.attrs["values"]).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 1]);
  });
});

describe("CumSum", () => {
  for (const [exclusive, reverse] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    it(`exclusive=${exclusive} reverse=${reverse} along the last axis and along axis 0`, async () => {
      const graph = await expectAgree({
        inputs: [X], outputs: [valueInfo("a", "f32", ["batch", "seq"]), valueInfo("b", "f32", ["batch", "seq"])],
        initializers: [tensor("last", "i64", [], [-1]), tensor("first", "i64", [1], [0])],
        nodes: [
          { op: "CumSum", inputs: ["x", "last"], outputs: ["a"], attrs: { exclusive: { i: exclusive! }, reverse: { i: reverse! } } },
          { op: "CumSum", inputs: ["x", "first"], outputs: ["b"], attrs: { exclusive: { i: exclusive! }, reverse: { i: reverse! } } },
        ],
      }, feeds);
      expect(graph.nodes.map((n) => [n.op, n.attrs["axis"], n.attrs["exclusive"], n.attrs["reverse"]])).toEqual([
        ["cumsum", 1, exclusive === 1, reverse === 1], ["cumsum", 0, exclusive === 1, reverse === 1]]);
    });
  }

  it("integer and rank-1 inputs stay integer (no casts)", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("n", "i64", ["seq"]), valueInfo("m", "i32", [2, 3])],
      outputs: [valueInfo("y", "i64", ["seq"]), valueInfo("z", "i32", [2, 3])],
      initializers: [tensor("axis", "i32", [], [0]), tensor("last", "i64", [1], [-1])],
      nodes: [
        { op: "CumSum", inputs: ["n", "axis"], outputs: ["y"] },
        { op: "CumSum", inputs: ["m", "last"], outputs: ["z"], attrs: { exclusive: { i: 1 } } },
      ],
    }, { n: fromArray("i64", [6], [3, -1, 4, 1, -5, 9]), m: fromArray("i32", [2, 3], [7, -2, 5, 1, 1, 8]) });
    expect(graph.nodes.map((n) => n.op)).toEqual(["cumsum", "cumsum"]);
  });
});
