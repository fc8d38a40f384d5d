// Reader and writer for the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}), then the data region, each
// tensor's bytes at [begin, end) relative to the region's start, row-major, little-endian.
// Reading opens the file once, validates the whole header, then reads one tensor at a time with positioned reads,
// converting to the requested IR dtype. Writing computes the header first, then streams tensors in chunks, into a
// temporary file renamed into place at the end, so saving a model needs no second copy of it and a failed save
// leaves nothing behind.
// Invariants: every tensor the reader hands out was checked against the header (size, range, no overlap, the data
// region fully covered); values are converted with ir/tensor.ts's roundTo (bf16/f16 round to nearest even); this
// module assumes a little-endian host, as every platform trainc targets is.
//
// Error codes (2100-2114):
//   2100  file missing or unreadable              2108  two tensors' byte ranges overlap
//   2101  file shorter than 8 bytes                2109  tensors leave a gap or trailing bytes in the data region
//   2102  header length beyond the file           2110  a value cannot be converted to the requested dtype
//   2103  header is not a JSON object             2111  no tensor of that name in the file
//   2104  malformed header entry                  2112  dtype cannot be written (packed / f8) or kinds differ
//   2105  unknown or unsupported dtype            2113  a value does not fit the stored integer dtype
//   2106  shape and byte size disagree            2114  the file could not be written
//   2107  byte range outside the data region

import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { didYouMean, fail, TraincError } from "../diagnostics.ts";
import { DTYPES, type DType } from "../../ir/dtype.ts";
import { allocStorage, numel, roundTo, type Tensor, type TensorData } from "../../ir/tensor.ts";
import { decodeTable, encodeFloat } from "./float-bits.ts";

/** Safetensors dtype name -> IR dtype and element size. F8 types are read-only. */
const FORMATS = {
  F64: { dtype: "f64", bytes: 8 }, F32: { dtype: "f32", bytes: 4 }, F16: { dtype: "f16", bytes: 2 },
  BF16: { dtype: "bf16", bytes: 2 }, F8_E4M3: { dtype: "f8e4m3", bytes: 1 }, F8_E5M2: { dtype: "f8e5m2", bytes: 1 },
  I64: { dtype: "i64", bytes: 8 }, I32: { dtype: "i32", bytes: 4 }, I8: { dtype: "i8", bytes: 1 },
  U8: { dtype: "u8", bytes: 1 }, BOOL: { dtype: "bool", bytes: 1 },
} as const satisfies Record<string, { dtype: DType; bytes: number }>;

/** A dtype name as safetensors headers spell it. */
export type SafetensorsDType = keyof typeof FORMATS;
const KNOWN = Object.keys(FORMATS).join(", ");
const WRITABLE: readonly DType[] = ["f64", "f32", "f16", "bf16", "i64", "i32", "i8", "u8", "bool"];
/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;
/** Elements encoded per write when saving. */
const CHUNK = 1 << 20;

/** One tensor's header entry. `offset` is absolute in the file. */
export interface TensorInfo {
  readonly name: string;
  readonly file: string;
  readonly format: SafetensorsDType;
  /** The IR dtype the stored one maps to (what `read` returns by default). */
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly byteLength: number;
}

/** A set of named tensors read on demand: one safetensors file, or a sharded checkpoint (compiler/import/hf). */
export interface TensorSource {
  /** The file that names the tensors (the safetensors file, or a sharded checkpoint's index), for messages. */
  readonly path: string;
  /** Tensor names in file order. */
  names(): string[];
  info(name: string): TensorInfo | undefined;
  /** Reads one tensor, converted to `dtype` (default: the stored dtype's IR dtype). */
  read(name: string, dtype?: DType): Tensor;
  close(): void;
}

/** An open safetensors file with a validated header. */
export class SafetensorsFile implements TensorSource {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  private readonly fd: number;
  private readonly entries: ReadonlyMap<string, TensorInfo>;

  private constructor(path: string, fd: number, metadata: Record<string, string>, entries: Map<string, TensorInfo>) {
    this.path = path;
    this.fd = fd;
    this.metadata = metadata;
    this.entries = entries;
  }

