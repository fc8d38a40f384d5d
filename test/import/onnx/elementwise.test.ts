// ONNX elementwise ops (unary math, broadcasting binary arithmetic, comparisons, logic, Where, Max/Min, Cast,
// CastLike, Relu, IsNaN, Identity): each one in a hand-built model, run through onnxruntime and through loadOnnx +
// the interpreter, outputs agreeing within 1e-5 relative. Inputs have a symbolic batch dim so broadcasting meets Dims.

import { describe, expect, it } from "vitest";
import { fromArray } from "../../../ir/tensor.ts";
import { expectAgree, randomTensor } from "./check.ts";
import { tensor, valueInfo } from "./onnx-model.ts";

const X = valueInfo("x", "f32", ["batch", 3, 4]);
const Y = valueInfo("y", "f32", ["batch", 3, 4]);

describe("unary float ops", () => {
  const cases: [string, string, number, number][] = [
    ["Neg", "neg", -2, 2], ["Abs", "abs", -2, 2], ["Exp", "exp", -2, 2], ["Log", "log", 0.1, 3],
    ["Sqrt", "sqrt", 0.1, 3], ["Reciprocal", "reciprocal", 0.5, 3], ["Sigmoid", "sigmoid", -4, 4],
    ["Tanh", "tanh", -2, 2], ["Sin", "sin", -3, 3], ["Cos", "cos", -3, 3], ["Relu", "maximum", -1, 1],
  ];
  for (const [op, irOp, lo, hi] of cases) {
    it(`${op} -> ${irOp}`, async () => {
      const graph = await expectAgree({ inputs: [X], outputs: [Y], nodes: [{ op, inputs: ["x"], outputs: ["y"] }] },
        { x: randomTensor([2, 3, 4], 7, lo, hi) });
      expect(graph.nodes.map((n) => n.op)).toContain(irOp);
    });
  }

  it("Identity emits nothing", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [Y],
      nodes: [{ op: "Neg", inputs: ["x"], outputs: ["n"] }, { op: "Identity", inputs: ["n"], outputs: ["y"] }],
    }, { x: randomTensor([2, 3, 4], 8) });
    expect(graph.nodes.map((n) => n.op)).toEqual(["neg"]);
  });
});

describe("binary ops broadcast like numpy", () => {
  for (const [op, irOp] of [["Add", "add"], ["Sub", "sub"], ["Mul", "mul"], ["Div", "div"], ["Pow", "pow"],
    ["Max", "maximum"], ["Min", "minimum"]] as const) {
    it(`${op} of [batch,3,4] and a [4] initializer`, async () => {
      const graph = await expectAgree({
        inputs: [X], outputs: [Y], initializers: [tensor("w", "f32", [4], [0.5, 1.5, 2, 3])],
        nodes: [{ op, inputs: op === "Pow" ? ["w", "x"] : ["x", "w"], outputs: ["y"] }],
      }, { x: randomTensor([2, 3, 4], 11, 0.2, 2) });
      expect(graph.nodes.map((n) => n.op)).toEqual([irOp]);
      expect(graph.inputs.map((i) => i.name)).toEqual(["x", "w"]);
    });
  }

  it("Max and Min take three operands", async () => {
    await expectAgree({
      inputs: [X, valueInfo("z", "f32", [3, 1])], outputs: [Y, valueInfo("m", "f32", ["batch", 3, 4])],
      initializers: [tensor("w", "f32", [4], [0.5, -0.5, 0, 0.25])],
      nodes: [{ op: "Max", inputs: ["x", "w", "z"], outputs: ["y"] }, { op: "Min", inputs: ["x", "w", "z"], outputs: ["m"] }],
    }, { x: randomTensor([2, 3, 4], 12), z: randomTensor([3, 1], 13) });
  });

  it("Pow with an i64 exponent casts the exponent to the base's type", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [Y], initializers: [tensor("two", "i64", [], [2])],
      nodes: [{ op: "Pow", inputs: ["x", "two"], outputs: ["y"] }],
    }, { x: randomTensor([2, 3, 4], 14) });
    expect(graph.nodes.map((n) => n.op)).toEqual(["constant", "pow"]);
  });

  it("integer Div truncates toward zero, as onnxruntime does", async () => {
    await expectAgree({
      inputs: [valueInfo("a", "i64", [4])], outputs: [valueInfo("q", "i64", [4])],
      initializers: [tensor("b", "i64", [4], [2, -2, 3, -3])],
      nodes: [{ op: "Div", inputs: ["a", "b"], outputs: ["q"] }],
    }, { a: fromArray("i64", [4], [7, 7, -7, -8]) });
  });
});

