// Index arithmetic for generated kernels, as C expressions over static shapes: a linear index split into per-axis
// indices, per-axis indices joined back, broadcasting, and the view ops (broadcast, transpose, slice) as maps from an
// output's per-axis indices to its operand's. Sizes are numbers (shapes are static after specialization), so the
// expressions hold only constants and the compiler folds them.
// Invariant: row-major order everywhere; a size-1 axis always contributes index 0.

import type { Attrs } from "../../ir/graph.ts";

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function strides(shape: Shape): number[] {
  const out: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d]!;
  }
  return out;
}

/** Per-axis indices of linear index `i` (a C expression: a sum is parenthesized before `/` and `%` apply) in `shape`. */
export function splitIndex(index: string, shape: Shape): string[] {
  const st = strides(shape);
  const i = /^[\w.]+$/.test(index) || /^\(.*\)$/.test(index) && balanced(index.slice(1, -1)) ? index : `(${index})`;
  return shape.map((size, d) => {
    if (size === 1) return "0";
    const quotient = st[d] === 1 ? i : `(${i} / ${st[d]})`;
    return d === 0 ? quotient : `(${quotient} % ${size})`;
  });
}

/** Whether the parentheses of `text` balance (so "(a) + (b)" is not taken for one parenthesized term). */
function balanced(text: string): boolean {
  let depth = 0;
  for (const c of text) {
    depth += c === "(" ? 1 : c === ")" ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** The linear index of per-axis indices `idx` in `shape`. */
export function joinIndex(idx: readonly string[], shape: Shape): string {
  const st = strides(shape);
  const terms = idx.flatMap((x, d) => (shape[d] === 1 || x === "0" ? [] : [st[d] === 1 ? x : `${x} * ${st[d]}`]));
  return terms.length === 0 ? "0" : terms.join(" + ");
}

/** Per-axis indices into `from` (broadcast to `to`, NumPy rules) of per-axis indices `idx` of `to`. */
export function broadcastIndex(idx: readonly string[], to: Shape, from: Shape): string[] {
  const offset = to.length - from.length;
  return from.map((size, d) => (size === 1 ? "0" : idx[d + offset]!));
}

/** Per-axis indices of a view op's operand (shape `from`) for per-axis indices `idx` of its output. */
export function viewIndex(op: string, attrs: Attrs, idx: readonly string[], out: Shape, from: Shape): string[] {
  switch (op) {
    case "broadcast":
      return broadcastIndex(idx, out, from);
    case "transpose": {
      const perm = attrs["perm"] as readonly number[];
      const src: string[] = [];
      perm.forEach((p, k) => (src[p] = idx[k]!));
      return src;
    }
    case "slice": {
      const axis = ((attrs["axis"] as number) + out.length) % out.length;
      const start = attrs["start"] as number;
      const step = attrs["step"] as number;
      return idx.map((x, d) => (d !== axis ? x : `(${start} + ${step === 1 ? x : `${x} * ${step}`})`));
    }
    default:
      throw new Error(`${op} is not a view op`);
  }
}
