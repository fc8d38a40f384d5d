// Safetensors reader and writer: round trips of every dtype, rounding to nearest even checked on known bit
// patterns, alignment of the layout, dtype conversion on read, F8 decoding, and every corruption case with its code
// and a message naming the file (and tensor).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors, SafetensorsFile, writeSafetensors } from "../../../compiler/import/safetensors.ts";
import type { DType } from "../../../ir/dtype.ts";
import { fromArray, type Tensor } from "../../../ir/tensor.ts";
import { expectTraincError, tempDir } from "../hf/helpers.ts";

const dir = tempDir();
let counter = 0;
const path = (name = "t") => join(dir, `${name}-${counter++}.safetensors`);

/** A file made byte by byte: 8-byte length (or `length`), header text, data. */
function rawFile(header: object | string, data: Uint8Array = new Uint8Array(0), length?: number): string {
  const text = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + text.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(length ?? text.length), true);
  bytes.set(text, 8);
  bytes.set(data, 8 + text.length);
  const file = path("raw");
  writeFileSync(file, bytes);
  return file;
}

/** The stored bytes of one tensor of a file. */
function storedBytes(file: string, name: string): Uint8Array {
  const f = SafetensorsFile.open(file);
  const info = f.info(name)!;
  f.close();
  return readFileSync(file).subarray(info.offset, info.offset + info.byteLength);
}

function u16(bytes: Uint8Array): number[] {
  return Array.from(new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
}

describe("round trip", () => {
  const samples: Record<DType, number[]> = {
    f64: [Math.PI, -1e-300, 1e300, 0.1], f32: [1.5, -2.25, 3.4e38, 1e-40], f16: [1, -0.5, 65504, 2 ** -24],
    bf16: [1, -3.25, 2 ** 100, 2 ** -133], i64: [-5, 0, 2 ** 53, -(2 ** 53)], i32: [-(2 ** 31), 2 ** 31 - 1, 0, 7],
    i8: [-128, 127, 0, -1], u8: [0, 255, 1, 128], bool: [1, 0, 0, 1],
    f8e4m3: [], f8e5m2: [], nf4: [], int4: [],
  };
  const writable = Object.entries(samples).filter(([, v]) => v.length > 0) as [DType, number[]][];

  it.each(writable)("keeps every %s value and the shape", (dtype, values) => {
    const file = path();
    writeSafetensors(file, { x: fromArray(dtype, [2, 2], values), s: fromArray(dtype, [], [values[1]!]) });
    const back = readSafetensors(file);
    expect(back["x"]!.dtype).toBe(dtype);
    expect(back["x"]!.shape).toEqual([2, 2]);
    expect(Array.from(back["x"]!.data)).toEqual(Array.from(fromArray(dtype, [4], values).data));
    expect(back["s"]!.shape).toEqual([]);
  });

  it("writes several dtypes into one aligned file with metadata", () => {
    const file = path();
    const tensors = Object.fromEntries(writable.map(([dtype, values]) => [`t_${dtype}`, fromArray(dtype, [4], values)]));
    writeSafetensors(file, { empty: fromArray("f32", [0, 3], []), ...tensors }, { metadata: { format: "pt" } });
    const f = SafetensorsFile.open(file);
    expect(f.metadata).toEqual({ format: "pt" });
    const bytes = readFileSync(file);
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const sizes: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, BOOL: 1 };
    for (const name of f.names()) {
      const info = f.info(name)!;
      expect(info.offset % sizes[info.format]!, name).toBe(0);
    }
    expect(f.read("empty").shape).toEqual([0, 3]);
    f.close();
  });

  it("stores float tensors in a requested dtype and leaves integer tensors alone", () => {
    const file = path();
    writeSafetensors(file, { w: fromArray("f32", [2], [1 + 2 ** -8, 3]), ids: fromArray("i64", [2], [7, 9]) }, { dtype: "bf16" });
    const f = SafetensorsFile.open(file);
    expect(f.info("w")!.format).toBe("BF16");
    expect(f.info("ids")!.format).toBe("I64");
    expect(Array.from(f.read("w", "f32").data)).toEqual([1, 3]);
    f.close();
  });

  it("streams tensors larger than one write chunk", () => {
    const n = (1 << 20) + 3;
    const values = Float32Array.from({ length: n }, (_, i) => (i % 1000) / 8);
    const file = path();
    writeSafetensors(file, { big: { dtype: "f16", shape: [n], data: values } });
    const back = readSafetensors(file)["big"]!.data as Float32Array;
    expect(Buffer.from(back.buffer).equals(Buffer.from(values.buffer))).toBe(true);
  });
});

