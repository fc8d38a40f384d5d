// The shape of the schema itself: key groups are disjoint, every table (not-supported rows, cross-key rules,
// ignored keys) refers to keys the schema knows, error codes are unique, and ignored keys are accepted with a
// warning that names them, never silently.

import { describe, expect, it } from "vitest";
import { LEGACY_ATTENTION_SHAPE } from "../../compiler/config/attention.ts";
import { CONFIG_ERRORS } from "../../compiler/config/codes.ts";
import { NOT_SUPPORTED_YET } from "../../compiler/config/index.ts";
import { CORE_KEYS } from "../../compiler/config/keys-core.ts";
import { IGNORED_KEY_GROUPS } from "../../compiler/config/keys-ignored.ts";
import { MODEL_FEATURE_KEYS } from "../../compiler/config/keys-model.ts";
import { SCALE_FEATURE_KEYS } from "../../compiler/config/keys-scale.ts";
import { TRAINC_KEYS } from "../../compiler/config/keys-trainc.ts";
import { REMOVED_KEYS_SHAPE } from "../../compiler/config/removed.ts";
import { CROSS_KEY_RULES } from "../../compiler/config/rules-table.ts";
import { CONFIG_SCHEMA, KEY_ALIASES, TRAIN_KEYS } from "../../compiler/config/schema.ts";
import { parse, withLines } from "./helpers.ts";

const GROUPS = {
  core: Object.keys(CORE_KEYS),
  model: Object.keys(MODEL_FEATURE_KEYS),
  scale: Object.keys(SCALE_FEATURE_KEYS),
  trainc: Object.keys(TRAINC_KEYS),
  aliases: Object.keys(KEY_ALIASES),
  legacyAttention: Object.keys(LEGACY_ATTENTION_SHAPE),
  removed: Object.keys(REMOVED_KEYS_SHAPE),
  ignored: IGNORED_KEY_GROUPS.flatMap((group) => group.keys),
};

describe("config schema", () => {
  it("lists each key in exactly one group", () => {
    const all = Object.values(GROUPS).flat();
    const repeated = all.filter((key, i) => all.indexOf(key) !== i);
    expect(repeated).toEqual([]);
    expect(Object.keys(CONFIG_SCHEMA.shape).length).toBe(all.length);
  });

  it("only has not-supported rows for keys a TrainConfig carries, or their aliases", () => {
    const unknown = NOT_SUPPORTED_YET.map((row) => row.key).filter((key) => !(key in TRAIN_KEYS) && !(key in KEY_ALIASES));
    expect(unknown).toEqual([]);
  });

  it("folds an alias into its key, the key winning when both are written", () => {
    expect(parse(withLines("type_of_model: LlamaForCausalLM")).config.model_type).toBe("LlamaForCausalLM");
    const both = parse(withLines("type_of_model: A", "model_type: B")).config;
    expect([both.model_type, Object.keys(both).includes("type_of_model")]).toEqual(["B", false]);
  });

  it("only has cross-key rules over keys the schema knows", () => {
    const keys = CROSS_KEY_RULES.flatMap((rule) => rule.keys);
    expect(keys.filter((key) => !(key in CONFIG_SCHEMA.shape))).toEqual([]);
  });

  it("gives every error a distinct code in the 1xxx range", () => {
    const codes = Object.values(CONFIG_ERRORS);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((code) => code >= 1000 && code < 2000)).toBe(true);
  });

  it("uses a distinct code for each cross-key rule", () => {
    const codes = CROSS_KEY_RULES.map((rule) => rule.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe("ignored keys", () => {
  it.each(GROUPS.ignored)("accepts %s and warns about it with its line", (key) => {
    const { config, warnings } = parse(withLines(`${key}: 1`));
    expect(Object.keys(config)).not.toContain(key);
    expect(warnings.some((w) => w.includes(`${key} (line 8)`) && w.includes("ignored by trainc"))).toBe(true);
  });
});
