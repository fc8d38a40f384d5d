// buildGradsGraph on imported Hugging Face models against the transformers oracle in test/fixtures/hf (float64 loss,
// logits and every parameter gradient, written by transformers itself): packed documents, sliding window, biases
// with tied embeddings, q/k norms, YaRN rope and a non-default head_dim.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../compiler/import/hf/load.ts";
import { readSafetensors } from "../../compiler/import/safetensors.ts";
import type { DType } from "../../ir/dtype.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { toArray, type Tensor } from "../../ir/tensor.ts";
import { buildGradsGraph } from "../../ir/train-step.ts";

const FIXTURES = new URL("../fixtures/hf/", import.meta.url).pathname;

function relativeError(actual: Tensor, expected: Tensor): number {
  const a = toArray(actual);
  const e = toArray(expected);
  return Math.hypot(...a.map((v, i) => v - e[i]!)) / Math.hypot(...e);
}

/** Relative error of every reference tensor (loss, logits, grad.<name>) for one fixture run in `dtype`. */
function compare(name: string, dtype: DType): Record<string, number> {
  const dir = `${FIXTURES}${name}`;
  const model = loadModel(dir, { dtype });
  const batch = readSafetensors(`${dir}/batch.safetensors`);
  const reference = readSafetensors(`${dir}/reference.safetensors`, "f64");
  const out = interpret(buildGradsGraph(model.forward, Object.keys(model.parameters)), { ...batch, ...model.parameters });
  return Object.fromEntries(Object.keys(reference).map((key) => [key, relativeError(out[key]!, reference[key]!)]));
}

describe("buildGradsGraph against transformers", () => {
  it.each([
    "llama_packed", "mistral_sliding_window", "qwen2_bias_tied", "qwen3_qk_norm", "llama_rope_yarn", "llama_head_dim12",
  ])("%s in f64: loss, logits and every gradient within 1e-10", (name) => {
    const errors = compare(name, "f64");
    expect(Object.keys(errors)).toContain("loss");
    for (const [key, error] of Object.entries(errors)) expect(error, key).toBeLessThanOrEqual(1e-10);
  });

  it("llama_packed in f32: within f32 accuracy", () => {
    for (const [key, error] of Object.entries(compare("llama_packed", "f32"))) expect(error, key).toBeLessThanOrEqual(1e-5);
  });
});