  /** Opens `path` and validates its header; the caller closes it. */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      return fail(2100, `cannot open safetensors file '${path}': ${(e as Error).message}`, "check the path");
    }
    try {
      const { metadata, entries } = readHeader(path, fd);
      return new SafetensorsFile(path, fd, metadata, entries);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  info(name: string): TensorInfo | undefined {
    return this.entries.get(name);
  }

  read(name: string, dtype?: DType): Tensor {
    const info = this.entries.get(name);
    if (!info) {
      const hint = didYouMean(name, this.entries.keys());
      fail(2111, `${this.path} has no tensor '${name}'`, hint ? `did you mean '${hint}'?` : `it holds: ${this.names().slice(0, 8).join(", ")}`);
    }
    const bytes = new Uint8Array(info.byteLength);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.fd, bytes, done, Math.min(bytes.length - done, 1 << 30), info.offset + done);
      if (n === 0) fail(2100, `${this.path} ended while reading tensor '${name}'`, "the file was truncated; copy it again");
      done += n;
    }
    return decodeTensor(info, bytes, dtype ?? info.dtype);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads every tensor of a file (for small files such as batches and references). */
export function readSafetensors(path: string, dtype?: DType): Record<string, Tensor> {
  const file = SafetensorsFile.open(path);
  try {
    return Object.fromEntries(file.names().map((n) => [n, file.read(n, dtype)]));
  } finally {
    file.close();
  }
}

function readHeader(path: string, fd: number): { metadata: Record<string, string>; entries: Map<string, TensorInfo> } {
  const size = fstatSync(fd).size;
  if (size < 8) fail(2101, `${path} is ${size} bytes long, shorter than the 8-byte safetensors header length`, "the file is truncated or not a safetensors file");
  const lengthBytes = new Uint8Array(8);
  readSync(fd, lengthBytes, 0, 8, 0);
  const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
  if (headerLength > size - 8 || headerLength > MAX_HEADER) {
    fail(2102, `${path}: the header claims ${headerLength} bytes but the file has ${size - 8} after the length field`, "the file is truncated or not a safetensors file");
  }
  const headerBytes = new Uint8Array(headerLength);
  readSync(fd, headerBytes, 0, headerLength, 8);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (e) {
    fail(2103, `${path}: the header is not JSON (${(e as Error).message})`, "the file is corrupt or not a safetensors file");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail(2103, `${path}: the header is not a JSON object`, "the file is corrupt or not a safetensors file");
  const dataStart = 8 + headerLength;
  const { __metadata__: metadata, ...tensors } = header as Record<string, unknown>;
  const entries = new Map<string, TensorInfo>();
  for (const [name, raw] of Object.entries(tensors)) entries.set(name, parseEntry(path, name, raw, dataStart, size));
  checkLayout(path, [...entries.values()], dataStart, size);
  return { metadata: parseMetadata(path, metadata), entries };
}

function parseMetadata(path: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === "string")) {
    fail(2104, `${path}: __metadata__ must map strings to strings, got ${JSON.stringify(raw).slice(0, 60)}`, "the file is corrupt");
  }
  return raw as Record<string, string>;
}

