// The C++ safetensors reader and writer of the CUDA runtime against the TypeScript ones: files the TypeScript
// writer made read back in C++ with the same values and the same rounding (f32, bf16, i32 hosts), files the C++
// writer made are byte for byte what the TypeScript writer makes and read back in TypeScript, and every corruption
// stops the C++ reader with the TypeScript reader's code and a message naming the file (and tensor).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensors, SafetensorsFile, writeSafetensors } from "../../../../compiler/import/safetensors.ts";
import { encodeFloat } from "../../../../compiler/import/float-bits.ts";
import type { DType } from "../../../../ir/dtype.ts";
import { fromArray, type Tensor } from "../../../../ir/tensor.ts";
import { build, HAVE_GXX, NO_GXX, printedError, run } from "./build.ts";

const dir = mkdtempSync(join(tmpdir(), "trainc-rt-safetensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const path = (name = "t") => join(dir, `${name}-${counter++}.safetensors`);
let tool = "";

/** Float tensors with rounding edge cases for every stored float dtype (f64 ones exercise single rounding). */
const FLOATS: Record<string, Tensor> = {
  f64: fromArray("f64", [7], [Math.PI, -1e-300, 1e300, 1 + 2 ** -8 + 2 ** -30, 2 ** -130, 65520, -0]),
  f32: fromArray("f32", [2, 4], [1.5, -2.25, 3.4e38, 1e-40, 1 + 2 ** -8, 1 + 3 * 2 ** -8, NaN, -Infinity]),
  f16: fromArray("f16", [4], [1, -0.5, 65504, 2 ** -24]),
  bf16: fromArray("bf16", [4], [1, -3.25, 2 ** 100, 2 ** -133]),
  scalar: fromArray("f32", [], [0.1]),
  empty: fromArray("f32", [0, 3], []),
};
const INTEGERS: Record<string, Tensor> = {
  i64: fromArray("i64", [3], [-(2 ** 31), 2 ** 31 - 1, 0]),
  i32: fromArray("i32", [2], [-7, 123456]),
  i8: fromArray("i8", [2], [-128, 127]),
  u8: fromArray("u8", [2], [0, 255]),
  bool: fromArray("bool", [2], [1, 0]),
};

interface Dumped {
  metadata: [string, string][];
  tensors: { name: string; dtype: string; shape: number[]; values: number[] }[];
}

function dump(file: string, host: "f32" | "bf16" | "f16" | "i32"): Dumped {
  const r = run(tool, ["dump", file, host]);
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as Dumped;
}

const f32Bits = (values: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(values).buffer));

/** The values TypeScript reads from `file` as `dtype`, in the C++ dump's encoding. */
function expected(file: string, dtype: "f32" | "bf16" | "f16" | "i32"): Record<string, number[]> {
  const tensors = readSafetensors(file, dtype);
  const encode = (v: ArrayLike<number>) => (dtype === "f32" ? f32Bits(v)
    : dtype === "bf16" ? Array.from(v, (x) => encodeFloat(x, 8, 7))
    : dtype === "f16" ? Array.from(v, (x) => encodeFloat(x, 5, 10)) : Array.from(v));
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, encode(t.data)]));
}

