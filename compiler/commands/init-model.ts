// `trainc init-model <config.json> -o <dir> [--seed N]`: a randomly initialized Hugging Face model folder
// (config.json + model.safetensors, float32), deterministic by seed (compiler/import/hf/init.ts).

import { initModel as writeInitialModel } from "../import/hf/init.ts";

export async function initModel(configFile: string, options: { readonly out: string; readonly seed: number }): Promise<void> {
  writeInitialModel(configFile, options.out, { seed: options.seed, dtype: "f32" });
  process.stdout.write(`wrote a random model (seed ${options.seed}) to ${options.out}\n`);
}
