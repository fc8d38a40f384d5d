// Reads a Hugging Face model folder's config.json into a normalized ModelSpec: the first step of model import
// (config.json -> ModelSpec -> forward graph in forward.ts, weights checked against it in load.ts).
// Defaults are transformers-5's config classes (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config), so a config
// that leaves a key out means what it means to transformers; the structural sizes have no sensible default and are
// required. Invariant: a ModelSpec is fully resolved (no optional sizes) and consistent (heads divide, windows > 0).
//
// Error codes (2201-2209, this file and keys.ts / rope-config.ts):
//   2201  model folder missing or not a folder          2206  a key has the wrong type or an invalid value
//   2202  config.json missing                            2207  a model feature trainc does not support
//   2203  config.json unreadable or not a JSON object    2208  rope parameters that do not fit their rope_type
//   2204  architecture not supported                     2209  sizes that do not fit together (heads, layer_types)
//   2205  a required key is missing

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { didYouMean, fail } from "../../diagnostics.ts";
import { isJsonObject, KeyReader, type JsonObject } from "./keys.ts";
import { ropeAttrs, type RopeAttrs } from "./rope-config.ts";

/** The `architectures` entries trainc imports. */
export const ARCHITECTURES = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"] as const;
/** One of ARCHITECTURES. */
export type Architecture = (typeof ARCHITECTURES)[number];

/** A decoder-only transformer as trainc builds it, every size and switch resolved. */
export interface ModelSpec {
  readonly architecture: Architecture;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly tieWordEmbeddings: boolean;
  /** Bias on q_proj, k_proj and v_proj. */
  readonly qkvBias: boolean;
  /** Bias on o_proj. */
  readonly oBias: boolean;
  /** Bias on gate_proj, up_proj and down_proj. */
  readonly mlpBias: boolean;
  /** RMSNorm of q and k over the head dimension before rope (Qwen3). */
  readonly qkNorm: boolean;
  /** Per layer: the sliding attention window, 0 for full attention. */
  readonly slidingWindows: readonly number[];
  readonly maxPositionEmbeddings: number;
  /** Attributes of the rope_tables op, except dtype. */
  readonly rope: RopeAttrs;
  /** Standard deviation of the normal init of linear and embedding weights. */
  readonly initializerRange: number;
  /** Embedding row that transformers zeroes at init (pad_token_id), if any. */
  readonly padTokenId: number | undefined;
}

/** What transformers-5 uses when a key is absent, per architecture. */
interface Defaults {
  /** Absent num_key_value_heads: a count, or "heads" for num_attention_heads. */
  readonly numKvHeads: number | "heads";
  /** Absent head_dim: a size, or "derived" for hidden_size / num_attention_heads. */
  readonly headDim: number | "derived";
  readonly maxPositionEmbeddings: number;
  readonly tieWordEmbeddings: boolean;
  /** How layers choose sliding attention. */
  readonly sliding: "none" | "all" | "qwen";
}

const DEFAULTS: Readonly<Record<Architecture, Defaults>> = {
  LlamaForCausalLM: { numKvHeads: "heads", headDim: "derived", maxPositionEmbeddings: 2048, tieWordEmbeddings: false, sliding: "none" },
  MistralForCausalLM: { numKvHeads: 8, headDim: "derived", maxPositionEmbeddings: 131072, tieWordEmbeddings: false, sliding: "all" },
  Qwen2ForCausalLM: { numKvHeads: 32, headDim: "derived", maxPositionEmbeddings: 32768, tieWordEmbeddings: false, sliding: "qwen" },
  Qwen3ForCausalLM: { numKvHeads: 32, headDim: 128, maxPositionEmbeddings: 32768, tieWordEmbeddings: false, sliding: "qwen" },
};

/** model_type -> architecture, for configs that lack `architectures`. */
const MODEL_TYPES: Readonly<Record<string, Architecture>> = {
  llama: "LlamaForCausalLM", mistral: "MistralForCausalLM", qwen2: "Qwen2ForCausalLM", qwen3: "Qwen3ForCausalLM",
};

const LAYER_TYPES = ["full_attention", "sliding_attention"];

