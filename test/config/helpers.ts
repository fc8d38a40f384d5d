// Shared helpers for the compiler/config tests: a minimal valid config to extend, and an assertion that parsing
// fails with an exact error code and a message naming the culprit.

import { expect } from "vitest";
import { parseConfig, type LoadedConfig } from "../../compiler/config/index.ts";
import { TraincError } from "../../compiler/diagnostics.ts";

/** The smallest config that passes every check (lines 1-7). */
export const BASE = [
  "base_model: ./models/tiny-llama",
  "datasets:",
  "  - path: ./data/train.jsonl",
  "    type: alpaca",
  "micro_batch_size: 2",
  "gradient_accumulation_steps: 4",
  "learning_rate: 2e-5",
].join("\n");

/** BASE with `lines` appended. */
export function withLines(...lines: string[]): string {
  return [BASE, ...lines].join("\n") + "\n";
}

/** Parses `text` as `cfg.yml`. */
export function parse(text: string): LoadedConfig {
  return parseConfig(text, "cfg.yml");
}

/** The TraincError thrown by parsing `text` (fails the test when nothing or something else is thrown). */
export function errorOf(text: string): TraincError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(TraincError);
    return error as TraincError;
  }
  throw new Error(`expected parsing to fail:\n${text}`);
}

/** Asserts that parsing fails with `code` and a message containing every fragment. */
export function expectError(text: string, code: number, ...fragments: string[]): TraincError {
  const error = errorOf(text);
  expect(error.code, error.format()).toBe(code);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  expect(error.fix).toBeTruthy();
  return error;
}