describe("rounding to nearest even", () => {
  function encoded(dtype: "bf16" | "f16", values: number[]): number[] {
    const file = path();
    writeSafetensors(file, { x: { dtype: "f64", shape: [values.length], data: Float64Array.from(values) } }, { dtype });
    return u16(storedBytes(file, "x"));
  }

  it("bf16: ties to even, overflow to infinity, subnormals, signed zero, NaN", () => {
    expect(encoded("bf16", [1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -2, 3.4e38, 2 ** -130, -0, NaN]))
      .toEqual([0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xc000, 0x7f80, 0x0008, 0x8000, 0x7fc0]);
  });

  it("f16: ties to even, overflow to infinity, subnormals", () => {
    expect(encoded("f16", [1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1 / 3, -Infinity]))
      .toEqual([0x3c00, 0x3c00, 0x3c02, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002, 0x3555, 0xfc00]);
  });

  it("decodes the same bit patterns back", () => {
    const bits = Uint16Array.from([0x3f81, 0xc000, 0x0008, 0x7f80]);
    const file = rawFile({ x: { dtype: "BF16", shape: [4], data_offsets: [0, 8] } }, new Uint8Array(bits.buffer));
    expect(Array.from(readSafetensors(file)["x"]!.data)).toEqual([1 + 2 ** -7, -2, 2 ** -130, Infinity]);
  });
});

