// loadModel / saveModel: a saved folder loads back with the same parameters for every architecture, config.json
// keeps its text except the dtype key, and a checkpoint that does not fit config.json fails naming the tensor, the
// file and the shapes; unused tensors become warnings (known buffers excepted). A folder with config.json alone
// loads with every parameter's dtype and shape (the Llama-3.2-1B shape of bench/llama-1b), and asking for values
// fails with E2224 naming the folder; values are read on first use, not at load time.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARCHITECTURES } from "../../../compiler/import/hf/config.ts";
import { initParameters } from "../../../compiler/import/hf/init.ts";
import { loadModel, saveModel } from "../../../compiler/import/hf/load.ts";
import { SafetensorsFile, writeSafetensors } from "../../../compiler/import/safetensors.ts";
import { fromArray, type Tensor } from "../../../ir/tensor.ts";
import { expectTraincError, tempDir, tinyConfig, writeConfig } from "./helpers.ts";

const root = tempDir();
let counter = 0;
const folder = () => {
  const dir = join(root, `m${counter++}`);
  mkdirSync(dir);
  return dir;
};

/** A saved random model of `architecture`; returns its folder and the parameters written. */
function savedModel(architecture: string, extra: object = {}) {
  const config = tinyConfig(architecture, extra);
  const text = JSON.stringify(config, null, 2);
  const parameters = initParameters(config, 7, "f32");
  const dir = folder();
  saveModel(dir, text, parameters, "f32");
  return { dir, parameters, text };
}

describe("round trip", () => {
  it.each(ARCHITECTURES)("%s: saveModel then loadModel gives the same parameters", (architecture) => {
    const { dir, parameters } = savedModel(architecture, { tie_word_embeddings: architecture === "Qwen2ForCausalLM" });
    const model = loadModel(dir, { dtype: "f32" });
    expect(model.spec.architecture).toBe(architecture);
    expect(Object.keys(model.parameters)).toEqual(Object.keys(parameters));
    for (const [name, tensor] of Object.entries(parameters)) expect(model.parameters[name]!.data, name).toEqual(tensor.data);
    expect(model.warnings).toEqual([]);
    expect(model.forward.inputs.length).toBe(2 + Object.keys(parameters).length);
  });

  it("saves in bf16: the weights are BF16 and config.json changes only in torch_dtype", () => {
    const config = { ...tinyConfig("LlamaForCausalLM"), rope_theta: 10000.0, torch_dtype: "float32", text_config: { dtype: "keep" } };
    const text = JSON.stringify(config, null, 2).replace('"rope_theta": 10000', '"rope_theta": 10000.0');
    const dir = folder();
    saveModel(dir, text, initParameters(config, 1, "f32"), "bf16");
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe(text.replace('"torch_dtype": "float32"', '"torch_dtype": "bfloat16"'));
    const file = SafetensorsFile.open(join(dir, "model.safetensors"));
    expect(file.metadata).toEqual({ format: "pt" });
    expect(new Set(file.names().map((n) => file.info(n)!.format))).toEqual(new Set(["BF16"]));
    file.close();
    const model = loadModel(dir, { dtype: "bf16" });
    expect(model.parameters["model.norm.weight"]!.dtype).toBe("bf16");
  });

  it("writes transformers-5's dtype key, or adds torch_dtype when the config has neither", () => {
    const v5 = folder();
    const config = tinyConfig("LlamaForCausalLM", { dtype: "float32" });
    saveModel(v5, JSON.stringify(config), initParameters(config, 1, "f32"), "f16");
    expect(JSON.parse(readFileSync(join(v5, "config.json"), "utf8"))["dtype"]).toBe("float16");
    const bare = folder();
    saveModel(bare, JSON.stringify(tinyConfig("LlamaForCausalLM")), initParameters(tinyConfig("LlamaForCausalLM"), 1, "f32"), "f64");
    expect(JSON.parse(readFileSync(join(bare, "config.json"), "utf8"))).toEqual({ torch_dtype: "float64", ...tinyConfig("LlamaForCausalLM") });
  });
});

