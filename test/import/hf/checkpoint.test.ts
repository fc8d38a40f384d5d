// Locating a model folder's weights: model.safetensors, or a sharded checkpoint read through its index as one lazy
// view (and loaded by loadModel); what a folder without weights reports (no checkpoint, the files it has instead and
// the fix); the errors for a bad index, a missing shard and a tensor the index misplaces.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INDEX_FILE, missingWeights, openCheckpoint } from "../../../compiler/import/hf/checkpoint.ts";
import { initParameters } from "../../../compiler/import/hf/init.ts";
import { loadModel } from "../../../compiler/import/hf/load.ts";
import { writeSafetensors } from "../../../compiler/import/safetensors.ts";
import { fromArray, type Tensor } from "../../../ir/tensor.ts";
import { expectTraincError, tempDir, tinyConfig, writeConfig } from "./helpers.ts";

const root = tempDir();
let counter = 0;
const folder = () => {
  const dir = join(root, `c${counter++}`);
  mkdirSync(dir);
  return dir;
};

/** Splits `tensors` over two shards and writes the index; returns the folder. */
function sharded(tensors: Record<string, Tensor>, index?: object): string {
  const dir = folder();
  const names = Object.keys(tensors);
  const half = Math.ceil(names.length / 2);
  const shards = [names.slice(0, half), names.slice(half)];
  const weightMap: Record<string, string> = {};
  shards.forEach((group, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(dir, file), Object.fromEntries(group.map((n) => [n, tensors[n]!])));
    for (const n of group) weightMap[n] = file;
  });
  writeFileSync(join(dir, INDEX_FILE), JSON.stringify(index ?? { metadata: { total_size: 0 }, weight_map: weightMap }));
  return dir;
}

const small = { a: fromArray("f32", [2], [1, 2]), b: fromArray("i64", [1], [5]), c: fromArray("bf16", [1], [0.5]) };

describe("sharded checkpoints", () => {
  it("read as one view over all shards", () => {
    const source = openCheckpoint(sharded(small))!;
    expect(source.names().sort()).toEqual(["a", "b", "c"]);
    expect(source.info("c")!.file).toContain("model-00002-of-00002.safetensors");
    expect(Array.from(source.read("a").data)).toEqual([1, 2]);
    expect(Array.from(source.read("c", "f32").data)).toEqual([0.5]);
    source.close();
  });

  it("load as a model", () => {
    const config = tinyConfig("Qwen3ForCausalLM", { head_dim: 8 });
    const parameters = initParameters(config, 3, "f32");
    const dir = writeConfig(sharded(parameters), config);
    const model = loadModel(dir, { dtype: "f32" });
    expect(model.parameters["model.layers.1.self_attn.k_norm.weight"]!.data).toEqual(parameters["model.layers.1.self_attn.k_norm.weight"]!.data);
    expect(model.warnings).toEqual([]);
  });

  it("fail on an index without weight_map, naming it", () => {
    const dir = sharded(small, { metadata: {} });
    expect(expectTraincError(() => openCheckpoint(dir), 2211).message).toContain(INDEX_FILE);
    writeFileSync(join(dir, INDEX_FILE), "{");
    expectTraincError(() => openCheckpoint(dir), 2211);
  });

  it("fail on a missing shard, naming it", () => {
    const dir = sharded(small, { weight_map: { a: "model-00001-of-00002.safetensors", z: "model-00009-of-00009.safetensors" } });
    expect(expectTraincError(() => openCheckpoint(dir), 2212).message).toContain("model-00009-of-00009.safetensors");
  });

  it("fail on a tensor that is not in the shard the index names", () => {
    const dir = sharded(small, { weight_map: { a: "model-00002-of-00002.safetensors" } });
    const error = expectTraincError(() => openCheckpoint(dir), 2213);
    expect(error.message).toContain("'a'");
    expect(error.message).toContain("model-00002-of-00002.safetensors");
  });
});

describe("a folder without weights", () => {
  it("has no checkpoint, and the fix says how to get weights", () => {
    const dir = folder();
    expect(openCheckpoint(dir)).toBeUndefined();
    const { found, fix } = missingWeights(dir);
    expect(found).toEqual([]);
    expect(fix).toContain(".safetensors");
    expect(fix).toContain(`trainc init-model ${join(dir, "config.json")} -o ${dir}`);
  });

  it("points PyTorch checkpoints to save_pretrained", () => {
    const dir = folder();
    writeFileSync(join(dir, "pytorch_model.bin"), "");
    expect(openCheckpoint(dir)).toBeUndefined();
    const { found, fix } = missingWeights(dir);
    expect(found).toEqual(["pytorch_model.bin"]);
    expect(fix).toContain("save_pretrained");
  });
});
