// ONNX MatMul (numpy ranks: vector operands, batch broadcasting), Gemm (transposes, alpha, beta, C), reductions
// (axes as an input in opset 18, as an attribute in opset 17, keepdims, empty axes, noop_with_empty_axes), Softmax
// and LogSoftmax, each in a hand-built model checked against onnxruntime.

import { describe, expect, it } from "vitest";
import { expectAgree, randomTensor } from "./check.ts";
import { tensor, valueInfo } from "./onnx-model.ts";

describe("MatMul", () => {
  const cases: [string, (number | string)[], number[], (number | string)[], number[]][] = [
    ["matrix @ matrix", ["m", 4], [3, 4], [4, 5], [4, 5]],
    ["vector @ matrix", [4], [4], [4, 5], [4, 5]],
    ["batched @ vector", ["b", 3, 4], [2, 3, 4], [4], [4]],
    ["vector @ vector", [4], [4], [4], [4]],
    ["batch broadcasting", ["b", 1, 3, 4], [2, 1, 3, 4], [5, 4, 2], [5, 4, 2]],
  ];
  for (const [name, aDims, aShape, bDims, bShape] of cases) {
    it(name, async () => {
      const graph = await expectAgree({
        inputs: [valueInfo("a", "f32", aDims), valueInfo("b", "f32", bDims)], outputs: [valueInfo("y", "f32", undefined)],
        nodes: [{ op: "MatMul", inputs: ["a", "b"], outputs: ["y"] }],
      }, { a: randomTensor(aShape, 61), b: randomTensor(bShape, 62) });
      expect(graph.nodes.filter((n) => n.op === "matmul")).toHaveLength(1);
    });
  }
});

describe("Gemm", () => {
  it("transA, transB, alpha and beta with a broadcast C", async () => {
    await expectAgree({
      inputs: [valueInfo("a", "f32", [4, 3]), valueInfo("b", "f32", [5, 4])], outputs: [valueInfo("y", "f32", [3, 5])],
      initializers: [tensor("c", "f32", [5], [1, 2, 3, 4, 5])],
      nodes: [{ op: "Gemm", inputs: ["a", "b", "c"], outputs: ["y"],
        attrs: { transA: { i: 1 }, transB: { i: 1 }, alpha: { f: 0.5 }, beta: { f: 2 } } }],
    }, { a: randomTensor([4, 3], 63), b: randomTensor([5, 4], 64) });
  });

  it("without C it is a plain matmul", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("a", "f32", ["m", 4]), valueInfo("b", "f32", [4, 2])], outputs: [valueInfo("y", "f32", ["m", 2])],
      nodes: [{ op: "Gemm", inputs: ["a", "b"], outputs: ["y"] }],
    }, { a: randomTensor([3, 4], 65), b: randomTensor([4, 2], 66) });
    expect(graph.nodes.map((n) => n.op)).toEqual(["matmul"]);
  });
});

describe("reductions", () => {
  const X = valueInfo("x", "f32", ["batch", 3, 4]);
  const feeds = { x: randomTensor([2, 3, 4], 67) };
  for (const op of ["ReduceSum", "ReduceMean", "ReduceMax"]) {
    it(`${op}: axes input, keepdims 0 and 1, empty axes reduce everything`, async () => {
      await expectAgree({
        inputs: [X], outputs: ["a", "b", "c"].map((n) => valueInfo(n, "f32", undefined)),
        initializers: [tensor("axes", "i64", [2], [-1, 0])],
        nodes: [
          { op, inputs: ["x", "axes"], outputs: ["a"] },
          { op, inputs: ["x", "axes"], outputs: ["b"], attrs: { keepdims: { i: 0 } } },
          { op, inputs: ["x"], outputs: ["c"] },
        ],
      }, feeds);
    });
  }

  it("noop_with_empty_axes returns the operand", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", ["batch", 3, 4])],
      nodes: [{ op: "ReduceSum", inputs: ["x"], outputs: ["y"], attrs: { noop_with_empty_axes: { i: 1 } } }],
    }, feeds);
    expect(graph.nodes).toEqual([]);
  });

  it("opset 17 ReduceMean takes axes as an attribute", async () => {
    await expectAgree({
      opset: 17, inputs: [X], outputs: [valueInfo("y", "f32", ["batch", 3, 1])],
      nodes: [{ op: "ReduceMean", inputs: ["x"], outputs: ["y"], attrs: { axes: { ints: [2] } } }],
    }, feeds);
  });

  it("Softmax and LogSoftmax along a given and the default axis", async () => {
    await expectAgree({
      inputs: [X], outputs: ["a", "b", "c"].map((n) => valueInfo(n, "f32", ["batch", 3, 4])),
      nodes: [
        { op: "Softmax", inputs: ["x"], outputs: ["a"] },
        { op: "Softmax", inputs: ["x"], outputs: ["b"], attrs: { axis: { i: 1 } } },
        { op: "LogSoftmax", inputs: ["x"], outputs: ["c"], attrs: { axis: { i: -2 } } },
      ],
    }, { x: randomTensor([2, 3, 4], 68, -3, 3) });
  });
});
