// Test helper: runs one ONNX model through onnxruntime-node and through loadOnnx + the reference interpreter, and
// checks that every output agrees: same dtype and shape, integers and bools exactly, floats within 1e-5 relative
// (‖ours − ort‖ / ‖ort‖ over the finite elements; infinities and NaNs must sit at the same positions).
// Invariant: the same feeds go to both runtimes; parameters come from the importer (the float initializers).

import { relativeError } from "../../harness/numeric.ts";
import ort from "onnxruntime-node";
import { expect } from "vitest";
import type { DType } from "../../../ir/dtype.ts";
import type { Graph } from "../../../ir/graph.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { fromArray, type Tensor } from "../../../ir/tensor.ts";
import { verifyGraph } from "../../../ir/verify.ts";
import { loadOnnx } from "../../../compiler/import/onnx/import.ts";
import { encodeModel, writeTemp, type ModelSpec } from "./onnx-model.ts";

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  f32: "float32", f64: "float64", i64: "int64", i32: "int32", i8: "int8", u8: "uint8", bool: "bool",
};

const FROM_ORT = Object.fromEntries(Object.entries(ORT_TYPE).map(([k, v]) => [v, k])) as Readonly<Record<string, DType>>;

function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype];
  if (!type) throw new Error(`no onnxruntime type for ${t.dtype}`);
  const data = t.dtype === "i64" ? BigInt64Array.from(Array.from(t.data, (v) => BigInt(v))) : t.data;
  return new ort.Tensor(type, data, [...t.shape]);
}

function fromOrt(t: ort.Tensor): Tensor {
  const dtype = FROM_ORT[t.type];
  if (!dtype) throw new Error(`unexpected onnxruntime output type ${t.type}`);
  const values = Array.from(t.data as ArrayLike<number | bigint>, Number);
  return fromArray(dtype, [...t.dims], values);
}

/** Runs encoded model bytes with onnxruntime-node. */
export async function runOrt(bytes: Uint8Array, feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const results = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, fromOrt(v)]));
}

/** Imports the file at `path` and runs it through the interpreter. */
export function runTrainc(path: string, feeds: Readonly<Record<string, Tensor>>): { graph: Graph; outputs: Record<string, Tensor> } {
  const { graph, parameters } = loadOnnx(path);
  verifyGraph(graph);
  return { graph, outputs: interpret(graph, { ...feeds, ...parameters }) };
}


/** Checks one output against onnxruntime's. */
export function expectClose(name: string, ours: Tensor, theirs: Tensor, tolerance = 1e-5): void {
  expect(`${name}: ${ours.dtype}[${ours.shape.join(",")}]`).toBe(`${name}: ${theirs.dtype}[${theirs.shape.join(",")}]`);
  if (ours.dtype.startsWith("f")) {
    expect(relativeError(ours.data, theirs.data), name).toBeLessThanOrEqual(tolerance);
  } else {
    expect(Array.from(ours.data), name).toEqual(Array.from(theirs.data));
  }
}

/** Builds the model, runs both runtimes on `feeds`, checks every output; returns our graph for further checks. */
export async function expectAgree(spec: ModelSpec, feeds: Readonly<Record<string, Tensor>>): Promise<Graph> {
  const bytes = encodeModel(spec);
  const reference = await runOrt(bytes, feeds);
  const { graph, outputs } = runTrainc(writeTemp(bytes), feeds);
  for (const [name, t] of Object.entries(reference)) expectClose(name, outputs[name]!, t);
  return graph;
}

/** Deterministic pseudo-random numbers in [lo, hi) (mulberry32). */
export function randomValues(count: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

/** A random f32 tensor of a concrete shape. */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  return fromArray("f32", shape, randomValues(shape.reduce((a, b) => a * b, 1), seed, lo, hi));
}

export { relativeError };
