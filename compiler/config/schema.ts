// The whole config schema and the TrainConfig type. The schema is strict: every key Axolotl documents is listed
// (typed for what trainc reads or will read, loosely for keys it ignores), and trainc's own few (keys-trainc.ts), so
// any other key is an unknown key.
// Invariant: the key groups are disjoint (test/config/schema.test.ts checks it); TrainConfig holds the core and
// feature keys only: aliases, ignored, removed and legacy attention keys never reach it.

import { z } from "zod";
import { LEGACY_ATTENTION_SHAPE } from "./attention.ts";
import { CORE_KEYS } from "./keys-core.ts";
import { IGNORED_KEYS_SHAPE } from "./keys-ignored.ts";
import { MODEL_FEATURE_KEYS } from "./keys-model.ts";
import { SCALE_FEATURE_KEYS } from "./keys-scale.ts";
import { TRAINC_KEYS } from "./keys-trainc.ts";
import { REMOVED_KEYS_SHAPE } from "./removed.ts";

import type { AttentionLowering } from "./attention.ts";

/** Keys that end up in a TrainConfig. */
export const TRAIN_KEYS = { ...CORE_KEYS, ...MODEL_FEATURE_KEYS, ...SCALE_FEATURE_KEYS, ...TRAINC_KEYS };

/**
 * Axolotl's second names for keys (pydantic aliases with populate_by_name): alias → key. A TrainConfig carries the
 * key only; when just the alias is written, its value moves to the key.
 */
export const KEY_ALIASES = {
  type_of_model: "model_type",
  overrides_of_model_config: "model_config",
  overrides_of_model_kwargs: "model_kwargs",
} as const satisfies Record<string, keyof typeof TRAIN_KEYS>;

const ALIAS_SHAPE = Object.fromEntries(Object.entries(KEY_ALIASES).map(([alias, key]) => [alias, TRAIN_KEYS[key]]));

/** Every top-level key a config file may contain. */
export const CONFIG_SCHEMA = z.strictObject(
  { ...TRAIN_KEYS, ...ALIAS_SHAPE, ...LEGACY_ATTENTION_SHAPE, ...REMOVED_KEYS_SHAPE, ...IGNORED_KEYS_SHAPE },
  { error: "expected a mapping of config keys" },
);

const TRAIN_SCHEMA = z.strictObject(TRAIN_KEYS);

/** The typed keys as parsed, with Axolotl's defaults filled in. */
type ParsedKeys = z.output<typeof TRAIN_SCHEMA>;

/** Keys whose TrainConfig value is derived after parsing (always present there). */
type DerivedKey =
  | "attn_implementation"
  | "batch_size"
  | "eval_batch_size"
  | "base_model_config"
  | "tokenizer_config"
  | "context_parallel_size"
  | "tensor_parallel_size";

/**
 * A validated training config: Axolotl's key names and defaults, the attention backend in canonical form, derived
 * defaults filled in (batch_size, eval_batch_size, base_model_config, tokenizer_config, packing defaults), and where
 * the config came from.
 */
export type TrainConfig = Readonly<
  Omit<ParsedKeys, DerivedKey> & {
    /** Canonical attention backend ("sdpa" when nothing is set). */
    attn_implementation: string;
    /** How trainc runs attention (the attention-lowering pass); "flash" when nothing is set. */
    attention_lowering: AttentionLowering;
    /** micro_batch_size × gradient_accumulation_steps unless written in the file. */
    batch_size: number;
    eval_batch_size: number;
    base_model_config: string;
    tokenizer_config: string;
    context_parallel_size: number;
    tensor_parallel_size: number;
    /** Absolute path of the YAML file (or the name given to parseConfig). */
    config_path: string;
    /** Absolute folder of the YAML file: the second place relative paths are looked up. */
    config_dir: string;
  }
>;
