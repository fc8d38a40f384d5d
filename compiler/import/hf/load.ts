// Loads a Hugging Face model folder (config.json, and safetensors weights when it has them) into a spec, the forward
// graph and its parameters; and saves parameters back as a folder transformers loads (config.json + model.safetensors).
// Loading reads config.json and the weights' headers only: parameter dtypes and shapes come from config.json, and
// the values are read on first use, so compiling needs no weights at all (and does not read gigabytes it never uses).
// Invariants: a loaded model has exactly the graph's parameters, each with the graph's shape and dtype; weights that
// exist are checked against config.json at load time, before any value is read; a save writes the weights before
// config.json, each through a temporary file, so a failed save never leaves a folder that looks complete.
//
// Error codes (2220-2224):
//   2220  a parameter the model needs is missing (names the tensor, the file and the expected shape)
//   2221  a parameter has the wrong shape (names the tensor, the file, expected and found shapes)
//   2222  saveModel got a tensor that is not a parameter of the model
//   2223  saveModel could not create the folder or write config.json
//   2224  parameter values were needed (train, grads) but the folder has no weights (names the folder and the fix)
//   2203  (shared with config.ts) the config text to save is not a JSON object
//   2240  (shared with forward.ts) a dtype that is not a float type transformers names

import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail } from "../../diagnostics.ts";
import type { DType } from "../../../ir/dtype.ts";
import type { Graph } from "../../../ir/graph.ts";
import type { Tensor } from "../../../ir/tensor.ts";
import { writeSafetensors, type TensorSource } from "../safetensors.ts";
import { INDEX_FILE, missingWeights, openCheckpoint, SINGLE_FILE } from "./checkpoint.ts";
import { loadConfig, parseConfig, type ModelSpec } from "./config.ts";
import { buildForward, type ForwardOptions } from "./forward.ts";
import { setTopLevelKeys } from "./config-text.ts";
import { isJsonObject, type JsonObject } from "./keys.ts";
import { modelParameters, type ParamInfo } from "./params.ts";

/** A model folder read into trainc: spec, forward graph and parameters. */
export interface LoadedModel {
  readonly spec: ModelSpec;
  /** config.json as read. */
  readonly config: JsonObject;
  /** config.json's text, for saving the model again unchanged (see saveModel). */
  readonly configText: string;
  readonly forward: Graph;
  /** The dtype and shape of every parameter of `forward`, by Hugging Face name: known from config.json alone. */
  readonly parameterTypes: Readonly<Record<string, ParameterType>>;
  /** Whether the folder has weights (model.safetensors or a sharded index). */
  readonly hasWeights: boolean;
  /**
   * Every parameter of `forward`, by Hugging Face name, in the parameter dtype (ForwardOptions.parameterDType): read
   * from the weights on first access (then kept); E2224 when the folder has none.
   */
  readonly parameters: Record<string, Tensor>;
  /** Checkpoint tensors the model does not use (known buffers such as rotary inv_freq are not listed). */
  readonly warnings: string[];
}

/** A parameter as the graph declares it: dtype and concrete shape. */
export interface ParameterType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Non-parameter tensors that checkpoints may carry and transformers ignores. */
const KNOWN_BUFFERS = [/(^|\.)rotary_emb\.inv_freq$/];

/** transformers' name for each float dtype (config.json's torch_dtype / dtype). */
const TORCH_DTYPES: Partial<Record<DType, string>> = { f64: "float64", f32: "float32", f16: "float16", bf16: "bfloat16" };

/**
 * Loads model folder `dir`: activations in `options.dtype`, parameters in `options.parameterDType` (default the same).
 * Reads config.json and, when the folder has weights, checks their headers against it; values are read on first
 * access to `parameters`.
 */
export function loadModel(dir: string, options: ForwardOptions): LoadedModel {
  const { spec, config, text } = loadConfig(dir);
  const forward = buildForward(spec, options);
  const params = modelParameters(spec);
  const dtype = options.parameterDType ?? options.dtype;
  const parameterTypes = Object.fromEntries(params.map((p) => [p.name, { dtype, shape: p.shape }]));
  const source = openCheckpoint(dir);
  let warnings: string[] = [];
  if (source) {
    try {
      checkParameters(params, source.path, (name) => source.info(name));
      warnings = unusedTensors(source, params);
    } finally {
      source.close();
    }
  }
  let values: Record<string, Tensor> | undefined;
  return {
    spec, config, configText: text, forward, parameterTypes, hasWeights: source !== undefined, warnings,
    get parameters() {
      values ??= readParameters(dir, params, dtype);
      return values;
    },
  };
}

