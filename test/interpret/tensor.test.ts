// ir/tensor.ts: storage layout, packing, and round-to-nearest-even emulation of every float format.

import { describe, expect, it } from "vitest";
import {
  fromArray, numel, packCodes, roundTo, strides, toArray, unpackCodes, zeros,
} from "../../ir/tensor.ts";

describe("tensor storage", () => {
  it("numel and row-major strides", () => {
    expect(numel([])).toBe(1);
    expect(numel([2, 0, 3])).toBe(0);
    expect(strides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(strides([])).toEqual([]);
  });

  it("uses the storage array of each dtype", () => {
    expect(zeros("f64", [2]).data).toBeInstanceOf(Float64Array);
    expect(zeros("i64", [2]).data).toBeInstanceOf(Float64Array);
    for (const d of ["f32", "f16", "bf16", "f8e4m3", "f8e5m2"] as const) expect(zeros(d, [2]).data).toBeInstanceOf(Float32Array);
    expect(zeros("i32", [2]).data).toBeInstanceOf(Int32Array);
    expect(zeros("i8", [2]).data).toBeInstanceOf(Int8Array);
    expect(zeros("u8", [2]).data).toBeInstanceOf(Uint8Array);
    expect(zeros("bool", [2]).data).toBeInstanceOf(Uint8Array);
    expect(zeros("nf4", [3]).data).toEqual(new Uint8Array(2));
  });

  it("packs 4-bit codes low nibble first", () => {
    expect(Array.from(packCodes([1, 2, 15]))).toEqual([0x21, 0x0f]);
    expect(Array.from(unpackCodes(new Uint8Array([0x21, 0x0f]), 3))).toEqual([1, 2, 15]);
    const t = fromArray("int4", [3], [7, 8, 9]);
    expect(Array.from(t.data)).toEqual([0x87, 0x09]);
    expect(toArray(t)).toEqual([7, 8, 9]);
    expect(() => packCodes([16])).toThrow(/not in 0..15/);
  });

  it("fromArray rounds into the dtype and checks the count", () => {
    expect(toArray(fromArray("bf16", [2], [1 + 2 ** -8, 3.3]))).toEqual([1, 3.296875]);
    expect(toArray(fromArray("i32", [3], [2.7, -2.7, 2 ** 31]))).toEqual([2, -2, -(2 ** 31)]);
    expect(() => fromArray("f32", [2, 2], [1, 2, 3])).toThrow(/3 values/);
  });
});

describe("roundTo", () => {
  it("f32 is Math.fround and f64 is exact", () => {
    expect(roundTo("f32", 0.1)).toBe(Math.fround(0.1));
    expect(roundTo("f64", 0.1)).toBe(0.1);
  });

  it("bf16 rounds to nearest, ties to even", () => {
    expect(roundTo("bf16", 1 + 2 ** -8)).toBe(1);
    expect(roundTo("bf16", 1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(roundTo("bf16", 1 + 2 ** -8 + 2 ** -30)).toBe(1 + 2 ** -7);
    expect(roundTo("bf16", -(1 + 2 ** -8 + 2 ** -30))).toBe(-(1 + 2 ** -7));
    expect(roundTo("bf16", 3.39e38)).toBe((2 - 2 ** -7) * 2 ** 127);
    expect(roundTo("bf16", (2 - 2 ** -8) * 2 ** 127)).toBe(Infinity);
    expect(roundTo("bf16", 2 ** -133)).toBe(2 ** -133);
    expect(roundTo("bf16", 2 ** -134 * 3)).toBe(2 ** -132);
  });

  it("rounds in one step from double, not through f32 (no double rounding)", () => {
    const x = 1 + 2 ** -8 + 2 ** -40;
    expect(Math.fround(x)).toBe(1 + 2 ** -8);
    expect(roundTo("bf16", x)).toBe(1 + 2 ** -7);
  });

  it("f16 has subnormals and overflows to infinity", () => {
    expect(roundTo("f16", 65504)).toBe(65504);
    expect(roundTo("f16", 65519)).toBe(65504);
    expect(roundTo("f16", 65520)).toBe(Infinity);
    expect(roundTo("f16", -1e6)).toBe(-Infinity);
    expect(roundTo("f16", 2 ** -24)).toBe(2 ** -24);
    expect(roundTo("f16", 2 ** -25)).toBe(0);
    expect(roundTo("f16", 3 * 2 ** -26)).toBe(2 ** -24);
    expect(roundTo("f16", 1 / 3)).toBe(0.333251953125);
    expect(roundTo("f16", NaN)).toBeNaN();
  });

  it("f8e4m3 (fn) saturates at 448 only where rounding reaches it, else NaN", () => {
    expect(roundTo("f8e4m3", 448)).toBe(448);
    expect(roundTo("f8e4m3", 460)).toBe(448);
    expect(roundTo("f8e4m3", 464)).toBe(448);
    expect(roundTo("f8e4m3", 470)).toBeNaN();
    expect(roundTo("f8e4m3", 1e9)).toBeNaN();
    expect(roundTo("f8e4m3", Infinity)).toBeNaN();
    expect(roundTo("f8e4m3", -460)).toBe(-448);
    expect(roundTo("f8e4m3", 2 ** -9)).toBe(2 ** -9);
    expect(roundTo("f8e4m3", 2 ** -10)).toBe(0);
    expect(roundTo("f8e4m3", 1.0625)).toBe(1);
    expect(roundTo("f8e4m3", 1.1875)).toBe(1.25);
  });

  it("f8e5m2 is IEEE-like with infinity", () => {
    expect(roundTo("f8e5m2", 57344)).toBe(57344);
    expect(roundTo("f8e5m2", 61440)).toBe(Infinity);
    expect(roundTo("f8e5m2", 1.125)).toBe(1);
    expect(roundTo("f8e5m2", 1.375)).toBe(1.5);
    expect(roundTo("f8e5m2", 2 ** -16)).toBe(2 ** -16);
    expect(roundTo("f8e5m2", -Infinity)).toBe(-Infinity);
  });

  it("integers truncate and wrap; bool is x != 0", () => {
    expect(roundTo("i64", -2.9)).toBe(-2);
    expect(Object.is(roundTo("i64", -0.5), 0)).toBe(true);
    expect(roundTo("i64", NaN)).toBe(0);
    expect(roundTo("i32", 2 ** 32 + 5)).toBe(5);
    expect(roundTo("i8", 130)).toBe(-126);
    expect(roundTo("u8", -1)).toBe(255);
    expect(roundTo("bool", -0.5)).toBe(1);
    expect(roundTo("bool", NaN)).toBe(1);
    expect(roundTo("bool", 0)).toBe(0);
    expect(() => roundTo("nf4", 1)).toThrow(/codes/);
  });
});
