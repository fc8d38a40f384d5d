// Deterministic random initialization of a model from its config.json, as transformers' `_init_weights` does for
// these architectures: linear and embedding weights ~ normal(0, initializer_range), the embedding row of
// pad_token_id zeroed, RMSNorm weights 1, biases 0. Backs the `trainc init-model` command, which writes the folder.
// Invariant: the values depend only on (seed, parameter name, shape), never on the order parameters are visited,
// so adding a parameter elsewhere leaves the others unchanged. The PRNG is xoshiro128** seeded through splitmix32.
//
// Error codes (2230-2231):
//   2230  the config file is missing or not a JSON object
//   2231  the seed is not an integer in [0, 2^32)

import { readFileSync } from "node:fs";
import { fail } from "../../diagnostics.ts";
import { fnv1a } from "../../random.ts";
import type { DType } from "../../../ir/dtype.ts";
import { fromArray, type Tensor } from "../../../ir/tensor.ts";
import { parseConfig } from "./config.ts";
import { isJsonObject, type JsonObject } from "./keys.ts";
import { saveModel } from "./load.ts";
import { modelParameters, type ParamInfo } from "./params.ts";

/** Fresh parameters for the model `config` describes, by Hugging Face name, in `dtype`. */
export function initParameters(config: JsonObject, seed: number, dtype: DType): Record<string, Tensor> {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) fail(2231, `seed ${seed} is not an integer in [0, 2^32)`, "pass a seed such as 42");
  const spec = parseConfig(config);
  const out: Record<string, Tensor> = {};
  for (const p of modelParameters(spec)) {
    const values = initialValues(p, spec.initializerRange, seed);
    if (p.name === "model.embed_tokens.weight" && spec.padTokenId !== undefined && spec.padTokenId < spec.vocabSize) {
      values.fill(0, spec.padTokenId * spec.hiddenSize, (spec.padTokenId + 1) * spec.hiddenSize);
    }
    out[p.name] = fromArray(dtype, p.shape, values);
  }
  return out;
}

/** Reads the config.json at `configFile`, initializes the model and saves it to `outDir` (config.json + weights). */
export function initModel(configFile: string, outDir: string, options: { readonly seed: number; readonly dtype: DType }): void {
  let text: string;
  let config: unknown;
  try {
    text = readFileSync(configFile, "utf8");
    config = JSON.parse(text);
  } catch (e) {
    fail(2230, `cannot read model config '${configFile}': ${(e as Error).message}`, "pass a Hugging Face config.json file");
  }
  if (!isJsonObject(config)) fail(2230, `model config '${configFile}' is not a JSON object`, "pass a Hugging Face config.json file");
  saveModel(outDir, text, initParameters(config, options.seed, options.dtype), options.dtype);
}

function initialValues(p: ParamInfo, std: number, seed: number): Float64Array {
  const count = p.shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  if (p.init === "ones") values.fill(1);
  if (p.init === "normal") {
    const rng = new Rng(seed, p.name);
    for (let i = 0; i < count; i++) values[i] = std * rng.normal();
  }
  return values;
}

/** xoshiro128** over 32-bit words; one independent stream per (seed, name). */
export class Rng {
  private readonly s = new Uint32Array(4);
  private spare: number | undefined;

  constructor(seed: number, stream: string) {
    let x = (seed ^ fnv1a(stream)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** The next 32 random bits. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }

  /** Standard normal by the Box-Muller transform (both outputs used). */
  normal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
