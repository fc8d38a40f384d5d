// Element types of the IR: floats (f64 … f8), integers, bool, and packed 4-bit storage types (nf4, int4).
// Invariant: every dtype name here is also its spelling in IR text, in safetensors mapping tables and in configs.

/** Facts about one element type. `bits` is the storage width of one element (4 for packed types). */
export interface DTypeInfo {
  readonly kind: "float" | "int" | "bool" | "packed";
  readonly bits: number;
  /** For floats narrower than f64: exponent and mantissa widths, used to emulate rounding. */
  readonly exponent?: number;
  readonly mantissa?: number;
  readonly signed?: boolean;
}

export const DTYPES = {
  f64: { kind: "float", bits: 64, exponent: 11, mantissa: 52 },
  f32: { kind: "float", bits: 32, exponent: 8, mantissa: 23 },
  f16: { kind: "float", bits: 16, exponent: 5, mantissa: 10 },
  bf16: { kind: "float", bits: 16, exponent: 8, mantissa: 7 },
  f8e4m3: { kind: "float", bits: 8, exponent: 4, mantissa: 3 },
  f8e5m2: { kind: "float", bits: 8, exponent: 5, mantissa: 2 },
  i64: { kind: "int", bits: 64, signed: true },
  i32: { kind: "int", bits: 32, signed: true },
  i8: { kind: "int", bits: 8, signed: true },
  u8: { kind: "int", bits: 8, signed: false },
  bool: { kind: "bool", bits: 8 },
  nf4: { kind: "packed", bits: 4 },
  int4: { kind: "packed", bits: 4 },
} as const satisfies Record<string, DTypeInfo>;

export type DType = keyof typeof DTYPES;

export const DTYPE_NAMES = Object.keys(DTYPES) as DType[];

export function isDType(name: string): name is DType {
  return Object.hasOwn(DTYPES, name);
}

export function isFloat(dtype: DType): boolean {
  return DTYPES[dtype].kind === "float";
}

export function isInt(dtype: DType): boolean {
  return DTYPES[dtype].kind === "int";
}

/** Types that take part in arithmetic (floats and integers; not bool, not packed storage). */
export function isNumeric(dtype: DType): boolean {
  return isFloat(dtype) || isInt(dtype);
}
