// Decoding details of the ONNX importer: tensors in typed fields (float_data, int64_data, int32_data, double_data)
// and in f16/bf16 raw bytes, external data resolved next to the model, model-local functions inlined (attribute
// references and defaults), dim_param sanitizing, unknown dims, initializers listed as inputs (old IR versions),
// and the forward graph's interface: ONNX inputs, then float initializers as parameters.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TraincError } from "../../../compiler/diagnostics.ts";
import { loadOnnx } from "../../../compiler/import/onnx/import.ts";
import { bf16ToFloat, f8e4m3ToFloat, f8e5m2ToFloat } from "../../../compiler/import/onnx/tensors.ts";
import { halfToFloat } from "../../../ir/half.ts";
import { fromArray } from "../../../ir/tensor.ts";
import { expectAgree, randomTensor } from "./check.ts";
import { encodeModel, node, tensor, valueInfo, writeTemp } from "./onnx-model.ts";

const X = valueInfo("x", "f32", ["batch", 4]);
const Y = valueInfo("y", "f32", ["batch", 4]);
const feeds = { x: randomTensor([3, 4], 81) };

describe("tensor encodings", () => {
  it("typed fields: float_data, int64_data, double_data, int32_data (f16 bits)", async () => {
    const half = [0x3c00, 0xc000, 0x3555, 0x0001];
    await expectAgree({
      inputs: [X], outputs: [Y],
      initializers: [
        { name: "w", dims: [4], data_type: 1, float_data: [0.5, -1, 2, 0.25] },
        { name: "shape", dims: [2], data_type: 7, int64_data: [-1, 4] },
        { name: "d", dims: [4], data_type: 11, double_data: [1, 2, 3, 4] },
        { name: "h", dims: [4], data_type: 10, int32_data: half },
      ],
      nodes: [
        { op: "Cast", inputs: ["d"], outputs: ["d32"], attrs: { to: { i: 1 } } },
        { op: "Cast", inputs: ["h"], outputs: ["h32"], attrs: { to: { i: 1 } } },
        { op: "Add", inputs: ["x", "w"], outputs: ["a"] },
        { op: "Mul", inputs: ["a", "d32"], outputs: ["b"] },
        { op: "Sub", inputs: ["b", "h32"], outputs: ["c"] },
        { op: "Reshape", inputs: ["c", "shape"], outputs: ["y"] },
      ],
    }, feeds);
  });

  it("narrow float bit patterns widen exactly", () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00].map(halfToFloat)).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    expect([0x3f80, 0xbfc0, 0x0001].map(bf16ToFloat)).toEqual([1, -1.5, 2 ** -133]);
    expect([0x38, 0x7e, 0x01, 0x7f].map(f8e4m3ToFloat)).toEqual([1, 448, 2 ** -9, NaN]);
    expect([0x3c, 0x7b, 0x01, 0x7c].map(f8e5m2ToFloat)).toEqual([1, 57344, 2 ** -16, Infinity]);
  });

  it("bf16 and f64 parameters keep their dtype", () => {
    const path = writeTemp(encodeModel({
      inputs: [X], outputs: [Y],
      initializers: [{ name: "b", dims: [2], data_type: 16, raw_data: Buffer.from(new Uint16Array([0x3f80, 0x4040]).buffer) },
        tensor("d", "f64", [2], [0.1, 0.2])],
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
    }));
    const { parameters } = loadOnnx(path);
    expect([parameters["b"]!.dtype, ...parameters["b"]!.data]).toEqual(["bf16", 1, 3]);
    expect([parameters["d"]!.dtype, ...parameters["d"]!.data]).toEqual(["f64", 0.1, 0.2]);
  });
});

describe("external data", () => {
  function externalModel(location: string, offset: number, length: number): string {
    const dir = mkdtempSync(join(tmpdir(), "trainc-onnx-ext-"));
    const bytes = Buffer.alloc(32);
    new Float32Array(bytes.buffer, 8, 4).set([1.5, -2, 0.25, 8]);
    writeFileSync(join(dir, "weights.bin"), bytes);
    const w = { name: "w", dims: [4], data_type: 1, data_location: 1, external_data: [
      { key: "location", value: location }, { key: "offset", value: String(offset) }, { key: "length", value: String(length) }] };
    const path = join(dir, "model.onnx");
    writeFileSync(path, encodeModel({ inputs: [X], outputs: [Y], initializers: [w],
      nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }] }));
    return path;
  }

  it("reads `location` relative to the model's folder, at offset and length", () => {
    const { parameters } = loadOnnx(externalModel("weights.bin", 8, 16));
    expect(Array.from(parameters["w"]!.data)).toEqual([1.5, -2, 0.25, 8]);
  });

  it("2309: a missing external file or a range outside it", () => {
    for (const [location, offset, length, words] of [["gone.bin", 0, 16, "does not exist"], ["weights.bin", 24, 16, "outside"]] as const) {
      let error: unknown;
      try {
        loadOnnx(externalModel(location, offset, length));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TraincError);
      expect((error as TraincError).code).toBe(2309);
      expect((error as TraincError).message).toContain(words);
      expect((error as TraincError).message).toContain("'w'");
    }
  });
});

