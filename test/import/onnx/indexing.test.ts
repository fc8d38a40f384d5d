// ONNX Slice, Gather and GatherND in hand-built models, checked against onnxruntime: negative and clamped bounds,
// INT64_MAX ends, several axes, steps, reversing slices of import-time tensors, slices and splits that take a concat
// apart again (no node), Gather as an embedding (rows of a float matrix) and as a gather along other axes, scalar /
// contiguous / scattered / negative constant indices, GatherND with run-time, constant, negative and concatenated
// coordinates (one gather, no casts).

import { describe, expect, it } from "vitest";
import { fromArray } from "../../../ir/tensor.ts";
import { expectAgree, randomTensor } from "./check.ts";
import { tensor, valueInfo } from "./onnx-model.ts";

const X = valueInfo("x", "f32", ["batch", "seq", 6]);
const feeds = { x: randomTensor([2, 5, 6], 41) };
const I64_MAX = 2n ** 63n - 1n;

describe("Slice", () => {
  it("negative starts, INT64_MAX ends, several axes and a step", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", undefined)],
      initializers: [
        tensor("starts", "i64", [3], [-3, 1, 0]),
        { ...tensor("ends", "i64", [3], [0, 0, 0]), raw_data: Buffer.from(new BigInt64Array([I64_MAX, I64_MAX, -1n]).buffer) },
        tensor("axes", "i64", [3], [1, 0, -1]), tensor("steps", "i64", [3], [1, 1, 2]),
      ],
      nodes: [{ op: "Slice", inputs: ["x", "starts", "ends", "axes", "steps"], outputs: ["y"] }],
    }, feeds);
    expect(graph.types[graph.outputs[0]!.id]!.shape).toEqual(["batch-1", 3, 3]);
  });

  it("bounds beyond the size clamp; a full-range slice emits nothing", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", undefined), valueInfo("z", "f32", undefined)],
      initializers: [tensor("s", "i64", [1], [2]), tensor("e", "i64", [1], [100]), tensor("ax", "i64", [1], [2]),
        tensor("s0", "i64", [1], [-100])],
      nodes: [
        { op: "Slice", inputs: ["x", "s", "e", "ax"], outputs: ["y"] },
        { op: "Slice", inputs: ["x", "s0", "e", "ax"], outputs: ["z"] },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["slice"]);
  });

  it("a symbolic end taken from Shape", async () => {
    await expectAgree({
      inputs: [X, valueInfo("m", "f32", ["batch", 9, 6])], outputs: [valueInfo("y", "f32", ["batch", "seq", 6])],
      initializers: [tensor("zero", "i64", [1], [0]), tensor("one", "i64", [1], [1]), tensor("two", "i64", [1], [2])],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Slice", inputs: ["s", "one", "two"], outputs: ["t"] },
        { op: "Slice", inputs: ["m", "zero", "t", "one"], outputs: ["y0"] },
        { op: "Add", inputs: ["y0", "x"], outputs: ["y"] },
      ],
    }, { ...feeds, m: randomTensor([2, 9, 6], 42) });
  });

  it("a reversing slice of an import-time tensor folds", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", undefined)],
      initializers: [tensor("s", "i64", [1], [-1]),
        tensor("e", "i64", [1], [-100]), tensor("st", "i64", [1], [-1]), tensor("ax", "i64", [1], [0])],
      nodes: [
        { op: "Constant", inputs: [], outputs: ["k"], attrs: { value: { t: tensor("v", "f32", [6], [1, 2, 3, 4, 5, 6]) } } },
        { op: "Slice", inputs: ["k", "s", "e", "ax", "st"], outputs: ["r"] },
        { op: "Mul", inputs: ["x", "r"], outputs: ["y0"] },
        { op: "Slice", inputs: ["y0", "ax", "s", "s"], outputs: ["y"] },
      ],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["constant", "mul", "slice"]);
  });

  it("a Slice or Split that takes a Concat apart again returns the parts", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("a", "f32", [2, 3, 6]), valueInfo("b", "f32", [2, 4, 6])],
      outputs: ["c", "s", "p", "q"].map((n) => valueInfo(n, "f32", undefined)),
      initializers: [tensor("start", "i64", [1], [3]), tensor("end", "i64", [1], [7]), tensor("axis", "i64", [1], [1]),
        tensor("sizes", "i64", [2], [3, 4])],
      nodes: [
        { op: "Concat", inputs: ["a", "b"], outputs: ["c"], attrs: { axis: { i: 1 } } },
        { op: "Slice", inputs: ["c", "start", "end", "axis"], outputs: ["s"] },
        { op: "Split", inputs: ["c", "sizes"], outputs: ["p", "q"], attrs: { axis: { i: -2 } } },
      ],
    }, { a: randomTensor([2, 3, 6], 43), b: randomTensor([2, 4, 6], 44) });
    expect(graph.nodes.map((n) => n.op)).toEqual(["concat"]);
    const input = (name: string) => graph.inputs.find((i) => i.name === name)!.id;
    expect(graph.outputs.map((o) => o.id)).toEqual([graph.nodes[0]!.results[0], input("b"), input("a"), input("b")]);
  });
});

