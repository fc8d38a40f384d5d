// Entry point of compiler/config: an Axolotl-style YAML file → a validated TrainConfig plus warnings. The checks run
// in a fixed order, each with its own error codes (codes.ts): YAML syntax → key names and value types (schema) →
// keys Axolotl removed → attention backend → Axolotl's cross-key rules → features not built yet. Warnings (keys
// trainc ignores, deprecated spellings, YAML warnings) are returned, never printed here.
// Invariant: a returned config passed every check; nothing is read from disk except the config file itself.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fail } from "../diagnostics.ts";
import { loweringOf, normalizeAttention } from "./attention.ts";
import { CONFIG_ERRORS } from "./codes.ts";
import { failWithIssues } from "./issues.ts";
import { IGNORED_KEY_GROUPS } from "./keys-ignored.ts";
import { checkNotSupported } from "./not-supported.ts";
import { checkRemoved } from "./removed.ts";
import { checkCrossKeyRules } from "./rules.ts";
import { CONFIG_SCHEMA, KEY_ALIASES, TRAIN_KEYS, type TrainConfig } from "./schema.ts";
import { lineOf, readConfigSource, where, type ConfigSource } from "./source.ts";

/** What loadConfig and parseConfig return. */
export interface LoadedConfig {
  readonly config: TrainConfig;
  /** Things the user should know that do not stop training, each naming its key and line. */
  readonly warnings: readonly string[];
}

/** Reads and validates a config file (E1001 when it cannot be read). */
export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    fail(CONFIG_ERRORS.READ_FAILED, `cannot read config file ${path}: ${reason}`, "check the path of the YAML config");
  }
  return parseConfig(text, path);
}

/** Validates config text; `path` names the file in messages and anchors relative paths (config_dir). */
export function parseConfig(text: string, path: string): LoadedConfig {
  const source = readConfigSource(text, path);
  const parsed = CONFIG_SCHEMA.safeParse(source.data, { reportInput: true });
  if (!parsed.success) failWithIssues(source, CONFIG_SCHEMA, parsed.error.issues);
  checkRemoved(source);
  const attention = normalizeAttention(source);
  const written = { ...source.data, attn_implementation: attention.name };
  checkCrossKeyRules(source, written);
  checkNotSupported(source, written);
  const config = buildConfig(parsed.data, attention, path);
  const warnings = [...source.yamlWarnings, ...(attention.warning === undefined ? [] : [attention.warning])];
  return { config, warnings: [...warnings, ...ignoredKeyWarnings(source), ...batchSizeWarnings(source, config)] };
}

/** The TrainConfig: typed keys only (aliases folded in), with derived defaults and the file's location. */
function buildConfig(data: Readonly<Record<string, unknown>>, attention: { name: string; chosen: boolean }, path: string): TrainConfig {
  const present = (key: string) => (data[key] === undefined ? [] : [[key, data[key]]]);
  const aliased = Object.entries(KEY_ALIASES).flatMap(([alias, key]) => (data[key] === undefined ? present(alias) : []));
  const kept = {
    ...Object.fromEntries(Object.keys(TRAIN_KEYS).flatMap(present)),
    ...Object.fromEntries(aliased.map(([alias, value]) => [KEY_ALIASES[alias as keyof typeof KEY_ALIASES], value])),
  };
  const typed = kept as Omit<TrainConfig, "config_path" | "config_dir"> & Record<string, unknown>;
  const baseModelConfig = (typed.base_model_config as string | undefined) ?? typed.base_model;
  const absolute = resolve(path);
  return {
    ...typed,
    attn_implementation: attention.name,
    attention_lowering: loweringOf(attention.name, attention.chosen),
    batch_size: (data.batch_size as number | undefined) ?? typed.micro_batch_size * typed.gradient_accumulation_steps,
    eval_batch_size: (data.eval_batch_size as number | undefined) ?? typed.micro_batch_size,
    base_model_config: baseModelConfig,
    tokenizer_config: (data.tokenizer_config as string | undefined) ?? baseModelConfig,
    context_parallel_size: (data.context_parallel_size as number | undefined) ?? 1,
    tensor_parallel_size: (data.tensor_parallel_size as number | undefined) ?? 1,
    config_path: absolute,
    config_dir: dirname(absolute),
  };
}

/** One warning per group of ignored keys that are set: `file: ignored by trainc (reason): key (line N), ...`. */
function ignoredKeyWarnings(source: ConfigSource): string[] {
  return IGNORED_KEY_GROUPS.flatMap(({ reason, keys }) => {
    const present = keys.filter((key) => source.data[key] !== undefined);
    if (present.length === 0) return [];
    const listed = present.map((key) => `${key} (${lineOf(source, [key])})`).join(", ");
    return [`${source.file}: accepted for Axolotl compatibility but ignored by trainc (${reason}): ${listed}`];
  });
}

/**
 * Axolotl keeps its default gradient_accumulation_steps: 1 when batch_size is written without it (normalize_config:
 * `gas = gas or batch_size // micro_batch_size` never sees an empty gas), so batch_size does not change training.
 * trainc does the same and says so.
 */
function batchSizeWarnings(source: ConfigSource, config: TrainConfig): string[] {
  if (source.data.batch_size === undefined || source.data.gradient_accumulation_steps !== undefined) return [];
  const effective = config.micro_batch_size * config.gradient_accumulation_steps;
  return [
    `${where(source, ["batch_size"])}: batch_size: ${config.batch_size} does not set gradient accumulation (Axolotl keeps ` +
      `gradient_accumulation_steps: 1), so each optimizer step sees ${effective} sequence(s) per device; ` +
      `write gradient_accumulation_steps instead of batch_size`,
  ];
}
