// The Hugging Face oracle fixtures' manifest (test/fixtures/hf/manifest.json, written by make_hf_fixtures.py) as the
// tests read it: the cases, and for a prefix_lm case the config `trainc grads` needs to build the model the way the
// reference ran it (prefix-LM attention is a config key, not part of the model folder).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HF_FIXTURES } from "./train-step.ts";

/** One case of the manifest, as far as the tests need it. */
export interface FixtureCase {
  readonly name: string;
  /** The reference is prefix-LM attention over the prompts of its batch (the config's prefix_lm). */
  readonly prefix_lm?: boolean;
}

/** Every case of the manifest, in its order. */
export function fixtureCases(): FixtureCase[] {
  return (JSON.parse(readFileSync(join(HF_FIXTURES, "manifest.json"), "utf8")) as { cases: FixtureCase[] }).cases;
}

/** The `--config` of `trainc grads` for case `c` (f32; written into `dir`): one with prefix_lm: true, else none. */
export function gradsConfig(c: FixtureCase, dir: string): string | undefined {
  if (c.prefix_lm !== true) return undefined;
  const file = join(dir, `${c.name}.yml`);
  writeFileSync(file, [`base_model: ${join(HF_FIXTURES, c.name)}`, "datasets:", "  - path: unused.jsonl",
    "    type: completion", "sequence_len: 64", "micro_batch_size: 1", "gradient_accumulation_steps: 1",
    "learning_rate: 0.001", "bf16: false", "prefix_lm: true", ""].join("\n"));
  return file;
}
