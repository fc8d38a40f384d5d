// Checkpoints as Hugging Face folders: config.json + model.safetensors (via compiler/import/hf/load.ts's saveModel,
// which writes through temporary files) plus the tokenizer files, so `transformers` and `trainc` both load them;
// and the save_total_limit rule for checkpoint-<step> folders.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { saveModel } from "../import/hf/load.ts";
import type { DType } from "../../ir/dtype.ts";
import type { Tensor } from "../../ir/tensor.ts";

/** Tokenizer files copied beside the weights when the tokenizer's folder has them. */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

export function saveCheckpoint(
  dir: string,
  model: { readonly configText: string; readonly tokenizerFile: string },
  parameters: Readonly<Record<string, Tensor>>,
  dtype: DType,
): void {
  mkdirSync(dir, { recursive: true });
  saveModel(dir, model.configText, parameters, dtype);
  const from = dirname(model.tokenizerFile);
  for (const name of TOKENIZER_FILES) {
    const file = join(from, name);
    if (existsSync(file) && from !== dir) copyFileSync(file, join(dir, name));
  }
}

/** Keeps the newest `limit` checkpoint-<step> folders in `dir` and removes older ones (save_total_limit). */
export function pruneCheckpoints(dir: string, limit: number): void {
  const steps = readdirSync(dir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const step of steps.slice(limit)) rmSync(join(dir, `checkpoint-${step}`), { recursive: true, force: true });
}
