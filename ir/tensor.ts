// The runtime tensor shared by the interpreter, safetensors I/O and the CLI: a dtype, a concrete shape and a typed
// array in row-major order, plus rounding that emulates each float format exactly.
// Storage per dtype: f64 and i64 -> Float64Array (i64 values are exact integers up to 2^53); f32, f16, bf16, f8e4m3,
// f8e5m2 -> Float32Array holding values already rounded to the dtype; i32 -> Int32Array; i8 -> Int8Array; u8 and
// bool -> Uint8Array (bool is 0 or 1); nf4 and int4 -> Uint8Array with two 4-bit codes per byte, low nibble first.
// Invariants: `data.length === storageLength(dtype, numel(shape))`; tensors are never mutated once built, so
// several tensors may share one data array (a reshape does).

import { DTYPES, type DType } from "./dtype.ts";

/** The typed arrays a tensor's elements live in (see the header for which dtype uses which). */
export type TensorData = Float64Array | Float32Array | Int32Array | Int8Array | Uint8Array;

/** A runtime tensor: dtype, concrete row-major shape, and storage. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Number of elements of a concrete shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements: strides([2,3,4]) = [12,4,1]. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

/** Length of the typed array that stores `count` elements of `dtype`. */
export function storageLength(dtype: DType, count: number): number {
  return DTYPES[dtype].kind === "packed" ? Math.ceil(count / 2) : count;
}

/** A zero-filled typed array of the storage type of `dtype` with `length` entries. */
export function allocStorage(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case "f64":
    case "i64":
      return new Float64Array(length);
    case "f32":
    case "f16":
    case "bf16":
    case "f8e4m3":
    case "f8e5m2":
      return new Float32Array(length);
    case "i32":
      return new Int32Array(length);
    case "i8":
      return new Int8Array(length);
    case "u8":
    case "bool":
    case "nf4":
    case "int4":
      return new Uint8Array(length);
  }
}

/** A tensor of zeros (code 0 for nf4/int4). */
export function zeros(dtype: DType, shape: readonly number[]): Tensor {
  return { dtype, shape: [...shape], data: allocStorage(dtype, storageLength(dtype, numel(shape))) };
}

/**
 * A tensor holding `values` in row-major order, each stored as `roundTo(dtype, v)` does; for nf4/int4 the values
 * are the 4-bit codes 0..15. Throws when the count does not match the shape or a code is out of range.
 */
export function fromArray(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
  const n = numel(shape);
  if (values.length !== n) throw new Error(`fromArray: ${values.length} values for shape [${shape.join(",")}] (${n})`);
  if (DTYPES[dtype].kind === "packed") return { dtype, shape: [...shape], data: packCodes(values) };
  const data = allocStorage(dtype, n);
  for (let i = 0; i < n; i++) data[i] = roundTo(dtype, values[i]!);
  return { dtype, shape: [...shape], data };
}

/** The elements as plain numbers (4-bit codes for nf4/int4). */
export function toArray(t: Tensor): number[] {
  if (DTYPES[t.dtype].kind === "packed") return [...unpackCodes(t.data as Uint8Array, numel(t.shape))];
  return Array.from(t.data);
}

/** Packs 4-bit codes two per byte, low nibble first. */
export function packCodes(codes: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (!Number.isInteger(c) || c < 0 || c > 15) throw new Error(`4-bit code ${c} at index ${i} is not in 0..15`);
    out[i >> 1]! |= (i & 1) === 0 ? c : c << 4;
  }
  return out;
}

/** Unpacks `count` 4-bit codes (low nibble first) into one byte each. */
export function unpackCodes(packed: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const byte = packed[i >> 1]!;
    out[i] = (i & 1) === 0 ? byte & 0x0f : byte >> 4;
  }
  return out;
}

/** Parameters of a float format narrower than f32, for round-to-nearest-even emulation. */
interface FloatFormat {
  /** Explicit mantissa bits. */
  readonly mantissa: number;
  /** Exponent of the smallest normal number; below it values are subnormal with a fixed quantum. */
  readonly minExp: number;
  readonly maxFinite: number;
  /** false for f8e4m3 ("fn": no infinity): overflow and infinities become NaN. */
  readonly hasInf: boolean;
}

