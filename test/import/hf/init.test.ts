// Random init: deterministic per (seed, parameter name), transformers' scheme (normal(0, initializer_range) for
// linear and embedding weights with the pad row zeroed, ones for norms, zeros for biases), and initModel writing a
// folder that loads; the PRNG's moments; errors for a bad seed or config file.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initModel, initParameters, Rng } from "../../../compiler/import/hf/init.ts";
import { loadModel } from "../../../compiler/import/hf/load.ts";
import { roundTo } from "../../../ir/tensor.ts";
import { expectTraincError, tempDir, tinyConfig } from "./helpers.ts";

const root = tempDir();

function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    squares += values[i]! ** 2;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean) };
}

describe("initParameters", () => {
  const config = tinyConfig("Qwen2ForCausalLM", { initializer_range: 0.5, hidden_size: 64, intermediate_size: 256, pad_token_id: 3 });
  const params = initParameters(config, 42, "f32");

  it("draws linear and embedding weights from normal(0, initializer_range)", () => {
    const { mean, std } = moments(params["model.layers.0.mlp.up_proj.weight"]!.data);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeGreaterThan(0.48);
    expect(std).toBeLessThan(0.52);
  });

  it("sets norms to one, biases to zero, and the pad token's embedding row to zero", () => {
    expect(new Set(params["model.layers.1.input_layernorm.weight"]!.data)).toEqual(new Set([1]));
    expect(new Set(params["model.layers.0.self_attn.q_proj.bias"]!.data)).toEqual(new Set([0]));
    const embedding = params["model.embed_tokens.weight"]!.data;
    expect(new Set(embedding.subarray(3 * 64, 4 * 64))).toEqual(new Set([0]));
    expect(embedding.subarray(2 * 64, 3 * 64).every((v) => v !== 0)).toBe(true);
  });

  it("is deterministic per seed and parameter name, whatever else the model holds", () => {
    const again = initParameters(config, 42, "f32");
    const other = initParameters(config, 43, "f32");
    const deeper = initParameters({ ...config, num_hidden_layers: 3 }, 42, "f32");
    const name = "model.layers.1.self_attn.o_proj.weight";
    expect(again[name]!.data).toEqual(params[name]!.data);
    expect(deeper[name]!.data).toEqual(params[name]!.data);
    expect(other[name]!.data).not.toEqual(params[name]!.data);
    expect(params["model.layers.0.self_attn.o_proj.weight"]!.data).not.toEqual(params[name]!.data);
  });

  it("rounds to the requested dtype", () => {
    const bf16 = initParameters(config, 42, "bf16")["lm_head.weight"]!;
    expect(bf16.dtype).toBe("bf16");
    expect(Array.from(bf16.data).every((v) => roundTo("bf16", v) === v)).toBe(true);
  });

  it("refuses a seed outside [0, 2^32)", () => {
    expectTraincError(() => initParameters(config, -1, "f32"), 2231);
    expectTraincError(() => initParameters(config, 1.5, "f32"), 2231);
  });
});

describe("initModel", () => {
  it("writes a folder loadModel reads, with the config text kept", () => {
    const configFile = join(root, "model-config.json");
    writeFileSync(configFile, JSON.stringify(tinyConfig("LlamaForCausalLM", { tie_word_embeddings: true }), null, 2));
    const out = join(root, "model");
    initModel(configFile, out, { seed: 5, dtype: "f32" });
    const model = loadModel(out, { dtype: "f32" });
    expect(model.spec.tieWordEmbeddings).toBe(true);
    expect(model.parameters["model.norm.weight"]!.data.every((v) => v === 1)).toBe(true);
    expect(model.parameters["model.embed_tokens.weight"]!.data).toEqual(initParameters(model.config, 5, "f32")["model.embed_tokens.weight"]!.data);
  });

  it("names a missing or malformed config file", () => {
    expect(expectTraincError(() => initModel(join(root, "nope.json"), join(root, "x"), { seed: 1, dtype: "f32" }), 2230).message).toContain("nope.json");
    const bad = join(root, "bad.json");
    writeFileSync(bad, "[1, 2]");
    expectTraincError(() => initModel(bad, join(root, "x"), { seed: 1, dtype: "f32" }), 2230);
  });
});

describe("Rng", () => {
  it("gives uniforms in [0, 1) and standard normals", () => {
    const rng = new Rng(9, "stream");
    const uniforms = Array.from({ length: 20000 }, () => rng.uniform());
    expect(uniforms.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(moments(uniforms).mean).toBeCloseTo(0.5, 1);
    const normals = moments(Array.from({ length: 20000 }, () => rng.normal()));
    expect(Math.abs(normals.mean)).toBeLessThan(0.03);
    expect(Math.abs(normals.std - 1)).toBeLessThan(0.03);
  });

  it("gives different streams for different names", () => {
    expect(new Rng(1, "a").nextU32()).not.toBe(new Rng(1, "b").nextU32());
    expect(new Rng(1, "a").nextU32()).toBe(new Rng(1, "a").nextU32());
  });
});
