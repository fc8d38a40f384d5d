// Every user-facing error of the ONNX importer: its code, and that the message names the culprit (file, input,
// tensor, op, node, domain) and that the fix says what to do.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TraincError } from "../../../compiler/diagnostics.ts";
import { loadOnnx } from "../../../compiler/import/onnx/import.ts";
import { onnxType } from "../../../compiler/import/onnx/schema.ts";
import { encodeModel, tensor, valueInfo, writeTemp, type ModelSpec } from "./onnx-model.ts";

function importError(path: string): TraincError {
  try {
    loadOnnx(path);
  } catch (e) {
    if (e instanceof TraincError) return e;
    throw e;
  }
  throw new Error(`importing ${path} did not fail`);
}

function expectError(path: string, code: number, ...parts: string[]): TraincError {
  const e = importError(path);
  expect(e.code, e.format()).toBe(code);
  for (const p of parts) expect(e.format()).toContain(p);
  return e;
}

const X = valueInfo("x", "f32", ["batch", 4]);
const Y = valueInfo("y", "f32", undefined);
const model = (spec: Partial<ModelSpec>) => writeTemp(encodeModel({ inputs: [X], outputs: [Y], nodes: [], ...spec }));

describe("file-level errors", () => {
  it("2301: a missing file or a folder", () => {
    expectError("/nonexistent/model.onnx", 2301, "/nonexistent/model.onnx", "does not exist");
    expectError(tmpdir(), 2301, "is not a file");
  });

  it("2302: bytes that are not an ONNX model", () => {
    const dir = mkdtempSync(join(tmpdir(), "trainc-onnx-"));
    writeFileSync(join(dir, "text.onnx"), "this is a config file, not a model\n");
    expectError(join(dir, "text.onnx"), 2302, "text.onnx", "is not an ONNX model");
    const noGraph = onnxType("ModelProto").encode({ ir_version: 9 }).finish();
    expectError(writeTemp(noGraph), 2302, "no graph");
  });

  it("2303: an IR version outside 3..10", () => {
    expectError(model({ irVersion: 11 }), 2303, "IR version 11", "between 3 and 10");
  });

  it("2304: an opset outside 17..21", () => {
    expectError(model({ opset: 16 }), 2304, "opset 16", "17 to 21");
    expectError(model({ opset: 22 }), 2304, "opset 22");
  });
});

describe("graph errors", () => {
  it("2305: an unsupported op names the op, the node and the supported ops", () => {
    const e = expectError(model({ nodes: [{ op: "Erf", inputs: ["x"], outputs: ["y"], name: "gelu_erf" }] }),
      2305, "Erf", "gelu_erf", "is not supported");
    expect(e.fix).toContain("MatMul");
    expect(e.fix).toContain("Softmax");
  });

  it("2305: an op from another domain names the domain", () => {
    expectError(model({
      extraOpsets: [{ domain: "com.microsoft", version: 1 }],
      nodes: [{ op: "FusedMatMul", inputs: ["x", "x"], outputs: ["y"], name: "fused", domain: "com.microsoft" }],
    }), 2305, "FusedMatMul", "fused", "com.microsoft");
  });

  it("2306: an unsupported element type names the input or the Cast", () => {
    expectError(model({ inputs: [{ name: "u", type: { tensor_type: { elem_type: 4, shape: { dim: [] } } } }] }),
      2306, "graph input 'u'", "UINT16");
    expectError(model({ nodes: [{ op: "Cast", inputs: ["x"], outputs: ["y"], name: "to_string", attrs: { to: { i: 8 } } }] }),
      2306, "to_string", "STRING");
  });

  it("2307: an input with unknown rank, or that is not a tensor", () => {
    expectError(model({ inputs: [valueInfo("x", "f32", undefined)] }), 2307, "'x'", "unknown rank");
    expectError(model({ inputs: [{ name: "seq", type: {} }] }), 2307, "'seq'", "not a dense tensor");
  });

  it("2308: a shape only known at run time names the node", () => {
    expectError(model({
      inputs: [X, valueInfo("shape", "i64", [2])],
      nodes: [{ op: "Reshape", inputs: ["x", "shape"], outputs: ["y"], name: "dynamic_view" }],
    }), 2308, "dynamic_view", "'shape'", "only known at run time");
  });

  it("2308: a Range whose length is not a whole number of steps for every size", () => {
    expectError(model({
      initializers: [tensor("zero", "i64", [], [0]), tensor("two", "i64", [], [2]), tensor("one", "i64", [], [1])],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Gather", inputs: ["s", "zero"], outputs: ["b"] },
        { op: "Range", inputs: ["zero", "b", "two"], outputs: ["y"], name: "stepped" },
      ],
    }), 2308, "stepped", "batch");
  });

  it("2310: a value used before it is defined", () => {
    expectError(model({ nodes: [{ op: "Neg", inputs: ["later"], outputs: ["y"], name: "early" }] }),
      2310, "early", "'later'");
  });

  it("2310: GatherND index tuples longer than the data's rank", () => {
    expectError(model({
      initializers: [tensor("idx", "i64", [1, 3], [0, 1, 2])],
      nodes: [{ op: "GatherND", inputs: ["x", "idx"], outputs: ["y"], name: "too_deep" }],
    }), 2310, "too_deep", "length 3", "rank 2");
  });

  it("2311: a reversing slice of a run-time tensor", () => {
    expectError(model({
      initializers: [tensor("s", "i64", [1], [-1]), tensor("e", "i64", [1], [-100]), tensor("a", "i64", [1], [1])],
      nodes: [{ op: "Slice", inputs: ["x", "s", "e", "a", "s"], outputs: ["y"], name: "flip" }],
    }), 2311, "flip", "negative step");
  });

  it("2312: operands whose types do not fit the mapped op", () => {
    expectError(model({
      inputs: [X, valueInfo("n", "i64", [4])],
      nodes: [{ op: "Add", inputs: ["x", "n"], outputs: ["y"], name: "mixed_add" }],
    }), 2312, "mixed_add", "dtypes differ");
  });
});
