// The shape of an op table entry, attribute kinds, and the checks that type-inference rules share.
// Invariant: `infer` is pure and throws IRTypeError (a message without node context) for any ill-typed use;
// the verifier and builder add the node's position and name to that message.

import { isDType, isFloat, isInt, type DType } from "../dtype.ts";
import { formatShape, type Dim, type Shape } from "../dim.ts";
import type { AttrValue, Attrs, TensorType } from "../graph.ts";

/** How an attribute is typed, printed and parsed. `dim`/`dims` accept symbolic sizes such as `T` or `B*T`. */
export type AttrKind = "int" | "float" | "bool" | "string" | "dtype" | "dim" | "ints" | "floats" | "dims";

export interface AttrSpec {
  readonly kind: AttrKind;
  /** Value used when the attribute is absent; attributes without a default and not `optional` are required. */
  readonly default?: AttrValue;
  readonly optional?: boolean;
}

export interface OpDef {
  /** One or two sentences: what the op computes. The interpreter (ir/interpret) is the precise definition. */
  readonly doc: string;
  /** Number of operands: exact, or [min, max] (max may be Infinity for variadic ops). */
  readonly arity: number | readonly [number, number];
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  /** Result types from operand types and attributes (defaults already filled in). */
  readonly infer: (args: readonly TensorType[], attrs: Attrs) => TensorType[];
}

/** A type error in one op use; callers add where it happened. */
export class IRTypeError extends Error {}

export function typeError(message: string): never {
  throw new IRTypeError(message);
}

export function describe(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

export function expectFloat(t: TensorType, what: string): void {
  if (!isFloat(t.dtype)) typeError(`${what} must be a float tensor, got ${describe(t)}`);
}

export function expectInt(t: TensorType, what: string): void {
  if (!isInt(t.dtype)) typeError(`${what} must be an integer tensor, got ${describe(t)}`);
}

export function expectDType(t: TensorType, dtype: DType, what: string): void {
  if (t.dtype !== dtype) typeError(`${what} must be ${dtype}, got ${describe(t)}`);
}

export function expectRank(t: TensorType, rank: number, what: string): void {
  if (t.shape.length !== rank) typeError(`${what} must have rank ${rank}, got ${describe(t)}`);
}

export function expectSameDType(a: TensorType, b: TensorType, what: string): void {
  if (a.dtype !== b.dtype) typeError(`${what}: operand dtypes differ (${describe(a)} vs ${describe(b)}); insert a cast`);
}

export function expectDim(actual: Dim, expected: Dim, what: string): void {
  if (actual !== expected) typeError(`${what}: size ${actual} does not match ${expected}`);
}

/** Resolves a possibly negative axis against a rank. */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) typeError(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function attrInt(attrs: Attrs, name: string): number {
  return attrs[name] as number;
}

export function attrDims(attrs: Attrs, name: string): Dim[] {
  return [...(attrs[name] as readonly Dim[])];
}

export function attrDType(attrs: Attrs, name: string): DType {
  const value = attrs[name] as string;
  if (!isDType(value)) typeError(`attribute ${name}: '${value}' is not a dtype`);
  return value;
}

export function tensor(dtype: DType, shape: Shape): TensorType {
  return { dtype, shape: [...shape] };
}