/** transformers' default sliding_window and max_window_layers where the config class has them. */
const DEFAULT_SLIDING_WINDOW = 4096;
const DEFAULT_MAX_WINDOW_LAYERS = 28;

/** Reads `<dir>/config.json`: the spec, the JSON object and the file's text (kept for saving the model again). */
export function loadConfig(dir: string): { spec: ModelSpec; config: JsonObject; text: string } {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (!stat) fail(2201, `model folder '${dir}' does not exist`, "pass the folder that holds config.json and the .safetensors weights");
  if (!stat.isDirectory()) {
    fail(2201, `'${dir}' is a file, not a model folder`, "pass the folder that holds config.json and the .safetensors weights");
  }
  const file = join(dir, "config.json");
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
    const found = readdirSync(dir).slice(0, 12).join(", ") || "nothing";
    fail(2202, `model folder '${dir}' has no config.json (it holds: ${found})`,
      "save the model with save_pretrained, or copy its config.json into the folder");
  }
  const text = readFileSync(file, "utf8");
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    fail(2203, `${file} is not valid JSON: ${(e as Error).message}`, "fix the file, or save the model again with save_pretrained");
  }
  if (!isJsonObject(config)) fail(2203, `${file} holds ${JSON.stringify(config)?.slice(0, 40)}, not a JSON object`, "config.json must be one JSON object");
  return { spec: parseConfig(config, file), config, text };
}

/** Normalizes a config.json object; `file` names it in messages. */
export function parseConfig(config: JsonObject, file = "config.json"): ModelSpec {
  const keys = new KeyReader(config, file);
  const architecture = readArchitecture(keys);
  const defaults = DEFAULTS[architecture];
  const activation = keys.string("hidden_act", "silu");
  if (activation !== "silu") {
    fail(2207, `${file}: hidden_act '${activation}' is not supported; ${architecture} in trainc uses SwiGLU with silu`, "set hidden_act to \"silu\"");
  }
  const heads = readHeads(keys, defaults);
  const maxPositionEmbeddings = keys.int("max_position_embeddings", defaults.maxPositionEmbeddings);
  const numLayers = keys.int("num_hidden_layers");
  return {
    architecture,
    vocabSize: keys.int("vocab_size"),
    hiddenSize: keys.int("hidden_size"),
    intermediateSize: keys.int("intermediate_size"),
    numLayers,
    ...heads,
    rmsNormEps: keys.number("rms_norm_eps", 1e-6),
    tieWordEmbeddings: keys.bool("tie_word_embeddings", defaults.tieWordEmbeddings),
    ...biases(keys, architecture),
    qkNorm: architecture === "Qwen3ForCausalLM",
    slidingWindows: slidingWindows(keys, defaults, numLayers),
    maxPositionEmbeddings,
    rope: ropeAttrs(keys, heads.headDim, maxPositionEmbeddings, architecture, LAYER_TYPES),
    initializerRange: keys.number("initializer_range", 0.02),
    padTokenId: readPadToken(keys),
  };
}

function readArchitecture(keys: KeyReader): Architecture {
  const supported = `supported: ${ARCHITECTURES.join(", ")}`;
  if (keys.has("architectures")) {
    const list = keys.obj["architectures"];
    if (!Array.isArray(list) || list.length === 0 || typeof list[0] !== "string") keys.bad("architectures", list, "a list such as [\"LlamaForCausalLM\"]");
    const name = list[0] as string;
    if ((ARCHITECTURES as readonly string[]).includes(name)) return name as Architecture;
    const hint = didYouMean(name, ARCHITECTURES);
    return fail(2204, `${keys.where}: architecture '${name}' is not supported (${supported})`,
      hint ? `did you mean '${hint}'?` : "convert the model to one of the supported architectures");
  }
  const modelType = keys.has("model_type") ? keys.string("model_type") : undefined;
  const byType = modelType === undefined ? undefined : MODEL_TYPES[modelType];
  if (byType) return byType;
  return fail(modelType === undefined ? 2205 : 2204,
    `${keys.where}: ${modelType === undefined ? "neither 'architectures' nor 'model_type' is set" : `model_type '${modelType}' is not supported`} (${supported})`,
    "set \"architectures\": [\"LlamaForCausalLM\"] (or another supported one)");
}