describe("Gather", () => {
  const W = tensor("w", "f32", [7, 6], Array.from({ length: 42 }, (_, i) => Math.sin(i)));
  const ids = fromArray("i64", [2, 3], [0, 6, 3, 3, 1, 2]);

  it("rows of a float matrix by runtime ids become an embedding", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("ids", "i64", ["batch", "seq"])], outputs: [valueInfo("y", "f32", ["batch", "seq", 6])],
      initializers: [W], nodes: [{ op: "Gather", inputs: ["w", "ids"], outputs: ["y"] }],
    }, { ids });
    expect(graph.nodes.map((n) => n.op)).toEqual(["embedding"]);
  });

  it("runtime ids along axis 1 and from integer data are gathers, with no transposes or casts", async () => {
    const graph = await expectAgree({
      inputs: [X, valueInfo("ids", "i64", [2, 3]), valueInfo("n", "i32", [4, 5])],
      outputs: [valueInfo("y", "f32", undefined), valueInfo("z", "i32", undefined)],
      nodes: [
        { op: "Gather", inputs: ["x", "ids"], outputs: ["y"], attrs: { axis: { i: 1 } } },
        { op: "Gather", inputs: ["n", "ids"], outputs: ["z"], attrs: { axis: { i: -1 } } },
      ],
    }, { ...feeds, ids: fromArray("i64", [2, 3], [4, 0, 2, 1, 1, 3]), n: fromArray("i32", [4, 5], [...Array(20).keys()]) });
    expect(graph.nodes.map((n) => [n.op, n.attrs["axis"]])).toEqual([["gather", 1], ["gather", 1]]);
  });

  it("a float matrix along axis 1 is a gather, not an embedding", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("ids", "i64", ["n"])], outputs: [valueInfo("y", "f32", [7, "n"])],
      initializers: [W], nodes: [{ op: "Gather", inputs: ["w", "ids"], outputs: ["y"], attrs: { axis: { i: 1 } } }],
    }, { ids: fromArray("i64", [4], [5, 0, 5, 2]) });
    expect(graph.nodes.map((n) => n.op)).toEqual(["gather"]);
  });

  it("a scalar index, a contiguous run and scattered constant indices", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: ["a", "b", "c"].map((n) => valueInfo(n, "f32", undefined)),
      initializers: [tensor("i", "i64", [], [-1]), tensor("run", "i64", [3], [1, 2, 3]), tensor("mix", "i64", [2, 2], [5, 0, 2, 2])],
      nodes: [
        { op: "Gather", inputs: ["x", "i"], outputs: ["a"], attrs: { axis: { i: 2 } } },
        { op: "Gather", inputs: ["x", "run"], outputs: ["b"], attrs: { axis: { i: 2 } } },
        { op: "Gather", inputs: ["x", "mix"], outputs: ["c"], attrs: { axis: { i: 2 } } },
      ],
    }, feeds);
    expect(graph.nodes.filter((n) => n.op === "gather" || n.op === "embedding").map((n) => n.op)).toEqual(["gather"]);
  });

  it("negative constant indices on a symbolic axis count from its run-time size", async () => {
    const graph = await expectAgree({
      inputs: [X], outputs: [valueInfo("y", "f32", ["batch", 2, 6])],
      initializers: [tensor("i", "i64", [2], [-1, 0])],
      nodes: [{ op: "Gather", inputs: ["x", "i"], outputs: ["y"], attrs: { axis: { i: 1 } } }],
    }, feeds);
    expect(graph.nodes.filter((n) => n.op === "size").map((n) => n.attrs["dim"])).toEqual(["seq-1"]);
  });
});

