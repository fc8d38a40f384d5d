// Shared helpers of the import tests: temporary folders, catching TraincErrors by code, and writing small model
// folders (config.json + model.safetensors) from a config object.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { TraincError } from "../../../compiler/diagnostics.ts";

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "trainc-import-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `fn`, expects a TraincError with `code`, and returns it for further checks on its message. */
export function expectTraincError(fn: () => unknown, code: number): TraincError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a TraincError").toBeInstanceOf(TraincError);
  const error = caught as TraincError;
  expect(error.code, error.message).toBe(code);
  expect(error.fix, "every TraincError says what to do").toBeTruthy();
  return error;
}

/** Writes `config` as `<dir>/config.json` (pretty-printed like save_pretrained) and returns dir. */
export function writeConfig(dir: string, config: object): string {
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  return dir;
}

/** A small config of each supported architecture (GQA, 2 layers). */
export function tinyConfig(architecture: string, extra: object = {}): Record<string, unknown> {
  return {
    architectures: [architecture], vocab_size: 40, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6, ...extra,
  };
}