describe("checks against config.json", () => {
  /** A folder whose weights are `parameters` edited by `edit`. */
  function withWeights(edit: (p: Record<string, Tensor>) => void, extra: object = {}): string {
    const { dir, parameters } = savedModel("LlamaForCausalLM", extra);
    edit(parameters);
    writeSafetensors(join(dir, "model.safetensors"), parameters);
    return dir;
  }

  it("names missing tensors with their expected shapes", () => {
    const dir = withWeights((p) => {
      delete p["lm_head.weight"];
      delete p["model.layers.1.mlp.up_proj.weight"];
    });
    const error = expectTraincError(() => loadModel(dir, { dtype: "f32" }), 2220);
    expect(error.message).toContain("2 tensor(s)");
    expect(error.message).toContain("'lm_head.weight' [40,32]");
    expect(error.message).toContain("model.safetensors");
  });

  it("names a tensor of the wrong shape, its file, and both shapes", () => {
    const dir = withWeights((p) => {
      p["model.layers.0.self_attn.k_proj.weight"] = fromArray("f32", [32, 32], new Array(1024).fill(0));
    });
    const error = expectTraincError(() => loadModel(dir, { dtype: "f32" }), 2221);
    expect(error.message).toContain("'model.layers.0.self_attn.k_proj.weight'");
    expect(error.message).toContain("[32,32]");
    expect(error.message).toContain("[16,32]");
    expect(error.message).toContain(join(dir, "model.safetensors"));
  });

  it("warns about tensors the model does not use, but not about rotary inv_freq", () => {
    const dir = withWeights((p) => {
      p["model.layers.0.self_attn.rotary_emb.inv_freq"] = fromArray("f32", [4], [1, 1, 1, 1]);
      p["extra.weight"] = fromArray("f32", [1], [1]);
    });
    const { warnings } = loadModel(dir, { dtype: "f32" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("'extra.weight'");
  });

  it("saveModel refuses parameters the model lacks or does not have", () => {
    const config = tinyConfig("LlamaForCausalLM");
    const parameters = initParameters(config, 1, "f32");
    expectTraincError(() => saveModel(folder(), JSON.stringify(config), { ...parameters, "x.weight": fromArray("f32", [1], [0]) }, "f32"), 2222);
    const { "model.norm.weight": _, ...fewer } = parameters;
    expectTraincError(() => saveModel(folder(), JSON.stringify(config), fewer, "f32"), 2220);
    expectTraincError(() => saveModel(folder(), JSON.stringify(config), parameters, "i64"), 2240);
    expectTraincError(() => saveModel(folder(), "[]", parameters, "f32"), 2203);
  });
});

describe("save errors", () => {
  it("names a folder that cannot be created", () => {
    const config = tinyConfig("LlamaForCausalLM");
    const blocker = join(root, "a-file");
    writeFileSync(blocker, "");
    const error = expectTraincError(() => saveModel(join(blocker, "model"), JSON.stringify(config), initParameters(config, 1, "f32"), "f32"), 2223);
    expect(error.message).toContain("a-file");
  });
});

describe("a folder with config.json and no weights", () => {
  const llama1b = join(import.meta.dirname, "../../../bench/llama-1b/model");

  it("loads the Llama-3.2-1B shape: parameter dtypes and shapes from config.json, no values", () => {
    const model = loadModel(llama1b, { dtype: "bf16", parameterDType: "f32" });
    expect(model.hasWeights).toBe(false);
    const types = model.parameterTypes;
    expect(Object.keys(types)).toHaveLength(1 + 16 * 9 + 1);
    expect(types["model.embed_tokens.weight"]).toEqual({ dtype: "f32", shape: [128256, 2048] });
    expect(types["model.layers.15.self_attn.k_proj.weight"]).toEqual({ dtype: "f32", shape: [512, 2048] });
    expect(types["model.layers.0.mlp.down_proj.weight"]).toEqual({ dtype: "f32", shape: [2048, 8192] });
    expect(types["lm_head.weight"], "tied embeddings: no lm_head").toBeUndefined();
    expect(Object.values(types).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(1_235_814_400);
    for (const input of model.forward.inputs.slice(2)) {
      expect(model.forward.types[input.id], input.name).toEqual({ dtype: types[input.name]!.dtype, shape: types[input.name]!.shape });
    }
  });

  it("fails with E2224 naming the folder and the fix when values are asked for", () => {
    const dir = writeConfig(folder(), tinyConfig("LlamaForCausalLM"));
    const model = loadModel(dir, { dtype: "f32" });
    const error = expectTraincError(() => model.parameters, 2224);
    expect(error.message).toContain(`'${dir}' has no weights`);
    expect(error.message).toContain("model.safetensors");
    expect(error.fix).toContain(`trainc init-model ${join(dir, "config.json")} -o ${dir}`);
  });

  it("reads the values of a folder with weights on first use only", () => {
    const { dir, parameters } = savedModel("LlamaForCausalLM");
    const model = loadModel(dir, { dtype: "f32" });
    expect(model.hasWeights).toBe(true);
    expect(model.parameterTypes["model.norm.weight"]).toEqual({ dtype: "f32", shape: [32] });
    rmSync(join(dir, "model.safetensors"));
    expectTraincError(() => model.parameters, 2224);
    saveModel(dir, JSON.stringify(tinyConfig("LlamaForCausalLM")), parameters, "f32");
    expect(model.parameters["model.norm.weight"]!.data).toEqual(parameters["model.norm.weight"]!.data);
    expect(model.parameters).toBe(model.parameters);
  });
});
