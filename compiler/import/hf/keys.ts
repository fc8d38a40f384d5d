// Typed reads of keys from a Hugging Face config.json object, each failure a TraincError that names the key and the
// file. Used by config.ts and rope-config.ts; the codes live in config.ts's table (2205 missing key, 2206 bad value).
// Invariant: JSON `null` reads as "absent" everywhere (transformers treats a null field as unset and uses its default).

import { fail } from "../../diagnostics.ts";

/** A JSON object as parsed from config.json. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** True for a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads keys of one JSON object; `where` names it in messages (`config.json` or `config.json: rope_scaling`). */
export class KeyReader {
  readonly obj: JsonObject;
  readonly where: string;

  constructor(obj: JsonObject, where: string) {
    this.obj = obj;
    this.where = where;
  }

  /** True when the key is present and not null. */
  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  /** A positive integer; `fallback` when absent, an error when absent without one. */
  int(key: string, fallback?: number): number {
    const value = this.value(key, fallback);
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) this.bad(key, value, "a positive integer");
    return value;
  }

  /** A finite number; `fallback` when absent, an error when absent without one. */
  number(key: string, fallback?: number): number {
    const value = this.value(key, fallback);
    if (typeof value !== "number" || !Number.isFinite(value)) this.bad(key, value, "a number");
    return value;
  }

  bool(key: string, fallback?: boolean): boolean {
    const value = this.value(key, fallback);
    if (typeof value !== "boolean") this.bad(key, value, "true or false");
    return value;
  }

  string(key: string, fallback?: string): string {
    const value = this.value(key, fallback);
    if (typeof value !== "string") this.bad(key, value, "a string");
    return value;
  }

  /** A list of finite numbers. */
  numbers(key: string): number[] {
    const value = this.value(key, undefined);
    if (!Array.isArray(value) || !value.every((v) => typeof v === "number" && Number.isFinite(v))) {
      this.bad(key, value, "a list of numbers");
    }
    return value as number[];
  }

  /** Fails with code 2206 naming the key, its value and what it must be. */
  bad(key: string, value: unknown, want: string): never {
    return fail(2206, `${this.where}: '${key}' is ${JSON.stringify(value)}; it must be ${want}`,
      `set '${key}' to ${want} in ${this.where.split(":")[0]}`);
  }

  private value(key: string, fallback: unknown): unknown {
    if (this.has(key)) return this.obj[key];
    if (fallback !== undefined) return fallback;
    return fail(2205, `${this.where} has no '${key}'`, `add '${key}' to ${this.where.split(":")[0]} (transformers writes it with save_pretrained)`);
  }
}
