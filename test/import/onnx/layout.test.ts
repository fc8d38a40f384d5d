// ONNX data-movement ops (Shape, Size, Reshape, Flatten, Unsqueeze, Squeeze, Transpose, Expand, Concat, Split),
// each in a hand-built model with symbolic dims, checked against onnxruntime; and the import-time folding of the
// shape computations around them (the emitted graph keeps only the real data movement).

import { describe, expect, it } from "vitest";
import { expectAgree, randomTensor } from "./check.ts";
import { tensor, valueInfo } from "./onnx-model.ts";

const X = valueInfo("x", "f32", ["batch", "seq", 8]);
const feeds = { x: randomTensor([2, 3, 8], 31) };

describe("Reshape", () => {
  it("0 copies a dim and -1 is inferred, symbolically", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", ["batch", "seq", 2, 4])],
      initializers: [tensor("shape", "i64", [4], [0, 0, -1, 4])],
      nodes: [{ op: "Reshape", inputs: ["x", "shape"], outputs: ["y"] }],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["reshape"]);
    expect(graph.types[graph.outputs[0]!.id]!.shape).toEqual(["batch", "seq", 2, 4]);
  });

  it("a shape computed from Shape/Gather/Concat/Mul folds into one reshape", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", [null, 8])],
      initializers: [tensor("i0", "i64", [], [0]), tensor("i1", "i64", [], [1]), tensor("ax", "i64", [1], [0]),
        tensor("last", "i64", [1], [-1])],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Gather", inputs: ["s", "i0"], outputs: ["b"] },
        { op: "Gather", inputs: ["s", "i1"], outputs: ["t"] },
        { op: "Mul", inputs: ["b", "t"], outputs: ["bt"] },
        { op: "Unsqueeze", inputs: ["bt", "ax"], outputs: ["bt1"] },
        { op: "Concat", inputs: ["bt1", "last"], outputs: ["target"], attrs: { axis: { i: 0 } } },
        { op: "Reshape", inputs: ["x", "target"], outputs: ["y"] },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["reshape"]);
    expect(graph.types[graph.outputs[0]!.id]!.shape).toEqual(["batch*seq", 8]);
  });

  it("allowzero = 1 takes 0 literally", async () => {
    await expectAgree({
      inputs: [valueInfo("x", "f32", [0, 4])], outputs: [valueInfo("y", "f32", [4, 0])],
      initializers: [tensor("shape", "i64", [2], [4, 0])],
      nodes: [{ op: "Reshape", inputs: ["x", "shape"], outputs: ["y"], attrs: { allowzero: { i: 1 } } }],
    }, { x: randomTensor([0, 4], 1) });
  });

  it("Flatten at axis 2; Size and Shape (start/end) as outputs are computed from the bound sizes", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("f", "f32", [null, 8]), valueInfo("n", "i64", []), valueInfo("s", "i64", [2])],
      nodes: [
        { op: "Flatten", inputs: ["x"], outputs: ["f"], attrs: { axis: { i: 2 } } },
        { op: "Size", inputs: ["x"], outputs: ["n"] },
        { op: "Shape", inputs: ["x"], outputs: ["s"], attrs: { start: { i: -2 } } },
      ],
    }, feeds);
    expect(graph.nodes.filter((n) => n.op === "size").map((n) => n.attrs["dim"])).toEqual(["8*batch*seq", "seq"]);
  });
});

describe("Unsqueeze, Squeeze, Transpose", () => {
  it("Unsqueeze at negative axes, then Squeeze them again", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("u", "f32", ["batch", 1, "seq", 8, 1]), valueInfo("s", "f32", ["batch", "seq", 8])],
      initializers: [tensor("axes", "i64", [2], [1, -1])],
      nodes: [
        { op: "Unsqueeze", inputs: ["x", "axes"], outputs: ["u"] },
        { op: "Squeeze", inputs: ["u", "axes"], outputs: ["s"] },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["reshape"]);
  });

  it("Squeeze without axes drops every size-1 axis", async () => {
    await expectAgree({
      inputs: [valueInfo("x", "f32", [1, "seq", 1, 4])], outputs: [valueInfo("y", "f32", ["seq", 4])],
      nodes: [{ op: "Squeeze", inputs: ["x"], outputs: ["y"] }],
    }, { x: randomTensor([1, 3, 1, 4], 2) });
  });

  it("Transpose with a perm and with the default (reversed) perm", async () => {
    await expectAgree({
      inputs: [X], outputs: [valueInfo("a", "f32", ["seq", 8, "batch"]), valueInfo("b", "f32", [8, "seq", "batch"])],
      nodes: [
        { op: "Transpose", inputs: ["x"], outputs: ["a"], attrs: { perm: { ints: [1, 2, 0] } } },
        { op: "Transpose", inputs: ["x"], outputs: ["b"] },
      ],
    }, feeds);
  });
});

describe("Expand, Concat, Split", () => {
  it("Expand broadcasts both ways (ONNX's bidirectional rule)", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("x", "f32", ["seq", 1])], outputs: [valueInfo("y", "f32", [2, "seq", 5])],
      initializers: [tensor("shape", "i64", [3], [2, 1, 5])],
      nodes: [{ op: "Expand", inputs: ["x", "shape"], outputs: ["y"] }],
    }, { x: randomTensor([3, 1], 3) });
    expect(graph.nodes.map((n) => n.op)).toEqual(["broadcast"]);
  });

  it("Expand of a known tensor to a symbolic shape becomes a broadcast constant", async () => {
    await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", ["batch", "seq", 8])],
      initializers: [tensor("one", "i64", [1], [1])],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "ConstantOfShape", inputs: ["one"], outputs: ["c"], attrs: { value: { t: tensor("v", "f32", [1], [2]) } } },
        { op: "Expand", inputs: ["c", "s"], outputs: ["e"] },
        { op: "Mul", inputs: ["x", "e"], outputs: ["y"] },
      ],
    }, feeds);
  });

  it("Concat of runtime and constant parts along a negative axis", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", ["batch", "seq", 10])],
      initializers: [tensor("pad", "f32", [1, 1, 2], [7, 8]), tensor("zero", "i64", [1], [0]),
        tensor("two", "i64", [1], [2])],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Slice", inputs: ["s", "zero", "two"], outputs: ["bt"] },
        { op: "Concat", inputs: ["bt", "two"], outputs: ["target"], attrs: { axis: { i: 0 } } },
        { op: "Expand", inputs: ["pad", "target"], outputs: ["p"] },
        { op: "Concat", inputs: ["x", "p"], outputs: ["y"], attrs: { axis: { i: -1 } } },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["broadcast", "concat"]);
  });

  it("Split into equal parts and into given sizes", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: ["a", "b", "c", "d"].map((n) => valueInfo(n, "f32", undefined)),
      initializers: [tensor("sizes", "i64", [2], [3, 5])],
      nodes: [
        { op: "Split", inputs: ["x"], outputs: ["a", "b"], attrs: { axis: { i: 2 }, num_outputs: { i: 2 } } },
        { op: "Split", inputs: ["x", "sizes"], outputs: ["c", "d"], attrs: { axis: { i: -1 } } },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["slice", "slice", "slice", "slice"]);
  });
});
