// ONNX TensorProto -> element data: maps ONNX element types to IR dtypes, and decodes raw_data (little-endian),
// the typed fields (float_data, int32_data, int64_data, double_data, uint64_data) and external data files
// (`location` relative to the model's folder, optional `offset` and `length`).
// Invariants: decoded data uses the runtime layout of ir/tensor.ts (Float32Array for f32/f16/bf16/f8, Float64Array
// for f64 and i64, Int32Array i32, Int8Array i8, Uint8Array u8/bool); 16- and 8-bit floats are widened exactly.

import { closeSync, openSync, readSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fail } from "../../diagnostics.ts";
import type { DType } from "../../../ir/dtype.ts";
import { halfToFloat } from "../../../ir/half.ts";
import type { Tensor, TensorData } from "../../../ir/tensor.ts";
import { E_DTYPE, E_EXTERNAL_DATA, E_MALFORMED } from "./errors.ts";
import { ONNX_DATA_TYPE as T, type TensorMsg } from "./schema.ts";

const DTYPE_OF: Readonly<Record<number, DType>> = {
  [T.FLOAT]: "f32", [T.DOUBLE]: "f64", [T.FLOAT16]: "f16", [T.BFLOAT16]: "bf16", [T.FLOAT8E4M3FN]: "f8e4m3",
  [T.FLOAT8E5M2]: "f8e5m2", [T.INT64]: "i64", [T.INT32]: "i32", [T.INT8]: "i8", [T.UINT8]: "u8", [T.BOOL]: "bool",
};

const ONNX_TYPE_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k]));

/** The ONNX element type code of an IR dtype (for Cast targets and tests). */
export function onnxTypeOf(dtype: DType): number {
  const entry = Object.entries(DTYPE_OF).find(([, d]) => d === dtype);
  if (!entry) throw new Error(`dtype ${dtype} has no ONNX element type`);
  return Number(entry[0]);
}

/** Maps an ONNX element type to an IR dtype; `what` names the tensor or value for the error. */
export function dtypeOf(code: number, what: string): DType {
  const dtype = DTYPE_OF[code];
  if (dtype) return dtype;
  const name = ONNX_TYPE_NAME[code] ?? `code ${code}`;
  return fail(E_DTYPE, `${what} has ONNX element type ${name}, which trainc does not support`,
    `supported element types: ${Object.values(DTYPE_OF).join(", ")}; convert the model (e.g. cast the tensor to float32)`);
}

/** Decodes a TensorProto. `dir` is the model's folder (for external data); `what` names it in errors. */
export function decodeTensor(msg: TensorMsg, dir: string, what: string): Tensor {
  const dtype = dtypeOf(msg.data_type ?? 0, what);
  const shape = (msg.dims ?? []).map(Number);
  const numel = shape.reduce((a, b) => a * b, 1);
  const raw = msg.data_location === 1 ? readExternal(msg, dir, what) : msg.raw_data;
  const data = raw && (raw.length > 0 || numel === 0) ? fromRaw(raw, dtype, numel, what) : fromFields(msg, dtype, numel, what);
  return { dtype, shape, data };
}

function sizeMismatch(what: string, got: number, want: number): never {
  return fail(E_MALFORMED, `tensor ${what} holds ${got} elements but its shape needs ${want}`,
    "the model file is damaged or was written by a broken exporter; re-export it");
}

const BYTES: Readonly<Record<DType, number>> = {
  f64: 8, f32: 4, f16: 2, bf16: 2, f8e4m3: 1, f8e5m2: 1, i64: 8, i32: 4, i8: 1, u8: 1, bool: 1, nf4: 0, int4: 0,
};