function readHeads(keys: KeyReader, defaults: Defaults): { numHeads: number; numKvHeads: number; headDim: number } {
  const numHeads = keys.int("num_attention_heads");
  const numKvHeads = keys.int("num_key_value_heads", defaults.numKvHeads === "heads" ? numHeads : defaults.numKvHeads);
  if (numHeads % numKvHeads !== 0) {
    const note = keys.has("num_key_value_heads") ? "" : ` (num_key_value_heads is absent; transformers defaults it to ${numKvHeads})`;
    fail(2209, `${keys.where}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}${note}`,
      "set num_key_value_heads to a divisor of num_attention_heads");
  }
  const hidden = keys.int("hidden_size");
  if (defaults.headDim === "derived" && !keys.has("head_dim") && hidden % numHeads !== 0) {
    fail(2209, `${keys.where}: hidden_size ${hidden} is not a multiple of num_attention_heads ${numHeads}`, "set head_dim explicitly or fix the sizes");
  }
  const headDim = keys.int("head_dim", defaults.headDim === "derived" ? Math.floor(hidden / numHeads) : defaults.headDim);
  return { numHeads, numKvHeads, headDim };
}

function biases(keys: KeyReader, architecture: Architecture): { qkvBias: boolean; oBias: boolean; mlpBias: boolean } {
  switch (architecture) {
    case "LlamaForCausalLM": {
      const attention = keys.bool("attention_bias", false);
      return { qkvBias: attention, oBias: attention, mlpBias: keys.bool("mlp_bias", false) };
    }
    case "MistralForCausalLM": return { qkvBias: false, oBias: false, mlpBias: false };
    case "Qwen2ForCausalLM": return { qkvBias: true, oBias: false, mlpBias: false };
    case "Qwen3ForCausalLM": {
      const attention = keys.bool("attention_bias", false);
      return { qkvBias: attention, oBias: attention, mlpBias: false };
    }
  }
}

/**
 * Per-layer windows as transformers-5 decides them. Mistral: `sliding_window` (default 4096, null = none) on every
 * layer. Qwen2/Qwen3: the window is `sliding_window` only when `use_sliding_window`; a layer slides when
 * `layer_types[i]` is "sliding_attention", or, without layer_types, when i >= max_window_layers.
 */
function slidingWindows(keys: KeyReader, defaults: Defaults, numLayers: number): number[] {
  const window = (): number => keys.obj["sliding_window"] === null ? 0 : keys.int("sliding_window", DEFAULT_SLIDING_WINDOW);
  if (defaults.sliding === "none") return new Array<number>(numLayers).fill(0);
  if (defaults.sliding === "all") return new Array<number>(numLayers).fill(window());
  const size = keys.bool("use_sliding_window", false) ? window() : 0;
  const types = keys.has("layer_types") ? readLayerTypes(keys, numLayers) : undefined;
  const firstSliding = keys.int("max_window_layers", DEFAULT_MAX_WINDOW_LAYERS);
  return Array.from({ length: numLayers }, (_, i) => {
    const slides = types ? types[i] === "sliding_attention" : i >= firstSliding;
    return slides ? size : 0;
  });
}

function readLayerTypes(keys: KeyReader, numLayers: number): string[] {
  const types = keys.obj["layer_types"];
  if (!Array.isArray(types) || !types.every((t) => LAYER_TYPES.includes(t as string))) {
    keys.bad("layer_types", types, `a list of ${LAYER_TYPES.map((t) => `"${t}"`).join(" or ")}`);
  }
  if (types.length !== numLayers) {
    fail(2209, `${keys.where}: layer_types has ${types.length} entries for ${numLayers} layers`, "give one layer type per layer");
  }
  return types as string[];
}

function readPadToken(keys: KeyReader): number | undefined {
  if (!keys.has("pad_token_id")) return undefined;
  const id = keys.obj["pad_token_id"];
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0) keys.bad("pad_token_id", id, "a token id (an integer >= 0)");
  return id;
}
