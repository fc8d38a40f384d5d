// The example model's config (examples/tiny-llama/config.yml) rewritten for a test: absolute paths to the model,
// tokenizer and data, output_dir in the test's folder, and any further edits the test makes.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const EXAMPLE = join(import.meta.dirname, "../../examples/tiny-llama");

/** Writes `<dir>/<name>.yml`, the example config with output_dir `<dir>/<name>` and `edit` applied; returns its path. */
export function exampleConfig(dir: string, name: string, edit: (text: string) => string = (t) => t): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, edit(readFileSync(join(EXAMPLE, "config.yml"), "utf8")
    .replace("base_model: ./model", `base_model: ${join(EXAMPLE, "model")}`)
    .replace("tokenizer_config: ./tokenizer", `tokenizer_config: ${join(EXAMPLE, "tokenizer")}`)
    .replace("path: ./data/train.jsonl", `path: ${join(EXAMPLE, "data/train.jsonl")}`)
    .replace(/output_dir: .*/, `output_dir: ${join(dir, name)}`)));
  return file;
}