describe("model-local functions", () => {
  it("are inlined, with attribute references and defaults resolved", async () => {
    const scale = {
      name: "Scale", domain: "local", input: ["v"], output: ["out"], attribute: ["alpha"],
      attribute_proto: [{ name: "beta", type: 1, f: 0.5 }],
      opset_import: [{ domain: "", version: 18 }],
      node: [
        node({ op: "Constant", inputs: [], outputs: ["a"], attrs: { value_float: { ref: "alpha", type: 1 } } }),
        node({ op: "Constant", inputs: [], outputs: ["b"], attrs: { value_float: { ref: "beta", type: 1 } } }),
        node({ op: "Mul", inputs: ["v", "a"], outputs: ["t"] }),
        node({ op: "Add", inputs: ["t", "b"], outputs: ["out"] }),
      ],
    };
    const twice = {
      name: "Twice", domain: "local", input: ["v"], output: ["out"], opset_import: [{ domain: "local", version: 1 }],
      node: [node({ op: "Scale", inputs: ["v"], outputs: ["h"], domain: "local", attrs: { alpha: { f: 2 } } }),
        node({ op: "Scale", inputs: ["h"], outputs: ["out"], domain: "local", attrs: { alpha: { f: 3 }, beta: { f: -1 } } })],
    };
    const graph = await expectAgree({
      inputs: [X], outputs: [Y], functions: [scale, twice], extraOpsets: [{ domain: "local", version: 1 }],
      nodes: [{ op: "Twice", inputs: ["x"], outputs: ["y"], domain: "local" }],
    }, feeds);
    expect(graph.nodes.map((n) => n.op)).toEqual(["constant", "mul", "constant", "add", "constant", "mul", "constant", "add"]);
  });
});

describe("graph interface", () => {
  it("dim_params are sanitized, unknown dims get a name, float initializers follow the inputs", () => {
    const path = writeTemp(encodeModel({
      inputs: [valueInfo("x", "f32", ["batch size", "2seq", null]), valueInfo("w", "f32", [4])],
      outputs: [valueInfo("y", "f32", undefined), valueInfo("v", "f32", [4])], irVersion: 3,
      initializers: [tensor("w", "f32", [4], [1, 2, 3, 4]), tensor("k", "i64", [1], [4])],
      nodes: [{ op: "Neg", inputs: ["x"], outputs: ["y"] }, { op: "Neg", inputs: ["w"], outputs: ["v"] }],
    }));
    const { graph, parameters } = loadOnnx(path);
    expect(graph.inputs.map((i) => [i.name, graph.types[i.id]!.shape])).toEqual([
      ["x", ["batch_size", "_2seq", "x_dim2"]], ["w", [4]]]);
    expect(Object.keys(parameters)).toEqual(["w"]);
    expect(graph.types[graph.outputs[0]!.id]!.shape).toEqual(["batch_size", "_2seq", "x_dim2"]);
  });

  for (const [irVersion, opset] of [[8, 17], [10, 21]]) {
    it(`IR version ${irVersion} with opset ${opset} imports`, async () => {
      await expectAgree({
        irVersion, opset, inputs: [X], outputs: [Y],
        nodes: [{ op: "Softmax", inputs: ["x"], outputs: ["s"] }, { op: "Add", inputs: ["s", "x"], outputs: ["y"] }],
      }, feeds);
    });
  }

  it("two inputs sharing a dim_param share the symbol", async () => {
    const graph = await expectAgree({
      inputs: [X, valueInfo("z", "f32", ["batch", 1])], outputs: [Y],
      nodes: [{ op: "Mul", inputs: ["x", "z"], outputs: ["y"] }],
    }, { ...feeds, z: fromArray("f32", [3, 1], [1, 2, 3]) });
    expect(graph.types[graph.outputs[0]!.id]!.shape).toEqual(["batch", 4]);
  });
});