function fromRaw(raw: Uint8Array, dtype: DType, numel: number, what: string): TensorData {
  const width = BYTES[dtype];
  if (raw.length !== numel * width) sizeMismatch(what, raw.length / width, numel);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (get: (offset: number) => number, out: TensorData): TensorData => {
    for (let i = 0; i < numel; i++) out[i] = get(i * width);
    return out;
  };
  switch (dtype) {
    case "f32": return read((o) => view.getFloat32(o, true), new Float32Array(numel));
    case "f64": return read((o) => view.getFloat64(o, true), new Float64Array(numel));
    case "f16": return read((o) => halfToFloat(view.getUint16(o, true)), new Float32Array(numel));
    case "bf16": return read((o) => bf16ToFloat(view.getUint16(o, true)), new Float32Array(numel));
    case "f8e4m3": return read((o) => f8e4m3ToFloat(view.getUint8(o)), new Float32Array(numel));
    case "f8e5m2": return read((o) => f8e5m2ToFloat(view.getUint8(o)), new Float32Array(numel));
    case "i64": return read((o) => Number(view.getBigInt64(o, true)), new Float64Array(numel));
    case "i32": return read((o) => view.getInt32(o, true), new Int32Array(numel));
    case "i8": return read((o) => view.getInt8(o), new Int8Array(numel));
    case "bool": return read((o) => (view.getUint8(o) !== 0 ? 1 : 0), new Uint8Array(numel));
    default: return read((o) => view.getUint8(o), new Uint8Array(numel));
  }
}

function fromFields(msg: TensorMsg, dtype: DType, numel: number, what: string): TensorData {
  const pick = (values: readonly number[] | undefined, out: TensorData, convert = (v: number) => v): TensorData => {
    const list = values ?? [];
    if (list.length !== numel) sizeMismatch(what, list.length, numel);
    for (let i = 0; i < numel; i++) out[i] = convert(Number(list[i]));
    return out;
  };
  switch (dtype) {
    case "f32": return pick(msg.float_data, new Float32Array(numel));
    case "f64": return pick(msg.double_data, new Float64Array(numel));
    case "f16": return pick(msg.int32_data, new Float32Array(numel), halfToFloat);
    case "bf16": return pick(msg.int32_data, new Float32Array(numel), bf16ToFloat);
    case "f8e4m3": return pick(msg.int32_data, new Float32Array(numel), f8e4m3ToFloat);
    case "f8e5m2": return pick(msg.int32_data, new Float32Array(numel), f8e5m2ToFloat);
    case "i64": return pick(msg.int64_data, new Float64Array(numel));
    case "i32": return pick(msg.int32_data, new Int32Array(numel));
    case "i8": return pick(msg.int32_data, new Int8Array(numel));
    case "bool": return pick(msg.int32_data, new Uint8Array(numel), (v) => (v !== 0 ? 1 : 0));
    default: return pick(msg.int32_data, new Uint8Array(numel));
  }
}

function readExternal(msg: TensorMsg, dir: string, what: string): Uint8Array {
  const entries = new Map((msg.external_data ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
  const location = entries.get("location");
  if (!location) {
    fail(E_EXTERNAL_DATA, `tensor ${what} says its data is external but gives no location`,
      "the model file is damaged; re-export it with its external data");
  }
  const file = isAbsolute(location) ? location : resolve(dir, location);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return fail(E_EXTERNAL_DATA, `external data file ${file} of tensor ${what} does not exist`,
      "keep the external data file next to the .onnx file (its location is relative to the model's folder)");
  }
  const offset = Number(entries.get("offset") ?? "0");
  const length = entries.has("length") ? Number(entries.get("length")) : size - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
    fail(E_EXTERNAL_DATA, `tensor ${what}: bytes ${offset}..${offset + length} are outside ${file} (${size} bytes)`,
      "the external data file does not match the model; re-export both together");
  }
  const out = new Uint8Array(length);
  const fd = openSync(file, "r");
  try {
    let done = 0;
    while (done < length) done += readSync(fd, out, done, length - done, offset + done);
  } finally {
    closeSync(fd);
  }
  return out;
}

/** bfloat16 bits -> number (exact): the top half of a float32. */
export function bf16ToFloat(bits: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setUint32(0, (bits & 0xffff) << 16);
  return buf.getFloat32(0);
}

/** float8 e4m3fn bits -> number: bias 7, no infinities, S.1111.111 is NaN. */
export function f8e4m3ToFloat(bits: number): number {
  const sign = bits & 0x80 ? -1 : 1;
  const exp = (bits >> 3) & 0xf;
  const mant = bits & 0x7;
  if (exp === 0xf && mant === 0x7) return NaN;
  if (exp === 0) return sign * mant * 2 ** -9;
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/** float8 e5m2 bits -> number: IEEE-like with bias 15. */
export function f8e5m2ToFloat(bits: number): number {
  const sign = bits & 0x80 ? -1 : 1;
  const exp = (bits >> 2) & 0x1f;
  const mant = bits & 0x3;
  if (exp === 0) return sign * mant * 2 ** -16;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 4) * 2 ** (exp - 15);
}
