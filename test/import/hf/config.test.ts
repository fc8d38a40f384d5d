// config.json -> ModelSpec: each architecture's switches and transformers-5 defaults, per-layer sliding windows,
// RoPE parameters from both layouts (legacy rope_theta + rope_scaling, transformers-5 rope_parameters) normalized
// to rope_tables attributes, and the errors for missing folders, files, keys and unsupported settings.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../../compiler/import/hf/config.ts";
import { expectTraincError, tempDir, tinyConfig, writeConfig } from "./helpers.ts";

const root = tempDir();
let counter = 0;
/** Writes `config` into a fresh model folder and loads it. */
function load(config: object) {
  const dir = join(root, `m${counter++}`);
  mkdirSync(dir);
  return loadConfig(writeConfig(dir, config)).spec;
}

describe("architectures", () => {
  it("Llama: GQA, derived head_dim, optional biases, no sliding window", () => {
    const spec = load(tinyConfig("LlamaForCausalLM", { attention_bias: true, mlp_bias: true }));
    expect(spec).toMatchObject({
      architecture: "LlamaForCausalLM", vocabSize: 40, hiddenSize: 32, intermediateSize: 48, numLayers: 2, numHeads: 4,
      numKvHeads: 2, headDim: 8, qkvBias: true, oBias: true, mlpBias: true, qkNorm: false, tieWordEmbeddings: false,
      slidingWindows: [0, 0],
    });
    expect(load(tinyConfig("LlamaForCausalLM"))).toMatchObject({ qkvBias: false, oBias: false, mlpBias: false });
  });

  it("Llama: num_key_value_heads defaults to the head count, head_dim may be explicit", () => {
    const config = { ...tinyConfig("LlamaForCausalLM", { head_dim: 12 }), num_key_value_heads: null };
    expect(parseConfig(config)).toMatchObject({ numKvHeads: 4, headDim: 12 });
  });

  it("Mistral: no biases, the sliding window on every layer (4096 when absent, none when null)", () => {
    expect(load(tinyConfig("MistralForCausalLM", { sliding_window: 8 })).slidingWindows).toEqual([8, 8]);
    expect(parseConfig(tinyConfig("MistralForCausalLM")).slidingWindows).toEqual([4096, 4096]);
    expect(parseConfig(tinyConfig("MistralForCausalLM", { sliding_window: null })).slidingWindows).toEqual([0, 0]);
    expect(parseConfig(tinyConfig("MistralForCausalLM", { attention_bias: true }))).toMatchObject({ qkvBias: false, oBias: false });
  });

  it("Qwen2: q/k/v biases but no o_proj bias, tie_word_embeddings read", () => {
    const spec = load(tinyConfig("Qwen2ForCausalLM", { tie_word_embeddings: true }));
    expect(spec).toMatchObject({ qkvBias: true, oBias: false, mlpBias: false, qkNorm: false, tieWordEmbeddings: true });
  });

  it("Qwen3: q/k norm, attention_bias on all four projections, head_dim default 128", () => {
    expect(load(tinyConfig("Qwen3ForCausalLM", { head_dim: 16 }))).toMatchObject({ qkNorm: true, headDim: 16, qkvBias: false });
    expect(parseConfig(tinyConfig("Qwen3ForCausalLM", { attention_bias: true }))).toMatchObject({ qkvBias: true, oBias: true, headDim: 128 });
  });

  it("takes the architecture from model_type when architectures is absent", () => {
    const { architectures: _, ...config } = tinyConfig("LlamaForCausalLM");
    expect(parseConfig({ ...config, model_type: "qwen3" }).architecture).toBe("Qwen3ForCausalLM");
  });

  it("uses transformers' per-architecture defaults for absent keys", () => {
    const strip = (arch: string) => {
      const { num_key_value_heads: _a, max_position_embeddings: _b, rms_norm_eps: _c, ...rest } = tinyConfig(arch, { num_attention_heads: 32, hidden_size: 256 });
      return parseConfig(rest);
    };
    expect(strip("LlamaForCausalLM")).toMatchObject({ numKvHeads: 32, maxPositionEmbeddings: 2048, rmsNormEps: 1e-6, initializerRange: 0.02 });
    expect(strip("MistralForCausalLM")).toMatchObject({ numKvHeads: 8, maxPositionEmbeddings: 131072 });
    expect(strip("Qwen2ForCausalLM")).toMatchObject({ numKvHeads: 32, maxPositionEmbeddings: 32768 });
  });
});