const FORMATS = {
  bf16: { mantissa: 7, minExp: -126, maxFinite: (2 - 2 ** -7) * 2 ** 127, hasInf: true },
  f16: { mantissa: 10, minExp: -14, maxFinite: 65504, hasInf: true },
  f8e4m3: { mantissa: 3, minExp: -6, maxFinite: 448, hasInf: false },
  f8e5m2: { mantissa: 2, minExp: -14, maxFinite: 57344, hasInf: true },
} as const satisfies Record<string, FloatFormat>;

// Scratch views of one float64 for bit-level rounding (little-endian: word 1 holds sign, exponent, top 20 bits).
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** Rounds y >= 0 to an integer, ties to even. Exact for any double. */
function roundHalfEven(y: number): number {
  const f = Math.floor(y);
  const d = y - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Rounds a double to the nearest value of `fmt`, ties to even, in one rounding step (no double rounding). */
function roundToFormat(x: number, fmt: FloatFormat): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return fmt.hasInf ? x : NaN;
  if (x === 0) return x;
  const a = Math.abs(x);
  let r: number;
  if (a < 2 ** fmt.minExp) {
    const quantum = 2 ** (fmt.minExp - fmt.mantissa);
    r = roundHalfEven(a / quantum) * quantum;
  } else {
    const shift = 20 - fmt.mantissa;
    const unit = 2 ** shift;
    scratch[0] = a;
    const hi = words[1]!;
    const rest = hi % unit;
    const half = unit / 2;
    const up = rest > half || (rest === half && (words[0] !== 0 || Math.floor(hi / unit) % 2 === 1));
    words[1] = hi - rest + (up ? unit : 0);
    words[0] = 0;
    r = scratch[0];
  }
  if (r > fmt.maxFinite) r = fmt.hasInf ? Infinity : NaN;
  return x < 0 ? -r : r;
}

/**
 * The value stored when x is written to a tensor of `dtype`. Floats round to nearest even: f32 via Math.fround;
 * bf16, f16 and f8e5m2 as IEEE formats with subnormals, overflowing to infinity; f8e4m3 (the "fn" variant: max 448,
 * no infinity) turns anything that rounds beyond 448, and infinities, into NaN, as PyTorch's cast does (so 460 and
 * 464 give 448, 470 gives NaN). Integers truncate toward zero; i32, i8 and u8 wrap modulo 2^bits; NaN and
 * infinities become 0; i64 keeps the truncated double. bool is x != 0 (NaN is true). nf4/int4 hold codes: throws.
 */
export function roundTo(dtype: DType, x: number): number {
  switch (dtype) {
    case "f64":
      return x;
    case "f32":
      return Math.fround(x);
    case "bf16":
    case "f16":
    case "f8e4m3":
    case "f8e5m2":
      return roundToFormat(x, FORMATS[dtype]);
    case "i64":
      return Number.isFinite(x) ? Math.trunc(x) + 0 : 0;
    case "i32":
      return x | 0;
    case "i8":
      return (x << 24) >> 24;
    case "u8":
      return (x | 0) & 0xff;
    case "bool":
      return x !== 0 ? 1 : 0;
    case "nf4":
    case "int4":
      throw new Error(`roundTo: ${dtype} holds 4-bit codes, not values; use dequantize`);
  }
}

/** True for the float dtypes stored in a Float32Array that need rounding beyond Math.fround. */
export function needsRounding(dtype: DType): dtype is "bf16" | "f16" | "f8e4m3" | "f8e5m2" {
  return Object.hasOwn(FORMATS, dtype);
}

/** Rounds every element of `src` to `dtype` (a narrow float) into a new Float32Array. */
export function roundArray(dtype: "bf16" | "f16" | "f8e4m3" | "f8e5m2", src: ArrayLike<number>): Float32Array {
  const fmt = FORMATS[dtype];
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = roundToFormat(src[i]!, fmt);
  return out;
}
