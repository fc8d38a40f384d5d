// The op table: one entry per op (operand count, attributes, doc, type rule), merged from the group files.
// Every other per-op table (interpreter, VJPs, renderers) is typed `Record<OpName, ...>` so a new op that lacks an
// entry anywhere is a type error.

import { isDType } from "../dtype.ts";
import { canonicalDim } from "../dim.ts";
import type { AttrValue, Attrs } from "../graph.ts";
import { ELEMENTWISE_OPS } from "./elementwise.ts";
import { MODEL_OPS } from "./model.ts";
import { typeError, type AttrKind, type OpDef } from "./spec.ts";
import { STRUCTURAL_OPS } from "./structural.ts";

export const OPS = { ...ELEMENTWISE_OPS, ...STRUCTURAL_OPS, ...MODEL_OPS } as const satisfies Record<string, OpDef>;

export type OpName = keyof typeof OPS;

export const OP_NAMES = Object.keys(OPS).sort() as OpName[];

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}

export function opDef(op: OpName): OpDef {
  return OPS[op];
}

/** Checks arity, then attribute names and kinds; returns attributes with defaults filled in and dims canonical. */
export function normalizeAttrs(op: OpName, arity: number, attrs: Attrs): Attrs {
  const def = opDef(op);
  const [min, max] = typeof def.arity === "number" ? [def.arity, def.arity] : def.arity;
  if (arity < min || arity > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    typeError(`${op} takes ${want} operand${want === "1" ? "" : "s"}, got ${arity}`);
  }
  const out: Record<string, AttrValue> = {};
  for (const name of Object.keys(attrs)) {
    if (!Object.hasOwn(def.attrs, name)) {
      const known = Object.keys(def.attrs);
      typeError(`${op} has no attribute '${name}'${known.length ? ` (it has: ${known.join(", ")})` : ""}`);
    }
  }
  for (const [name, spec] of Object.entries(def.attrs)) {
    const value = attrs[name] ?? spec.default;
    if (value === undefined) {
      if (!spec.optional) typeError(`${op} needs attribute '${name}' (${spec.kind})`);
      continue;
    }
    out[name] = checkAttr(op, name, spec.kind, value);
  }
  return out;
}

function checkAttr(op: OpName, name: string, kind: AttrKind, value: AttrValue): AttrValue {
  const bad = (): never => typeError(`${op}: attribute '${name}' must be ${kind}, got ${JSON.stringify(value)}`);
  const isInt = (v: unknown) => typeof v === "number" && Number.isInteger(v);
  switch (kind) {
    case "int": return isInt(value) ? value : bad();
    case "float": return typeof value === "number" ? value : bad();
    case "bool": return typeof value === "boolean" ? value : bad();
    case "string": return typeof value === "string" ? value : bad();
    case "dtype": return typeof value === "string" && isDType(value) ? value : bad();
    case "dim": return isInt(value) || typeof value === "string" ? canonical(value as number | string, bad) : bad();
    case "ints": return Array.isArray(value) && value.every(isInt) ? value : bad();
    case "floats": return Array.isArray(value) && value.every((v) => typeof v === "number") ? value : bad();
    case "dims":
      return Array.isArray(value) && value.every((v) => isInt(v) || typeof v === "string")
        ? value.map((v) => canonical(v, bad)) : bad();
  }
}

function canonical(dim: number | string, bad: () => never): number | string {
  try {
    return canonicalDim(dim);
  } catch {
    return bad();
  }
}

export type { AttrKind, AttrSpec, OpDef } from "./spec.ts";
export { IRTypeError } from "./spec.ts";
