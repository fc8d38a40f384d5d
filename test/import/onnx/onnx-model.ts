// Test helper: builds small ONNX models in memory with protobufjs from the importer's own schema
// (compiler/import/onnx/schema.ts) and writes them to a temporary folder. Attributes are tagged by kind ({ i }, { f },
// { ints }, { floats }, { s }, { t }, or { ref, type } inside a function body) so their encoded type is never guessed.
// Invariant: models default to IR version 9 and opset 18 of the default domain.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DType } from "../../../ir/dtype.ts";
import { ONNX_ATTR_TYPE, onnxType } from "../../../compiler/import/onnx/schema.ts";
import { onnxTypeOf } from "../../../compiler/import/onnx/tensors.ts";

export type AttrSpec =
  | { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string } | { t: object }
  | { ref: string; type: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrSpec>;
  name?: string;
  domain?: string;
}

export interface ModelSpec {
  inputs: object[];
  outputs: object[];
  nodes: NodeSpec[];
  initializers?: object[];
  opset?: number;
  irVersion?: number;
  functions?: object[];
  extraOpsets?: { domain: string; version: number }[];
}

function attribute(name: string, spec: AttrSpec): object {
  if ("i" in spec) return { name, type: ONNX_ATTR_TYPE.INT, i: spec.i };
  if ("f" in spec) return { name, type: ONNX_ATTR_TYPE.FLOAT, f: spec.f };
  if ("ints" in spec) return { name, type: ONNX_ATTR_TYPE.INTS, ints: spec.ints };
  if ("floats" in spec) return { name, type: ONNX_ATTR_TYPE.FLOATS, floats: spec.floats };
  if ("s" in spec) return { name, type: ONNX_ATTR_TYPE.STRING, s: Buffer.from(spec.s) };
  if ("ref" in spec) return { name, type: spec.type, ref_attr_name: spec.ref };
  return { name, type: ONNX_ATTR_TYPE.TENSOR, t: spec.t };
}

/** A NodeProto object; the name defaults to "<op>_<first output>". */
export function node(spec: NodeSpec): object {
  return {
    input: spec.inputs, output: spec.outputs, op_type: spec.op, name: spec.name ?? `${spec.op}_${spec.outputs[0]}`,
    domain: spec.domain ?? "", attribute: Object.entries(spec.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  };
}

/** A ValueInfoProto: numbers are dim_values, strings dim_params, null an unknown dim; shape undefined = no shape. */
export function valueInfo(name: string, dtype: DType, shape: (number | string | null)[] | undefined): object {
  const dim = shape?.map((d) => (d === null ? {} : typeof d === "number" ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: onnxTypeOf(dtype), ...(dim ? { shape: { dim } } : {}) } } };
}

function rawBytes(dtype: DType, values: readonly number[]): Buffer {
  switch (dtype) {
    case "f32": return Buffer.from(new Float32Array(values).buffer);
    case "f64": return Buffer.from(new Float64Array(values).buffer);
    case "i64": return Buffer.from(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    case "i32": return Buffer.from(new Int32Array(values).buffer);
    case "i8": return Buffer.from(new Int8Array(values).buffer);
    default: return Buffer.from(new Uint8Array(values).buffer);
  }
}

/** A TensorProto with raw_data (the exporters' usual encoding). */
export function tensor(name: string, dtype: DType, shape: number[], values: readonly number[]): object {
  return { name, dims: shape, data_type: onnxTypeOf(dtype), raw_data: rawBytes(dtype, values) };
}

/** Encodes a ModelProto. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const type = onnxType("ModelProto");
  const message = type.fromObject({
    ir_version: spec.irVersion ?? 9,
    producer_name: "trainc-tests",
    opset_import: [{ domain: "", version: spec.opset ?? 18 }, ...(spec.extraOpsets ?? [])],
    graph: {
      name: "test", node: spec.nodes.map(node), input: spec.inputs, output: spec.outputs,
      initializer: spec.initializers ?? [],
    },
    functions: spec.functions ?? [],
  });
  return type.encode(message).finish();
}

/** Writes bytes to a fresh temporary folder and returns the file's path. */
export function writeTemp(bytes: Uint8Array, file = "model.onnx"): string {
  const dir = mkdtempSync(join(tmpdir(), "trainc-onnx-"));
  const path = join(dir, file);
  writeFileSync(path, bytes);
  return path;
}