describe("comparisons, logic and selection", () => {
  const B = valueInfo("b", "bool", ["batch", 3, 4]);
  for (const op of ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]) {
    it(`${op} gives bool`, async () => {
      await expectAgree({
        inputs: [X], outputs: [B], initializers: [tensor("w", "f32", [4], [0, 0.5, -0.5, 1])],
        nodes: [{ op, inputs: ["x", "w"], outputs: ["b"] }],
      }, { x: fromArray("f32", [1, 3, 4], [0, 0.5, -0.5, 1, 1, 0, 0.5, -1, -0.5, 0.5, 2, 1]) });
    });
  }

  for (const op of ["And", "Or", "Xor"]) {
    it(`${op} on bools, then Not`, async () => {
      await expectAgree({
        inputs: [valueInfo("p", "bool", ["batch", 4]), valueInfo("q", "bool", [4])],
        outputs: [valueInfo("r", "bool", ["batch", 4])],
        nodes: [{ op, inputs: ["p", "q"], outputs: ["t"] }, { op: "Not", inputs: ["t"], outputs: ["r"] }],
      }, { p: fromArray("bool", [2, 4], [1, 1, 0, 0, 1, 0, 1, 0]), q: fromArray("bool", [4], [1, 0, 1, 0]) });
    });
  }

  it("Where selects with broadcasting; IsNaN finds NaNs", async () => {
    await expectAgree({
      inputs: [X], outputs: [Y, valueInfo("nan", "bool", ["batch", 3, 4])],
      initializers: [tensor("zero", "f32", [], [0]), tensor("big", "f32", [4], [1, 2, 3, 4])],
      nodes: [
        { op: "Div", inputs: ["x", "x"], outputs: ["r"] },
        { op: "IsNaN", inputs: ["r"], outputs: ["nan"] },
        { op: "Where", inputs: ["nan", "zero", "big"], outputs: ["y"] },
      ],
    }, { x: fromArray("f32", [1, 3, 4], [0, 1, 2, 0, 3, 0, 1, 1, 0, 0, 2, 5]) });
  });
});

describe("casts", () => {
  it("Cast f32 -> i64 truncates, -> bool is x != 0; CastLike takes the other operand's type", async () => {
    await expectAgree({
      inputs: [X, valueInfo("like", "i32", [1])],
      outputs: [valueInfo("i", "i64", ["batch", 3, 4]), valueInfo("b", "bool", ["batch", 3, 4]),
        valueInfo("c", "i32", ["batch", 3, 4])],
      nodes: [
        { op: "Cast", inputs: ["x"], outputs: ["i"], attrs: { to: { i: 7 } } },
        { op: "Cast", inputs: ["x"], outputs: ["b"], attrs: { to: { i: 9 } } },
        { op: "CastLike", inputs: ["x", "like"], outputs: ["c"] },
      ],
    }, { x: randomTensor([2, 3, 4], 21, -5, 5), like: fromArray("i32", [1], [0]) });
  });

  it("Cast to the operand's own type emits nothing", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [Y], nodes: [{ op: "Cast", inputs: ["x"], outputs: ["y"], attrs: { to: { i: 1 } } }],
    }, { x: randomTensor([2, 3, 4], 22) });
    expect(graph.nodes).toEqual([]);
  });
});
