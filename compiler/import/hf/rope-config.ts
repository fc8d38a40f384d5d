// Normalizes a config.json's rotary-embedding settings into the attributes of the `rope_tables` op (ROPE_ATTRS in
// ir/ops/model.ts), reading either layout: legacy `rope_theta` + `rope_scaling` ({type | rope_type, factor, ...}) or
// transformers-5 `rope_parameters` ({rope_type, rope_theta, ...}). It fills in what transformers derives while
// standardizing (modeling_rope_utils.py: RotaryEmbeddingConfigMixin and the per-type compute functions):
//   - rope_type from `rope_type`, else the legacy `type`, else "default"; theta from the dict, else the top-level
//     `rope_theta`, else 10000;
//   - original_max_position_embeddings for llama3 / yarn / longrope: a top-level key wins (Phi-3 style), then the
//     dict's, then max_position_embeddings;
//   - factor for yarn and longrope when absent: max_position_embeddings / original_max_position_embeddings.
// Attention factors that depend on factor / mscale are left to ir/rope.ts, which computes them as transformers does.
// Errors: 2206 (a key of the wrong type, via KeyReader), 2207 (an unsupported layout), 2208 (rope parameters that
// do not make sense: unknown rope_type, a missing key the type needs, a factor list of the wrong length).

import { fail } from "../../diagnostics.ts";
import { ROPE_TYPES } from "../../../ir/rope.ts";
import { isJsonObject, KeyReader, type JsonObject } from "./keys.ts";

/** rope_tables attributes except `dtype` (the graph chooses it). */
export type RopeAttrs = Readonly<Record<string, number | boolean | string | readonly number[]>>;

/** transformers' RotaryEmbeddingConfigMixin.default_theta. */
const DEFAULT_THETA = 10_000;

/** Types whose pretraining length transformers moves into the rope dict. */
const WITH_ORIGINAL_MAX = ["llama3", "yarn", "longrope"];

/** Keys each rope_type reads from the dict besides rope_type and theta (validated and copied when present). */
const OPTIONAL_FLOATS: Readonly<Record<string, readonly string[]>> = {
  yarn: ["beta_fast", "beta_slow", "mscale", "mscale_all_dim", "attention_factor"],
  longrope: ["attention_factor"],
};

/** The rope dict as transformers picks it: `rope_scaling` when set (it wins), else `rope_parameters`. */
function ropeDict(config: KeyReader, layerTypes: readonly string[]): { dict: JsonObject; key: string } {
  for (const key of ["rope_scaling", "rope_parameters"]) {
    const value = config.obj[key];
    if (value === undefined || value === null) continue;
    if (!isJsonObject(value)) config.bad(key, value, "an object such as {\"rope_type\": \"default\", \"rope_theta\": 10000}");
    if (Object.keys(value).length === 0) continue;
    if (Object.keys(value).every((k) => layerTypes.includes(k))) {
      fail(2207, `${config.where}: '${key}' holds one rope dict per layer type (${Object.keys(value).join(", ")}); ` +
        `trainc supports one rope setting for the whole model`, `use a single ${key} object`);
    }
    return { dict: value, key };
  }
  return { dict: {}, key: "rope_parameters" };
}

/** The rotary dimension: head_dim times partial_rotary_factor, which these architectures require to be 1. */
function rotaryDim(config: KeyReader, dict: KeyReader, headDim: number, architecture: string): number {
  const partial = config.has("partial_rotary_factor")
    ? config.number("partial_rotary_factor")
    : dict.number("partial_rotary_factor", 1);
  if (partial !== 1) {
    fail(2207, `${config.where}: partial_rotary_factor is ${partial}, but ${architecture} rotates the whole head ` +
      `(transformers' ${architecture} cannot run this config either)`, "remove partial_rotary_factor or set it to 1");
  }
  if (headDim % 2 !== 0) fail(2207, `${config.where}: head_dim ${headDim} is odd; rotary embeddings need an even head size`, "use an even head_dim");
  return headDim;
}

/**
 * Reads the rope settings of `config` (the whole config.json object) into rope_tables attributes.
 * `maxPositions` is the resolved max_position_embeddings; `layerTypes` the known layer type names.
 */
export function ropeAttrs(config: KeyReader, headDim: number, maxPositions: number, architecture: string,
  layerTypes: readonly string[]): RopeAttrs {
  const { dict: raw, key } = ropeDict(config, layerTypes);
  const dict = new KeyReader(raw, `${config.where}: ${key}`);
  const ropeType = dict.string("rope_type", dict.string("type", "default"));
  if (!ROPE_TYPES.includes(ropeType)) {
    fail(2208, `${dict.where}: rope_type '${ropeType}' is not supported (supported: ${ROPE_TYPES.join(", ")})`,
      `set rope_type to one of ${ROPE_TYPES.join(", ")}`);
  }
  const attrs: Record<string, number | boolean | string | readonly number[]> = {
    rope_type: ropeType,
    dim: rotaryDim(config, dict, headDim, architecture),
    theta: dict.number("rope_theta", config.number("rope_theta", DEFAULT_THETA)),
    max_position_embeddings: maxPositions,
  };
  if (WITH_ORIGINAL_MAX.includes(ropeType)) {
    attrs["original_max_position_embeddings"] = config.has("original_max_position_embeddings")
      ? config.int("original_max_position_embeddings")
      : dict.int("original_max_position_embeddings", maxPositions);
  }
  Object.assign(attrs, typeParameters(ropeType, dict, attrs));
  return attrs;
}

/** The parameters specific to one rope_type, checked for presence and type. */
function typeParameters(ropeType: string, dict: KeyReader, base: RopeAttrs): RopeAttrs {
  const out: Record<string, number | boolean | readonly number[]> = {};
  const need = (k: string): number => {
    if (!dict.has(k)) fail(2208, `${dict.where}: rope_type '${ropeType}' needs '${k}'`, `add '${k}' to ${dict.where}`);
    return dict.number(k);
  };
  if (ropeType === "linear" || ropeType === "dynamic" || ropeType === "llama3") out["factor"] = need("factor");
  if (ropeType === "llama3") {
    out["low_freq_factor"] = need("low_freq_factor");
    out["high_freq_factor"] = need("high_freq_factor");
  }
  if (ropeType === "yarn" || ropeType === "longrope") {
    const original = base["original_max_position_embeddings"] as number;
    out["factor"] = dict.number("factor", (base["max_position_embeddings"] as number) / original);
  }
  for (const k of OPTIONAL_FLOATS[ropeType] ?? []) if (dict.has(k)) out[k] = dict.number(k);
  if (ropeType === "yarn" && dict.has("truncate")) out["truncate"] = dict.bool("truncate");
  if (ropeType === "longrope") {
    const half = (base["dim"] as number) / 2;
    for (const k of ["short_factor", "long_factor"]) {
      if (!dict.has(k)) fail(2208, `${dict.where}: rope_type 'longrope' needs '${k}'`, `add '${k}' (${half} numbers) to ${dict.where}`);
      const list = dict.numbers(k);
      if (list.length !== half) {
        fail(2208, `${dict.where}: '${k}' has ${list.length} entries; longrope needs head_dim/2 = ${half}`,
          `give '${k}' exactly ${half} numbers`);
      }
      out[k] = list;
    }
  }
  return out;
}