function parseEntry(path: string, name: string, raw: unknown, dataStart: number, size: number): TensorInfo {
  const bad = (what: string): never => fail(2104, `${path}: tensor '${name}' has ${what}`, "the file is corrupt; save it again");
  if (typeof raw !== "object" || raw === null) return bad("no {dtype, shape, data_offsets} entry");
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string") return bad(`dtype ${JSON.stringify(dtype)}`);
  if (!Object.hasOwn(FORMATS, dtype)) {
    fail(2105, `${path}: tensor '${name}' has dtype '${dtype}', which trainc does not read (known: ${KNOWN})`, "convert the checkpoint to one of the known dtypes");
  }
  const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex)) return bad(`shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    return bad(`data_offsets ${JSON.stringify(offsets)}`);
  }
  const format = dtype as SafetensorsDType;
  const [begin, end] = offsets as [number, number];
  const expected = numel(shape) * FORMATS[format].bytes;
  if (end - begin !== expected) {
    fail(2106, `${path}: tensor '${name}' (${dtype} [${shape.join(",")}]) needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`, "the file is corrupt; save it again");
  }
  if (dataStart + end > size) {
    fail(2107, `${path}: tensor '${name}' ends at byte ${end} of the data region, which has ${size - dataStart}`, "the file is truncated; copy it again");
  }
  return { name, file: path, format, dtype: FORMATS[format].dtype, shape, offset: dataStart + begin, byteLength: end - begin };
}

/** The tensors, sorted by offset, must tile the data region exactly. */
function checkLayout(path: string, infos: TensorInfo[], dataStart: number, size: number): void {
  const sorted = [...infos].sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  let at = dataStart;
  let previous = "the header";
  for (const info of sorted) {
    if (info.offset < at) fail(2108, `${path}: tensors '${previous}' and '${info.name}' overlap`, "the file is corrupt; save it again");
    if (info.offset > at) {
      fail(2109, `${path}: ${info.offset - at} bytes between ${previous === "the header" ? "the header" : `'${previous}'`} and '${info.name}' belong to no tensor`, "the file is corrupt; save it again");
    }
    at = info.offset + info.byteLength;
    previous = info.name;
  }
  if (at !== size) fail(2109, `${path}: ${size - at} bytes after the last tensor belong to no tensor`, "the file is corrupt or has data appended; save it again");
}

/** Stored bytes -> plain numbers (integers exact, floats decoded). */
function storedValues(info: TensorInfo, bytes: Uint8Array): ArrayLike<number> {
  const n = numel(info.shape);
  const buffer = bytes.buffer;
  switch (info.format) {
    case "F64": return new Float64Array(buffer, 0, n);
    case "F32": return new Float32Array(buffer, 0, n);
    case "F16": case "BF16": case "F8_E4M3": case "F8_E5M2": {
      const table = decodeTable(info.format);
      const codes = info.format.startsWith("F8") ? bytes : new Uint16Array(buffer, 0, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[codes[i]!]!;
      return out;
    }
    case "I64": return int64Values(info, new BigInt64Array(buffer, 0, n));
    case "I32": return new Int32Array(buffer, 0, n);
    case "I8": return new Int8Array(buffer, 0, n);
    case "U8": case "BOOL": return bytes;
  }
}

function int64Values(info: TensorInfo, big: BigInt64Array): Float64Array {
  const out = new Float64Array(big.length);
  for (let i = 0; i < big.length; i++) {
    const v = big[i]!;
    if (v > 9007199254740992n || v < -9007199254740992n) {
      fail(2110, `${info.file}: tensor '${info.name}' holds ${v} at index ${i}, beyond the 2^53 that trainc's i64 keeps exactly`, "store ids and positions below 2^53");
    }
    out[i] = Number(v);
  }
  return out;
}

function decodeTensor(info: TensorInfo, bytes: Uint8Array, dtype: DType): Tensor {
  const storedKind = DTYPES[info.dtype].kind === "float" ? "float" : "integer";
  const wantedKind = DTYPES[dtype].kind === "float" ? "float" : DTYPES[dtype].kind === "packed" ? "packed" : "integer";
  if (storedKind !== wantedKind) {
    fail(2110, `${info.file}: tensor '${info.name}' is ${info.format}; it cannot be read as ${dtype}`, `read it as a${storedKind === "float" ? " float" : "n integer or bool"} dtype`);
  }
  const values = storedValues(info, bytes);
  const data = allocStorage(dtype, values.length);
  if ((dtype === info.dtype && dtype !== "bool") || dtype === "f64" || dtype === "f32") data.set(values);
  else convertInto(info, values, data, dtype);
  return { dtype, shape: [...info.shape], data };
}

function convertInto(info: TensorInfo, values: ArrayLike<number>, data: TensorData, dtype: DType): void {
  const exact = DTYPES[dtype].kind !== "float";
  for (let i = 0; i < values.length; i++) {
    const v = roundTo(dtype, values[i]!);
    if (exact && v !== values[i]) {
      fail(2110, `${info.file}: tensor '${info.name}' holds ${values[i]} at index ${i}, which ${dtype} cannot hold`, `read it as ${info.dtype}`);
    }
    data[i] = v;
  }
}