describe("GatherND", () => {
  it("coordinate pairs into runtime data, rows of a parameter, and a folded lookup", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("d", "i64", ["batch", "seq"]), valueInfo("idx", "i64", [3, 2])],
      outputs: [valueInfo("y", "i64", [3]), valueInfo("r", "f32", [2, 3]), valueInfo("f", "i64", [2])],
      initializers: [tensor("k", "f32", [2, 3], [1, 2, 3, 4, 5, 6]), tensor("rows", "i64", [2, 1], [1, 0]),
        tensor("ki", "i64", [2, 3], [10, 11, 12, 13, 14, 15]), tensor("pairs", "i64", [2, 2], [1, 2, 0, -1])],
      nodes: [
        { op: "GatherND", inputs: ["d", "idx"], outputs: ["y"] },
        { op: "GatherND", inputs: ["k", "rows"], outputs: ["r"] },
        { op: "GatherND", inputs: ["ki", "pairs"], outputs: ["f"] },
      ],
    }, { d: fromArray("i64", [2, 4], [5, 6, 7, 8, 9, 10, 11, 12]), idx: fromArray("i64", [3, 2], [1, 3, 0, 0, 1, 1]) });
    const constants = graph.nodes.filter((n) => n.op === "constant").map((n) => n.attrs["values"]);
    expect(constants).toContainEqual([15, 12]);
    expect(constants).toContainEqual([1, 0]);
    const ops = graph.nodes.map((n) => n.op);
    expect(ops.filter((op) => op === "gather")).toHaveLength(2);
    expect(ops.filter((op) => ["embedding", "cast", "transpose"].includes(op))).toEqual([]);
  });

  it("negative constant coordinates into data of symbolic size", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("d", "f32", ["batch", "seq", 2])], outputs: [valueInfo("y", "f32", [2, 2])],
      initializers: [tensor("pairs", "i64", [2, 2], [-1, 0, 0, -1])],
      nodes: [{ op: "GatherND", inputs: ["d", "pairs"], outputs: ["y"] }],
    }, { d: randomTensor([3, 4, 2], 45) });
    expect(graph.nodes.filter((n) => n.op === "size").map((n) => n.attrs["dim"])).toEqual(["batch*seq-seq", "seq-1"]);
  });

  it("coordinates joined by Concat are used without slicing them back out", async () => {
    const graph = await expectAgree({
      inputs: [valueInfo("d", "i64", ["batch", "seq"]), valueInfo("b", "i64", [3, 1]), valueInfo("t", "i64", [3, 1])],
      outputs: [valueInfo("y", "i64", [3])],
      nodes: [
        { op: "Concat", inputs: ["b", "t"], outputs: ["idx"], attrs: { axis: { i: -1 } } },
        { op: "GatherND", inputs: ["d", "idx"], outputs: ["y"] },
      ],
    }, { d: fromArray("i64", [2, 4], [5, 6, 7, 8, 9, 10, 11, 12]), b: fromArray("i64", [3, 1], [1, 0, 1]),
      t: fromArray("i64", [3, 1], [3, 0, 1]) });
    expect(graph.nodes.map((n) => n.op).sort()).toEqual(["add", "gather", "mul", "reshape", "reshape", "size"]);
  });
});
