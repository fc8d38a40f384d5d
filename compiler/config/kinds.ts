// Value kinds for the config schema: small zod builders that carry a human "expected …" text, so every type error
// says what was expected in words a config author reads (not zod's internal names).
// Invariant: each builder's error text starts with "expected" and is the same for a wrong type and a failed check.

import { z } from "zod";

/** true or false. */
export const bool = () => z.boolean({ error: "expected true or false" });

/** Any string. */
export const str = () => z.string({ error: "expected a string" });

/** A whole number ≥ `min`. */
export function wholeNumber(min: number) {
  const error = `expected a whole number ≥ ${min}`;
  return z.int({ error }).min(min, { error });
}

/** A finite number ≥ `min` (or > `min` when `exclusive`). */
export function number(min: number, exclusive = false) {
  const error = `expected a number ${exclusive ? ">" : "≥"} ${min}`;
  const base = z.number({ error });
  return exclusive ? base.gt(min, { error }) : base.min(min, { error });
}

/** A number in [0, 1]. */
export function fraction() {
  const error = "expected a number from 0 to 1";
  return z.number({ error }).min(0, { error }).max(1, { error });
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of: ${values.join(", ")}` });
}

/** true, false or one of a few strings (e.g. `bf16: auto`). */
export function boolOr<const T extends readonly [string, ...string[]]>(values: T) {
  const words = values.map((v) => `"${v}"`).join(", ");
  return z.union([z.boolean(), z.enum(values)], { error: `expected true, false or ${words}` });
}

/** A list of strings. */
export function stringList() {
  return z.array(str(), { error: "expected a list of strings" });
}

/** A string or a list of strings (e.g. lora_target_modules). */
export function stringOrList() {
  return z.union([z.string(), z.array(z.string())], { error: "expected a string or a list of strings" });
}

/** A list of whole numbers ≥ `min`. */
export function numberList(min: number) {
  return z.array(wholeNumber(min), { error: `expected a list of whole numbers ≥ ${min}` });
}

/** A mapping with free-form keys (passed through to another tool in Axolotl, e.g. model_kwargs). */
export function mapping() {
  return z.record(z.string(), z.unknown(), { error: "expected a mapping of keys to values" });
}

/** Any value: for keys trainc accepts for compatibility but does not read. */
export const anything = () => z.unknown();

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A number or a string holding one (`"2e-5"`), cast to a number ≥ 0 as Axolotl casts learning_rate. */
export function numberOrNumericString() {
  const error = 'expected a number ≥ 0 or a numeric string such as "2e-5"';
  return z.union([z.number(), z.string()], { error }).transform((value, ctx) => {
    const n = typeof value === "number" ? value : NUMERIC.test(value.trim()) ? Number(value) : Number.NaN;
    if (Number.isFinite(n) && n >= 0) return n;
    ctx.issues.push({ code: "custom", message: error, input: value });
    return z.NEVER;
  });
}