describe("reading with conversion", () => {
  it("rounds f32 to bf16 when asked and widens bf16 exactly", () => {
    const file = path();
    writeSafetensors(file, { x: fromArray("f32", [2], [1 + 2 ** -9, 2.5]) });
    const f = SafetensorsFile.open(file);
    expect(Array.from(f.read("x", "bf16").data)).toEqual([1, 2.5]);
    expect(f.read("x", "f64").data).toBeInstanceOf(Float64Array);
    f.close();
  });

  it("narrows integers only when every value fits, naming the tensor and index", () => {
    const file = path();
    writeSafetensors(file, { small: fromArray("i64", [2], [3, -4]), big: fromArray("i64", [2], [1, 2 ** 40]) });
    const f = SafetensorsFile.open(file);
    expect(Array.from(f.read("small", "i32").data)).toEqual([3, -4]);
    const error = expectTraincError(() => f.read("big", "i32"), 2110);
    expect(error.message).toContain("'big'");
    expect(error.message).toContain("index 1");
    expectTraincError(() => f.read("small", "f32"), 2110);
    f.close();
  });

  it("refuses i64 values beyond 2^53", () => {
    const big = new BigInt64Array([2n ** 60n]);
    const file = rawFile({ x: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(big.buffer));
    expect(expectTraincError(() => readSafetensors(file), 2110).message).toContain(file);
  });

  it("decodes F8_E4M3 (fn) and F8_E5M2", () => {
    const e4m3 = Uint8Array.from([0x38, 0x7e, 0x7f, 0x01, 0xb8]);
    const e5m2 = Uint8Array.from([0x3c, 0x7c, 0x7b, 0x01, 0xfc]);
    const file = rawFile({ a: { dtype: "F8_E4M3", shape: [5], data_offsets: [0, 5] }, b: { dtype: "F8_E5M2", shape: [5], data_offsets: [5, 10] } },
      Uint8Array.from([...e4m3, ...e5m2]));
    const t = readSafetensors(file, "f32");
    expect(Array.from(t["a"]!.data)).toEqual([1, 448, NaN, 2 ** -9, -1]);
    expect(Array.from(t["b"]!.data)).toEqual([1, Infinity, 57344, 2 ** -16, -Infinity]);
  });
});

describe("corrupt files", () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: "F32", shape, data_offsets: [begin, end] });
  const cases: [string, () => string, number, string][] = [
    ["a file shorter than 8 bytes", () => { const p = path(); writeFileSync(p, Uint8Array.from([1, 2, 3])); return p; }, 2101, "shorter than"],
    ["a header length beyond the file", () => rawFile({}, new Uint8Array(0), 1000), 2102, "1000 bytes"],
    ["a header that is not JSON", () => rawFile("{not json"), 2103, "not JSON"],
    ["a header that is a JSON array", () => rawFile("[1,2]"), 2103, "not a JSON object"],
    ["an unknown dtype", () => rawFile({ x: { dtype: "F128", shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)), 2105, "F128"],
    ["a malformed shape", () => rawFile({ x: { dtype: "F32", shape: "big", data_offsets: [0, 4] } }, new Uint8Array(4)), 2104, "shape"],
    ["a shape that disagrees with the offsets", () => rawFile({ x: f32(0, 4, [2]) }, new Uint8Array(4)), 2106, "needs 8 bytes"],
    ["offsets beyond the data", () => rawFile({ x: f32(0, 16) }, new Uint8Array(8)), 2107, "ends at byte 16"],
    ["overlapping tensors", () => rawFile({ a: f32(0, 8), b: f32(4, 12) }, new Uint8Array(12)), 2108, "overlap"],
    ["a gap between tensors", () => rawFile({ a: f32(0, 4), b: f32(8, 12) }, new Uint8Array(12)), 2109, "belong to no tensor"],
    ["trailing bytes", () => rawFile({ a: f32(0, 4) }, new Uint8Array(8)), 2109, "after the last tensor"],
    ["bad metadata", () => rawFile({ __metadata__: { n: 1 }, a: f32(0, 4) }, new Uint8Array(4)), 2104, "__metadata__"],
  ];

  it.each(cases)("rejects %s, naming the file", (_, make, code, words) => {
    const file = make();
    const error = expectTraincError(() => SafetensorsFile.open(file), code);
    expect(error.message).toContain(file);
    expect(error.message).toContain(words);
  });

  it("lists the known dtypes when one is unknown", () => {
    const file = rawFile({ x: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(expectTraincError(() => SafetensorsFile.open(file), 2105).message).toMatch(/known: .*BF16.*BOOL/);
  });

  it("names the missing file", () => {
    expect(expectTraincError(() => SafetensorsFile.open(join(dir, "nope.safetensors")), 2100).message).toContain("nope.safetensors");
  });

  it("suggests the closest name for a tensor that is not there", () => {
    const file = path();
    writeSafetensors(file, { "model.norm.weight": fromArray("f32", [1], [1]) });
    const f = SafetensorsFile.open(file);
    expect(expectTraincError(() => f.read("model.norm.weigth"), 2111).fix).toContain("model.norm.weight");
    f.close();
  });
});

describe("write errors", () => {
  it("refuses packed dtypes and non-float targets", () => {
    const packed: Tensor = { dtype: "nf4", shape: [2], data: new Uint8Array(1) };
    expectTraincError(() => writeSafetensors(path(), { q: packed }), 2112);
    expectTraincError(() => writeSafetensors(path(), { w: fromArray("f32", [1], [1]) }, { dtype: "i32" }), 2112);
  });

  it("refuses integer tensors holding non-integers", () => {
    const bad: Tensor = { dtype: "i64", shape: [2], data: Float64Array.from([1, 1.5]) };
    expect(expectTraincError(() => writeSafetensors(path(), { ids: bad }), 2113).message).toContain("element 1");
  });

  it("leaves nothing behind when the folder does not exist", () => {
    const target = join(dir, "missing-folder", "x.safetensors");
    expectTraincError(() => writeSafetensors(target, { w: fromArray("f32", [1], [1]) }), 2114);
    expect(existsSync(join(dir, "missing-folder"))).toBe(false);
    expect(readdirSync(dir).some((f) => f.includes("partial"))).toBe(false);
  });
});