/** A file made byte by byte: 8-byte length (or `length`), header text, data. */
function rawFile(header: object | string | Uint8Array, data: Uint8Array = new Uint8Array(0), length?: number): string {
  const text = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + text.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(length ?? text.length), true);
  bytes.set(text, 8);
  bytes.set(data, 8 + text.length);
  const file = path("raw");
  writeFileSync(file, bytes);
  return file;
}

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "C++ safetensors" : `C++ safetensors (skipped: ${NO_GXX})`, () => {
  beforeAll(() => {
    tool = build("g++", ["safetensors-tool.cpp"], "safetensors-tool");
  });

  describe("reads what the TypeScript writer wrote", () => {
    const floats = path("floats");
    const integers = path("integers");
    beforeAll(() => {
      writeSafetensors(floats, FLOATS, { metadata: { format: "pt", note: "a \"quoted\"\nline" } });
      writeSafetensors(integers, INTEGERS);
    });

    it.each(["f32", "bf16", "f16"] as const)("as %s: the same values, rounded to nearest even in one step", (host) => {
      const got = dump(floats, host);
      const want = expected(floats, host);
      expect(Object.fromEntries(got.tensors.map((t) => [t.name, t.values]))).toEqual(want);
      expect(got.tensors.map((t) => [t.name, t.shape])).toEqual(Object.entries(readSafetensors(floats)).map(([n, t]) => [n, t.shape]));
      expect(got.metadata).toEqual([["format", "pt"], ["note", "a \"quoted\"\nline"]]);
    });

    it("f64 rounds straight to bf16, not through f32", () => {
      const values = dump(floats, "bf16").tensors.find((t) => t.name === "f64")!.values;
      expect(values[3]).toBe(0x3f81);
    });

    it("integers and bools as i32", () => {
      const got = dump(integers, "i32");
      expect(Object.fromEntries(got.tensors.map((t) => [t.name, t.values]))).toEqual(expected(integers, "i32"));
    });

    it("refuses integers that i32 cannot hold and kinds that do not convert (2110)", () => {
      const big = path();
      writeSafetensors(big, { ids: fromArray("i64", [2], [1, 2 ** 40]) });
      const e = printedError(run(tool, ["read", big, "ids", "i32", "2"]));
      expect([e.code, e.message]).toEqual([2110, `${big}: tensor 'ids' holds ${2 ** 40} at index 1, which i32 cannot hold`]);
      expect(printedError(run(tool, ["read", integers, "i32", "f32", "2"])).code).toBe(2110);
      expect(printedError(run(tool, ["read", floats, "f16", "i32", "4"])).code).toBe(2110);
    });

    it("checks the shape the program expects (6500) and names near misses (2111)", () => {
      const shape = printedError(run(tool, ["read", floats, "f16", "f32", "2", "2"]));
      expect(shape.code).toBe(6500);
      expect(shape.message).toBe(`${floats}: tensor 'f16' has shape [4] but the program was compiled for [2,2]`);
      const missing = printedError(run(tool, ["read", floats, "f61", "f32", "7"]));
      expect([missing.code, missing.message, missing.fix]).toEqual([2111, `${floats} has no tensor 'f61'`, "did you mean 'f64'?"]);
      expect(run(tool, ["read", floats, "f64", "f32", "7"]).stdout).toBe("7\n");
    });
  });

  describe("writes what the TypeScript writer writes", () => {
    const source = path("source");
    /** What the C++ copy holds in memory: BF16 as bf16, F16 as f16, other floats as f32, integers as i32. */
    const inMemory = (): Record<string, Tensor> => {
      const file = SafetensorsFile.open(source);
      try {
        return Object.fromEntries(file.names().map((name) => {
          const stored = file.info(name)!.dtype;
          const dtype: DType = stored === "bf16" || stored === "f16" ? stored : stored.startsWith("f") ? "f32" : "i32";
          return [name, file.read(name, dtype)];
        }));
      } finally {
        file.close();
      }
    };
    beforeAll(() => writeSafetensors(source, { ...FLOATS, ids: INTEGERS["i32"]! }, { metadata: { format: "pt" } }));

    it.each([["F32", "f32"], ["BF16", "bf16"], ["F16", "f16"], ["F64", "f64"], ["own", undefined]] as const)(
      "stored as %s: identical bytes, and TypeScript reads the values back",
      (stored, dtype) => {
        const out = path("cpp");
        const r = run(tool, ["copy", source, out, stored]);
        expect(r.stderr).toBe("");
        const reference = path("ts");
        writeSafetensors(reference, inMemory(), { dtype, metadata: { format: "pt" } });
        expect(readFileSync(out).equals(readFileSync(reference))).toBe(true);
        const back = readSafetensors(out);
        expect(back["ids"]!.dtype).toBe("i32");
        if (dtype !== undefined) expect(back["f32"]!.dtype).toBe(dtype);
      },
    );

    it("streams tensors larger than one chunk", () => {
      const n = (1 << 20) + 5;
      const big = path("big");
      writeSafetensors(big, { big: { dtype: "f32", shape: [n], data: Float32Array.from({ length: n }, (_, i) => i / 7) } });
      const out = path("big-copy");
      expect(run(tool, ["copy", big, out, "BF16"]).stderr).toBe("");
      const reference = path("big-ts");
      writeSafetensors(reference, readSafetensors(big), { dtype: "bf16" });
      expect(readFileSync(out).equals(readFileSync(reference))).toBe(true);
    });

    it("reports a file it cannot write (2114) and leaves no temporary file", () => {
      const missing = printedError(run(tool, ["copy", source, join(dir, "missing", "x.safetensors"), "F32"]));
      expect([missing.code, missing.message]).toEqual([2114, `cannot write '${join(dir, "missing", "x.safetensors")}': No such file or directory`]);
      const occupied = join(dir, "occupied");
      mkdirSync(join(occupied, "inside"), { recursive: true });
      expect(printedError(run(tool, ["copy", source, occupied, "F32"])).code).toBe(2114);
      expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([]);
    });
  });

  describe("stops at every corruption with the TypeScript reader's code", () => {
    const data8 = new Uint8Array(8);
    const cases: [string, () => string, number, string][] = [
      ["a missing file", () => join(dir, "nope.safetensors"), 2100, "cannot open safetensors file"],
      ["a file shorter than 8 bytes", () => { const f = path(); writeFileSync(f, new Uint8Array(5)); return f; }, 2101, "is 5 bytes long"],
      ["a header length beyond the file", () => rawFile("{}", new Uint8Array(0), 1000), 2102, "the header claims 1000 bytes"],
      ["a header that is not JSON", () => rawFile("{\"x\": [1,}"), 2103, "the header is not JSON"],
      ["a header that is not UTF-8", () => rawFile(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 2103, "invalid UTF-8"],
      ["a header that is not an object", () => rawFile("[1, 2]"), 2103, "not a JSON object"],
      ["an entry without a dtype", () => rawFile({ x: { shape: [2], data_offsets: [0, 8] } }, data8), 2104, "tensor 'x' has no dtype"],
      ["a shape of non-integers", () => rawFile({ x: { dtype: "F32", shape: [1.5], data_offsets: [0, 8] } }, data8), 2104, "tensor 'x' has a shape"],
      ["reversed data_offsets", () => rawFile({ x: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, data8), 2104, "data_offsets"],
      ["metadata that is not strings", () => rawFile({ __metadata__: { a: 1 } }), 2104, "__metadata__ must map strings to strings"],
      ["an unknown dtype", () => rawFile({ x: { dtype: "F4", shape: [2], data_offsets: [0, 1] } }, data8.subarray(0, 1)), 2105, "dtype 'F4'"],
      ["a shape that disagrees with the bytes", () => rawFile({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, data8), 2106, "needs 12 bytes but data_offsets [0, 8] span 8"],
      ["a range beyond the data", () => rawFile({ x: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, data8), 2107, "tensor 'x' ends at byte 16 of the data region, which has 8"],
      ["overlapping tensors", () => rawFile({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, y: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data8), 2108, "tensors 'x' and 'y' overlap"],
      ["a gap between tensors", () => rawFile({ x: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data8), 2109, "4 bytes between the header and 'x'"],
      ["trailing bytes", () => rawFile({ x: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, data8), 2109, "4 bytes after the last tensor"],
    ];

    it.each(cases)("%s", (_, make, code, text) => {
      const file = make();
      const e = printedError(run(tool, ["dump", file, "f32"]));
      expect(e.code).toBe(code);
      expect(e.message).toContain(file);
      expect(e.message).toContain(text);
      expect(e.fix.length).toBeGreaterThan(0);
    });
  });
});