/** Reads every parameter of `params` from the weights of `dir` in `dtype` (E2224 when it has none). */
function readParameters(dir: string, params: readonly ParamInfo[], dtype: DType): Record<string, Tensor> {
  const source = openCheckpoint(dir);
  if (!source) {
    const { found, fix } = missingWeights(dir);
    const has = found.length > 0 ? `; it has ${found.join(", ")}` : "";
    return fail(2224, `model folder '${dir}' has no weights (looked for ${SINGLE_FILE} and ${INDEX_FILE}${has}): training and ` +
      "`trainc grads` need the parameter values (only `trainc compile` and `trainc ir` work from config.json alone)", fix);
  }
  try {
    checkParameters(params, source.path, (name) => source.info(name));
    return Object.fromEntries(params.map((p) => [p.name, source.read(p.name, dtype)]));
  } finally {
    source.close();
  }
}

/** Where a tensor to check lives and its shape. */
type ShapeOf = (name: string) => { readonly shape: readonly number[]; readonly file: string } | undefined;

/**
 * Checks that every parameter exists (all missing ones in one error, the first few named, so a mismatched config is
 * recognizable at once) with the shape the config implies. `where` names the checkpoint.
 */
function checkParameters(params: readonly ParamInfo[], where: string, shapeOf: ShapeOf): void {
  const missing = params.filter((p) => !shapeOf(p.name));
  if (missing.length > 0) {
    const listed = missing.slice(0, 4).map((p) => `'${p.name}' [${p.shape.join(",")}]`).join(", ");
    const more = missing.length > 4 ? ` and ${missing.length - 4} more` : "";
    fail(2220, `${where} lacks ${missing.length} tensor(s) the model in config.json needs: ${listed}${more}`,
      "the weights and config.json do not belong together (check architectures, num_hidden_layers, tie_word_embeddings, attention_bias)");
  }
  for (const p of params) {
    const { shape, file } = shapeOf(p.name)!;
    if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
      fail(2221, `tensor '${p.name}' in ${file} has shape [${shape.join(",")}], but config.json needs [${p.shape.join(",")}]`,
        "the weights and config.json do not belong together (check vocab_size, hidden_size, intermediate_size, the head counts and head_dim)");
    }
  }
}

function unusedTensors(source: TensorSource, params: readonly ParamInfo[]): string[] {
  const used = new Set(params.map((p) => p.name));
  return source.names()
    .filter((name) => !used.has(name) && !KNOWN_BUFFERS.some((re) => re.test(name)))
    .map((name) => `${source.path}: tensor '${name}' is not used by the model`);
}

/**
 * Writes `parameters` (every parameter of the model `configText` describes, by Hugging Face name) to `dir` as
 * model.safetensors in `dtype`, and `configText` (a config.json's text) as config.json with only its top-level
 * dtype key (`dtype` in transformers 5, `torch_dtype` before; added as torch_dtype if absent) changed.
 */
export function saveModel(dir: string, configText: string, parameters: Readonly<Record<string, Tensor>>, dtype: DType): void {
  const spec = parseConfig(parseConfigText(configText));
  const params = modelParameters(spec);
  const known = new Set(params.map((p) => p.name));
  for (const name of Object.keys(parameters)) {
    if (!known.has(name)) fail(2222, `cannot save '${name}': ${spec.architecture} as config.json describes it has no such parameter`, "save only the model's parameters");
  }
  const where = "the parameters to save";
  checkParameters(params, where, (name) => parameters[name] && { shape: parameters[name].shape, file: where });
  const savedConfig = withDType(configText, dtype);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    fail(2223, `cannot create model folder '${dir}': ${(e as Error).message}`, "pick a folder you can write to");
  }
  const ordered = Object.fromEntries(params.map((p) => [p.name, parameters[p.name]!]));
  writeSafetensors(join(dir, SINGLE_FILE), ordered, { dtype, metadata: { format: "pt" } });
  writeConfig(join(dir, "config.json"), savedConfig);
}

/** The config text with its dtype key set to transformers' name for `dtype`. */
function withDType(configText: string, dtype: DType): string {
  const name = TORCH_DTYPES[dtype] ?? fail(2240, `cannot save a model in ${dtype}`, "use f32, bf16, f16 or f64");
  return setTopLevelKeys(configText, ["torch_dtype", "dtype"], name);
}

function parseConfigText(text: string): JsonObject {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    fail(2203, `the config to save is not valid JSON: ${(e as Error).message}`, "pass the text of a config.json");
  }
  if (!isJsonObject(config)) fail(2203, "the config to save is not a JSON object", "pass the text of a config.json");
  return config;
}

function writeConfig(path: string, text: string): void {
  const temporary = `${path}.partial-${process.pid}`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    fail(2223, `cannot write '${path}': ${(e as Error).message}`, "check that the folder is writable and the disk has room");
  }
}
