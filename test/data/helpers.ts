// Shared helpers of the data tests: a temporary folder per test file, writing files into it, and catching the
// TraincError a call throws so a test can check its code and message.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TraincError } from "../../compiler/diagnostics.ts";

/** The tiny-llama example folder. */
export const EXAMPLE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "tiny-llama");

/** The example's tokenizer folder (the test tokenizer). */
export const EXAMPLE_TOKENIZER = join(EXAMPLE_DIR, "tokenizer");

/** A fresh temporary folder; `cleanup` removes it. */
export function tempFolder(): { dir: string; write: (name: string, text: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "trainc-data-"));
  return {
    dir,
    write: (name, text) => {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The TraincError `run` throws; fails the test if it throws something else or nothing. */
export function traincError(run: () => unknown): TraincError {
  try {
    run();
  } catch (error) {
    if (error instanceof TraincError) return error;
    throw error;
  }
  throw new Error("expected a TraincError, but nothing was thrown");
}