describe("Qwen sliding windows", () => {
  const qwen = (extra: object) => parseConfig(tinyConfig("Qwen2ForCausalLM", { num_hidden_layers: 4, sliding_window: 6, ...extra }));

  it("slide from max_window_layers on, only with use_sliding_window", () => {
    expect(qwen({ use_sliding_window: true, max_window_layers: 2 }).slidingWindows).toEqual([0, 0, 6, 6]);
    expect(qwen({ use_sliding_window: false, max_window_layers: 2 }).slidingWindows).toEqual([0, 0, 0, 0]);
    expect(qwen({ use_sliding_window: true }).slidingWindows).toEqual([0, 0, 0, 0]);
  });

  it("follow layer_types when given (transformers 5)", () => {
    const layerTypes = ["sliding_attention", "full_attention", "sliding_attention", "full_attention"];
    expect(qwen({ use_sliding_window: true, layer_types: layerTypes }).slidingWindows).toEqual([6, 0, 6, 0]);
    expect(qwen({ use_sliding_window: false, layer_types: layerTypes }).slidingWindows).toEqual([0, 0, 0, 0]);
  });

  it("reject layer_types of the wrong length or with unknown entries", () => {
    expectTraincError(() => qwen({ layer_types: ["full_attention"] }), 2209);
    expect(expectTraincError(() => qwen({ layer_types: ["full", "full", "full", "full"] }), 2206).message).toContain("layer_types");
  });
});

describe("RoPE parameters", () => {
  const llama = (extra: object) => load(tinyConfig("LlamaForCausalLM", extra)).rope;

  it("default rope from the top-level rope_theta, or 10000", () => {
    expect(llama({ rope_theta: 500000 })).toEqual({ rope_type: "default", dim: 8, theta: 500000, max_position_embeddings: 64 });
    expect(llama({}).theta).toBe(10000);
  });

  const layouts: [string, object, object][] = [
    ["linear", { rope_theta: 1000, rope_scaling: { type: "linear", factor: 2 } },
      { rope_parameters: { rope_type: "linear", rope_theta: 1000, factor: 2 } }],
    ["dynamic", { rope_theta: 1000, rope_scaling: { rope_type: "dynamic", factor: 3 } },
      { rope_parameters: { rope_type: "dynamic", rope_theta: 1000, factor: 3 } }],
    ["yarn", { rope_theta: 1000, rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 16, beta_fast: 8, truncate: false } },
      { rope_parameters: { rope_type: "yarn", rope_theta: 1000, factor: 4, original_max_position_embeddings: 16, beta_fast: 8, truncate: false } }],
    ["llama3", { rope_theta: 1000, rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } },
      { rope_parameters: { rope_type: "llama3", rope_theta: 1000, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } }],
    ["longrope", { rope_theta: 1000, rope_scaling: { type: "longrope", short_factor: [1, 1, 1, 1], long_factor: [1, 2, 3, 4], original_max_position_embeddings: 16 } },
      { rope_parameters: { rope_type: "longrope", rope_theta: 1000, short_factor: [1, 1, 1, 1], long_factor: [1, 2, 3, 4], original_max_position_embeddings: 16 } }],
  ];

  it.each(layouts)("%s: the legacy and the transformers-5 layout give the same attributes", (type, legacy, modern) => {
    const a = llama(legacy);
    expect(a).toEqual(llama(modern));
    expect(a["rope_type"]).toBe(type);
    expect(a["theta"]).toBe(1000);
  });

  it("fills what transformers derives: original_max_position_embeddings, and factor for yarn / longrope", () => {
    expect(llama({ rope_scaling: { type: "yarn", factor: 2 } })).toMatchObject({ original_max_position_embeddings: 64, factor: 2 });
    expect(llama({ rope_parameters: { rope_type: "yarn", original_max_position_embeddings: 16 } })).toMatchObject({ factor: 4 });
    const longrope = { rope_type: "longrope", short_factor: [1, 1, 1, 1], long_factor: [1, 1, 1, 1] };
    expect(llama({ rope_parameters: longrope, original_max_position_embeddings: 32 })).toMatchObject({ original_max_position_embeddings: 32, factor: 2 });
    expect(llama({ rope_scaling: { type: "linear", factor: 2 } })["original_max_position_embeddings"]).toBeUndefined();
  });

  it("prefers rope_scaling over rope_parameters and the dict's theta over the top-level one", () => {
    expect(llama({ rope_scaling: { type: "linear", factor: 2 }, rope_parameters: { rope_type: "default" } })["rope_type"]).toBe("linear");
    expect(llama({ rope_theta: 5, rope_parameters: { rope_type: "default", rope_theta: 7 } })["theta"]).toBe(7);
  });

  it("explains what is wrong with rope settings", () => {
    expect(expectTraincError(() => llama({ rope_scaling: { type: "ntk-by-parts", factor: 2 } }), 2208).message).toContain("yarn");
    expect(expectTraincError(() => llama({ rope_scaling: { type: "llama3", factor: 8 } }), 2208).message).toContain("low_freq_factor");
    expectTraincError(() => llama({ rope_scaling: { type: "linear" } }), 2208);
    expect(expectTraincError(() => llama({ rope_scaling: { type: "longrope", short_factor: [1], long_factor: [1] } }), 2208).message).toContain("head_dim/2 = 4");
    expect(expectTraincError(() => llama({ rope_scaling: { type: "linear", factor: "2" } }), 2206).message).toContain("'factor'");
    expectTraincError(() => llama({ partial_rotary_factor: 0.5 }), 2207);
    expectTraincError(() => llama({ layer_types: ["full_attention", "full_attention"], rope_parameters: { full_attention: { rope_type: "default" } } }), 2207);
  });
});