/** How writeSafetensors stores tensors. */
export interface WriteOptions {
  /** Stored dtype of float tensors (default: each tensor's own); integer and bool tensors keep theirs. */
  readonly dtype?: DType;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A tensor's place in the file being written; `begin` is relative to the data region. */
interface Planned {
  readonly name: string;
  readonly tensor: Tensor;
  readonly dtype: DType;
  readonly format: SafetensorsDType;
  readonly begin: number;
}

/**
 * Writes `tensors` to `path`: wider element types first (each tensor then starts aligned to its element size, as
 * the header is padded to a multiple of 8 bytes), otherwise in the given order. Floats round to nearest even.
 */
export function writeSafetensors(path: string, tensors: Readonly<Record<string, Tensor>>, options: WriteOptions = {}): void {
  const plan = planLayout(path, tensors, options.dtype);
  const temporary = `${path}.partial-${process.pid}`;
  let fd: number | undefined;
  try {
    fd = openSync(temporary, "w");
    const header = headerBytes(plan, options.metadata ?? {});
    writeAll(fd, header, 0);
    for (const entry of plan) writeTensor(fd, entry, header.length + entry.begin, path);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    if (e instanceof TraincError) throw e;
    fail(2114, `cannot write '${path}': ${(e as Error).message}`, "check that the folder exists and is writable and that the disk has room");
  }
}

function planLayout(path: string, tensors: Readonly<Record<string, Tensor>>, floatDType: DType | undefined): Planned[] {
  if (floatDType !== undefined && DTYPES[floatDType].kind !== "float") {
    fail(2112, `cannot save float tensors to '${path}' as ${floatDType}`, "pick a float dtype: f32, bf16, f16 or f64");
  }
  const entries = Object.entries(tensors).map(([name, tensor]) => {
    const dtype = floatDType !== undefined && DTYPES[tensor.dtype].kind === "float" ? floatDType : tensor.dtype;
    const format = (Object.keys(FORMATS) as SafetensorsDType[]).find((f) => FORMATS[f].dtype === dtype);
    if (!WRITABLE.includes(dtype) || format === undefined || name === "__metadata__") {
      fail(2112, `cannot save tensor '${name}' (${dtype}) to '${path}'`, `safetensors output supports ${WRITABLE.join(", ")}; the name __metadata__ is reserved`);
    }
    return { name, tensor, dtype, format };
  });
  entries.sort((a, b) => FORMATS[b.format].bytes - FORMATS[a.format].bytes);
  let begin = 0;
  return entries.map((e) => {
    const planned = { ...e, begin };
    begin += numel(e.tensor.shape) * FORMATS[e.format].bytes;
    return planned;
  });
}

/** Length field + JSON header padded with spaces to a multiple of 8 bytes. */
function headerBytes(plan: readonly Planned[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { __metadata__: metadata } : {};
  for (const p of plan) {
    const end = p.begin + numel(p.tensor.shape) * FORMATS[p.format].bytes;
    header[p.name] = { dtype: p.format, shape: p.tensor.shape, data_offsets: [p.begin, end] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

function writeTensor(fd: number, entry: Planned, position: number, path: string): void {
  const count = numel(entry.tensor.shape);
  const size = FORMATS[entry.format].bytes;
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    writeAll(fd, encodeChunk(entry, start, n, path), position + start * size);
  }
}

/** Elements [start, start+n) of a tensor in its stored format. */
function encodeChunk(entry: Planned, start: number, n: number, path: string): Uint8Array {
  const bytes = new Uint8Array(n * FORMATS[entry.format].bytes);
  const src = entry.tensor.data.subarray(start, start + n);
  switch (entry.format) {
    case "F64": new Float64Array(bytes.buffer).set(src); break;
    case "F32": new Float32Array(bytes.buffer).set(src); break;
    case "F16": case "BF16": {
      const [exponentBits, mantissaBits] = entry.format === "F16" ? [5, 10] : [8, 7];
      const out = new Uint16Array(bytes.buffer);
      for (let i = 0; i < n; i++) out[i] = encodeFloat(roundTo(entry.dtype, src[i]!), exponentBits, mantissaBits);
      break;
    }
    case "I64": {
      const out = new BigInt64Array(bytes.buffer);
      for (let i = 0; i < n; i++) out[i] = BigInt(checkedInteger(entry, src[i]!, start + i, path));
      break;
    }
    default: {
      const out = entry.format === "I32" ? new Int32Array(bytes.buffer) : entry.format === "I8" ? new Int8Array(bytes.buffer) : bytes;
      for (let i = 0; i < n; i++) out[i] = checkedInteger(entry, src[i]!, start + i, path);
    }
  }
  return bytes;
}

function checkedInteger(entry: Planned, value: number, index: number, path: string): number {
  if (roundTo(entry.dtype, value) !== value) {
    fail(2113, `cannot save tensor '${entry.name}' to '${path}': element ${index} is ${value}, not a ${entry.dtype} value`, "fix the tensor's values or its dtype");
  }
  return value;
}
