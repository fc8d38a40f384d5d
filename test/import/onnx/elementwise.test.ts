// ONNX elementwise ops (unary math, broadcasting binary arithmetic, comparisons, logic, Where, Max/Min, Cast,
// CastLike, Relu, Identity): each one in a hand-built model, run through onnxruntime and through loadOnnx + the
// interpreter, outputs agreeing within 1e-5 relative. Inputs have a symbolic batch dim so broadcasting meets Dims.

import { describe, expect, it } from "vitest";
import { expectAgree, randomTensor } from "./check.ts";
import { tensor, valueInfo } from "./onnx-model.ts";

const X = valueInfo("x", "f32", ["batch", 3, 4]);

describe("unary float ops", () => {
  const cases: [string, number, number][] = [
    ["Neg", -2, 2], ["Abs", -2, 2], ["Exp", -2, 2], ["Log", 0.1, 3], ["Sqrt", 0.1, 3], ["Reciprocal", 0.5, 3],
    ["Sigmoid", -4, 4], ["Tanh", -2, 2], ["Sin", -3, 3], ["Cos", -3, 3], ["Relu", -1, 1], ["Identity", -1, 1],
  ];
  for (const [op, lo, hi] of cases) {
    it(op, async () => {
      const graph = await expectAgree({
        inputs: [X], outputs: [valueInfo("y", "f32", ["batch", 3, 4])],
        nodes: [{ op, inputs: ["x"], outputs: ["y"] }],
      }, { x: randomTensor([2, 3, 4], 7, lo, hi) });
      expect(graph.inputs.map((i) => i.name)).toEqual(["x"]);
    });
  }
});

describe("binary ops broadcast like numpy", () => {
  for (const [op, irOp] of [["Add", "add"], ["Sub", "sub"], ["Mul", "mul"], ["Div", "div"], ["Pow", "pow"],
    ["Max", "maximum"], ["Min", "minimum"]] as const) {
    it(`${op} of [batch,3,4] and a [4] initializer`, async () => {
      const graph = await expectAgree({
        inputs: [X], outputs: [valueInfo("y", "f32", ["batch", 3, 4])],
        initializers: [tensor("w", "f32", [4], [0.5, 1.5, 2, 3])],
        nodes: [{ op, inputs: op === "Pow" ? ["w", "x"] : ["x", "w"], outputs: ["y"] }],
      }, { x: randomTensor([2, 3, 4], 11, 0.2, 2) });
      expect(graph.nodes.map((n) => n.op)).toEqual([irOp]);
      expect(graph.inputs.map((i) => i.name)).toEqual(["x", "w"]);
    });
  }
});
