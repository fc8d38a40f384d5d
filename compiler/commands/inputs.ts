// What the commands share: reading a config (printing its warnings), finding and importing the model it names
// (a Hugging Face folder or an .onnx file), its tokenizer and its datasets, and turning batches into IR tensors.
// A Hugging Face folder without weights imports from config.json alone (one note says so): parameter dtypes and
// shapes are always known, values are read only when a command uses them (E2224 from load.ts when there are none).
// Invariant: every failure here is a TraincError naming the key or path; nothing is written to disk.
//
// Error codes defined here:
//   2001  a path the config names does not exist
//   2003  prefix_lm with an ONNX model

import { readFileSync } from "node:fs";
import { loadConfig, resolveConfigPath, type TrainConfig } from "../config/index.ts";
import type { Precision } from "../config/derived.ts";
import { fail } from "../diagnostics.ts";
import { DataError } from "../data/codes.ts";
import { prepareDatasets, type Prepared } from "../data/prepare.ts";
import type { Batch } from "../data/batches.ts";
import { loadModel, type ParameterType } from "../import/hf/load.ts";
import { loadOnnx } from "../import/onnx/import.ts";
import { loadTokenizer, type HfTokenizer } from "../import/tokenizer.ts";
import type { Graph } from "../../ir/graph.ts";
import type { Tensor } from "../../ir/tensor.ts";

/** Loads and validates a config; prints its warnings to stderr. */
export function readConfig(path: string): TrainConfig {
  const { config, warnings } = loadConfig(path);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  return config;
}

/** A path the config names, resolved (cwd first, then the config's folder), or E2001 naming every place tried. */
export function configPath(config: TrainConfig, key: string, value: string): string {
  const { path, tried } = resolveConfigPath(config, value);
  if (path !== undefined) return path;
  const hub = /^[\w.-]+\/[\w.-]+$/.test(value) ? " (trainc reads local folders only, not the Hugging Face Hub)" : "";
  return fail(2001, `${key}: ${value} was not found${hub}; tried ${tried.join(" and ")}`,
    hub ? `download the model (e.g. \`huggingface-cli download ${value} --local-dir <dir>\`) and set ${key} to that folder`
      : `set ${key} to an existing model folder or .onnx file`);
}

/** An imported model: its forward graph and parameters; `hf` holds what a checkpoint save needs. */
export interface ImportedModel {
  readonly path: string;
  readonly forward: Graph;
  /** Every parameter's dtype and shape, by name: all that compiling needs. */
  readonly parameterTypes: Readonly<Record<string, ParameterType>>;
  /** Every parameter's values, by name; read on first access for a Hugging Face folder (E2224 when it has none). */
  readonly parameters: Record<string, Tensor>;
  readonly hf?: { readonly configText: string; readonly dir: string };
}

/** How importModel builds the forward graph. */
export interface ImportOptions {
  readonly precision: Precision;
  /** Prefix-LM attention (the config's prefix_lm; Hugging Face folders only, 2003 for ONNX). */
  readonly prefixLm?: boolean;
}

/**
 * Imports the model at `path` (a Hugging Face folder, or an .onnx file) as `options` say; `note` hears that a folder
 * has no weights.
 */
export function importModel(path: string, options: ImportOptions, note: (message: string) => void = () => {}): ImportedModel {
  const { precision, prefixLm = false } = options;
  if (path.endsWith(".onnx")) {
    if (prefixLm) {
      fail(2003, `${path}: prefix_lm needs a Hugging Face model folder; an ONNX graph's attention is its own`,
        "remove prefix_lm, or point base_model at the model's Hugging Face folder");
    }
    const onnx = loadOnnx(path);
    const parameterTypes = Object.fromEntries(Object.entries(onnx.parameters).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape }]));
    return { path, forward: onnx.graph, parameterTypes, parameters: onnx.parameters };
  }
  const model = loadModel(path, { dtype: precision.compute, parameterDType: precision.parameters, prefixLm });
  for (const w of model.warnings) process.stderr.write(`warning: ${w}\n`);
  if (!model.hasWeights) {
    note(`no weights in ${path}: compiling from config.json; \`trainc train\` will need them — \`trainc init-model\` writes random ones`);
  }
  return {
    path, forward: model.forward, parameterTypes: model.parameterTypes, hf: { configText: model.configText, dir: path },
    get parameters() {
      return model.parameters;
    },
  };
}

/** The config's tokenizer (tokenizer_config, which defaults to base_model). */
export function configTokenizer(config: TrainConfig): HfTokenizer {
  return loadTokenizer(configPath(config, "tokenizer_config", config.tokenizer_config));
}

/**
 * The config's datasets, tokenized and length-filtered (the config check guarantees there is at least one), through
 * the dataset_prepared_path cache when the config sets one; `note` hears whether the cache was used.
 */
export function configDatasets(config: TrainConfig, tokenizer: HfTokenizer, note: (message: string) => void = () => {}): Prepared {
  const entries = (config.datasets ?? []).map((entry, i) => entry.chat_template_jinja === undefined ? entry
    : { ...entry, chat_template_jinja: jinjaText(config, `datasets[${i}].chat_template_jinja`, entry.chat_template_jinja) });
  const prepared = prepareDatasets(entries, tokenizer, {
    sequenceLen: config.sequence_len,
    configDir: config.config_dir,
    excessLength: config.excess_length_strategy,
    format: {
      trainOnInputs: config.train_on_inputs, chatTemplate: config.chat_template,
      chatTemplateJinja: config.chat_template_jinja === undefined ? undefined : jinjaText(config, "chat_template_jinja", config.chat_template_jinja),
      chatTemplateKwargs: config.chat_template_kwargs,
    },
    preparedPath: config.dataset_prepared_path,
    tokenizerFile: tokenizer.file,
  });
  if (prepared.cache) note(prepared.cache.hit ? `prepared data read from ${prepared.cache.dir}` : `prepared data cached in ${prepared.cache.dir}`);
  return prepared;
}

/**
 * A chat_template_jinja value as template text: a value ending in `.jinja` names a file, looked up as every config
 * path is (6217 naming `key` and the places tried when it is missing); anything else is the template itself.
 */
function jinjaText(config: TrainConfig, key: string, value: string): string {
  if (!value.endsWith(".jinja")) return value;
  const { path, tried } = resolveConfigPath(config, value);
  if (path === undefined) {
    fail(DataError.noChatTemplate, `${key}: the template file ${value} was not found; tried ${tried.join(" and ")}`,
      `point ${key} at an existing .jinja file (relative to the current directory or the config), or give the template text`);
  }
  return readFileSync(path, "utf8");
}

/** A batch as the train-step graph's inputs (i64 tensors [B,T]). */
export function batchTensors(batch: Batch): Record<string, Tensor> {
  const shape = [batch.size, batch.length];
  const i64 = (data: Int32Array): Tensor => ({ dtype: "i64", shape, data: Float64Array.from(data) });
  return { input_ids: i64(batch.input_ids), labels: i64(batch.labels), position_ids: i64(batch.position_ids) };
}
