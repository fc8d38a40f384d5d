// Import-time tensors: values the importer knows while reading the model (integer initializers, Constant nodes,
// Shape results and everything computed from them). Integer elements are Dims, so `Shape(x)` of an x typed [B,T,64]
// is the known tensor [B, T, 64] and arithmetic on it stays symbolic (B*T, T-1). Helpers here index, broadcast,
// reshape, slice, concat and gather known tensors, and compare Dims.
// Invariants: a known tensor has a concrete shape and numel(shape) elements in row-major order; float and bool
// elements are plain numbers (bool as 0/1); symbolic elements only occur in integer tensors.

import { dimSub, type Dim } from "../../../ir/dim.ts";
import type { DType } from "../../../ir/dtype.ts";
import { numel, strides } from "../../../ir/tensor.ts";

export interface Known {
  readonly kind: "known";
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: readonly Dim[];
}

export function known(dtype: DType, shape: readonly number[], data: readonly Dim[]): Known {
  return { kind: "known", dtype, shape, data };
}

/** Known tensors above this many elements are not built at import time: ops on them are emitted instead. */
export const FOLD_LIMIT = 1 << 16;

/** Multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/** NumPy broadcast of concrete shapes; undefined when they do not broadcast. */
export function broadcastConcrete(shapes: readonly (readonly number[])[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i]!;
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) return undefined;
    }
  }
  return out;
}

/** Element of `t` read at a multi-index of a broadcast result shape (NumPy rules). */
function readBroadcast(t: Known, outIdx: readonly number[], tStrides: readonly number[]): Dim {
  let flat = 0;
  const off = outIdx.length - t.shape.length;
  for (let i = 0; i < t.shape.length; i++) flat += (t.shape[i] === 1 ? 0 : outIdx[off + i]!) * tStrides[i]!;
  return t.data[flat]!;
}

/** Applies `fn` elementwise over broadcast operands; undefined when shapes do not broadcast. */
export function mapBroadcast(args: readonly Known[], dtype: DType, fn: (xs: Dim[]) => Dim): Known | undefined {
  const shape = broadcastConcrete(args.map((a) => a.shape));
  if (!shape) return undefined;
  const argStrides = args.map((a) => strides(a.shape));
  const n = numel(shape);
  const data = new Array<Dim>(n);
  for (let f = 0; f < n; f++) {
    const idx = unravel(f, shape);
    data[f] = fn(args.map((a, k) => readBroadcast(a, idx, argStrides[k]!)));
  }
  return known(dtype, shape, data);
}

/** `t` broadcast to a concrete `shape` (NumPy rules; the caller checked that it broadcasts). */
export function broadcastKnown(t: Known, shape: readonly number[]): Known {
  const st = strides(t.shape);
  const n = numel(shape);
  const data = new Array<Dim>(n);
  for (let f = 0; f < n; f++) data[f] = readBroadcast(t, unravel(f, shape), st);
  return known(t.dtype, shape, data);
}

/** Elements of `t` along `axis` in the list `indices` (already non-negative), other axes unchanged. */
export function takeAlong(t: Known, axis: number, indices: readonly number[]): Known {
  const shape = [...t.shape];
  shape[axis] = indices.length;
  const st = strides(t.shape);
  const n = numel(shape);
  const data = new Array<Dim>(n);
  for (let f = 0; f < n; f++) {
    const idx = unravel(f, shape);
    idx[axis] = indices[idx[axis]!]!;
    data[f] = t.data[idx.reduce((acc, v, i) => acc + v * st[i]!, 0)]!;
  }
  return known(t.dtype, shape, data);
}

/** Joins known tensors along `axis`. */
export function concatKnown(parts: readonly Known[], axis: number): Known {
  const first = parts[0]!;
  const outer = numel(first.shape.slice(0, axis));
  const data: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = numel(p.shape.slice(axis));
      for (let i = 0; i < block; i++) data.push(p.data[o * block + i]!);
    }
  }
  const shape = [...first.shape];
  shape[axis] = parts.reduce((acc, p) => acc + p.shape[axis]!, 0);
  return known(first.dtype, shape, data);
}

/** Permutes axes of a known tensor. */
export function transposeKnown(t: Known, perm: readonly number[]): Known {
  const shape = perm.map((p) => t.shape[p]!);
  const st = strides(t.shape);
  const n = numel(shape);
  const data = new Array<Dim>(n);
  for (let f = 0; f < n; f++) {
    const idx = unravel(f, shape);
    data[f] = t.data[idx.reduce((acc, v, i) => acc + v * st[perm[i]!]!, 0)]!;
  }
  return known(t.dtype, shape, data);
}

/** Every element as a concrete number, or undefined when one is symbolic. */
export function concreteValues(t: Known): number[] | undefined {
  return t.data.every((d) => typeof d === "number") ? (t.data as number[]) : undefined;
}

/**
 * Sign of a - b when it can be decided: -1, 0 or 1; undefined otherwise. Symbolic sizes are assumed to be at least
 * 2, the assumption torch.export makes for dynamic dimensions (so `T == 1` is false and `T - 1 > 0`).
 */
export function compareDims(a: Dim, b: Dim): number | undefined {
  const diff = dimSub(a, b);
  if (typeof diff === "number") return Math.sign(diff);
  const terms = dimTerms(diff);
  const varying = terms.filter((t) => t.symbols.length > 0);
  const atLowerBound = terms.reduce((acc, t) => acc + t.coef * 2 ** t.symbols.length, 0);
  if (varying.every((t) => t.coef > 0) && atLowerBound > 0) return 1;
  if (varying.every((t) => t.coef < 0) && atLowerBound < 0) return -1;
  return undefined;
}

/** The terms of a Dim ("2*B*T-T+3") as coefficients and the names they multiply (none for the constant). */
function dimTerms(dim: Dim): { coef: number; symbols: string[] }[] {
  if (typeof dim === "number") return dim === 0 ? [] : [{ coef: dim, symbols: [] }];
  const terms = dim.match(/[+-]?[^+-]+/g) ?? [];
  return terms.map((term) => {
    let coef = term.startsWith("-") ? -1 : 1;
    const symbols: string[] = [];
    for (const factor of term.replace(/^[+-]/, "").split("*")) {
      if (/^\d+$/.test(factor)) coef *= Number(factor);
      else symbols.push(factor);
    }
    return { coef, symbols };
  });
}