describe("errors", () => {
  it("a missing folder, a file given as folder, a folder without config.json", () => {
    expect(expectTraincError(() => loadConfig(join(root, "absent")), 2201).message).toContain("absent");
    const file = join(root, "file.json");
    writeFileSync(file, "{}");
    expectTraincError(() => loadConfig(file), 2201);
    const empty = join(root, "empty");
    mkdirSync(empty);
    writeFileSync(join(empty, "model.safetensors"), "");
    expect(expectTraincError(() => loadConfig(empty), 2202).message).toContain("model.safetensors");
  });

  it("malformed JSON and a non-object", () => {
    const dir = join(root, "bad");
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json"), "{\"vocab_size\": 3,");
    expect(expectTraincError(() => loadConfig(dir), 2203).message).toContain("config.json");
    writeFileSync(join(dir, "config.json"), "[1]");
    expectTraincError(() => loadConfig(dir), 2203);
  });

  it("an unsupported architecture lists the supported ones and suggests the closest", () => {
    const error = expectTraincError(() => parseConfig(tinyConfig("LlamaForCausalLm")), 2204);
    expect(error.message).toContain("Qwen3ForCausalLM");
    expect(error.fix).toContain("LlamaForCausalLM");
    expectTraincError(() => parseConfig(tinyConfig("GPT2LMHeadModel")), 2204);
  });

  it("a missing required key names the key and the file", () => {
    const { hidden_size: _, ...config } = tinyConfig("LlamaForCausalLM");
    const error = expectTraincError(() => load(config), 2205);
    expect(error.message).toContain("'hidden_size'");
    expect(error.message).toContain("config.json");
  });

  it("wrong types, inconsistent head counts and unsupported activations", () => {
    expect(expectTraincError(() => parseConfig(tinyConfig("LlamaForCausalLM", { vocab_size: 40.5 })), 2206).message).toContain("vocab_size");
    expectTraincError(() => parseConfig(tinyConfig("LlamaForCausalLM", { num_key_value_heads: 3 })), 2209);
    expectTraincError(() => parseConfig(tinyConfig("LlamaForCausalLM", { hidden_size: 30 })), 2209);
    expect(expectTraincError(() => parseConfig(tinyConfig("LlamaForCausalLM", { hidden_act: "gelu" })), 2207).message).toContain("gelu");
  });
});
