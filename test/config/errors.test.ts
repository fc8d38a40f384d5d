// Bad config files: each gets its exact error code and a message that names the culprit (key path, line:column,
// the value found and what was expected), so a person can fix the file from the message alone.

import { describe, expect, it } from "vitest";
import { CONFIG_ERRORS } from "../../compiler/config/index.ts";
import { BASE, errorOf, expectError, parse, withLines } from "./helpers.ts";

describe("malformed YAML (E1002)", () => {
  it("names file, line and column and the YAML problem", () => {
    const error = expectError(withLines("sequence_len: [1, 2"), CONFIG_ERRORS.YAML_SYNTAX, "cfg.yml:9:1: malformed YAML", "Flow sequence");
    expect(error.fix).toContain("line 9, column 1");
  });

  it("reports a duplicate key at the second occurrence", () => {
    expectError(withLines("learning_rate: 1e-4"), CONFIG_ERRORS.YAML_SYNTAX, "cfg.yml:8:1", "unique");
  });

  it("reports tabs used for indentation", () => {
    expectError(`${BASE}\nspecial_tokens:\n\tpad_token: x\n`, CONFIG_ERRORS.YAML_SYNTAX, "cfg.yml:9:", "malformed YAML");
  });
});

describe("not a mapping (E1003)", () => {
  it("rejects an empty file", () => expectError("", CONFIG_ERRORS.NOT_A_MAPPING, "cfg.yml is empty"));
  it("rejects a comment-only file", () => expectError("# nothing yet\n", CONFIG_ERRORS.NOT_A_MAPPING, "empty"));
  it("rejects a top-level list", () => expectError("- base_model: x\n", CONFIG_ERRORS.NOT_A_MAPPING, "top level is a list"));
});

describe("unknown keys (E1004)", () => {
  it("names the key and its line, with a did-you-mean", () => {
    const error = expectError(withLines("lerning_rate_warmup: 3", "seqence_len: 1024"), CONFIG_ERRORS.UNKNOWN_KEY, "cfg.yml:8:1: unknown key lerning_rate_warmup");
    expect(error.message).toContain("cfg.yml:9:1: unknown key seqence_len (did you mean sequence_len?)");
  });

  it("suggests the closest key", () => {
    const error = expectError(withLines("gradient_checkpoint: true"), CONFIG_ERRORS.UNKNOWN_KEY, "(did you mean gradient_checkpointing?)");
    expect(error.fix).toBe("rename gradient_checkpoint to gradient_checkpointing");
  });

  it("says Axolotl would drop a key with no near match", () => {
    const error = expectError(withLines("banana: 3"), CONFIG_ERRORS.UNKNOWN_KEY, "unknown key banana");
    expect(error.message).not.toContain("did you mean");
    expect(error.fix).toContain("drop it silently");
  });

  it("finds unknown keys inside a dataset entry, with the keys of a dataset as candidates", () => {
    const text = withLines().replace("    type: alpaca", "    tpye: alpaca");
    expectError(text, CONFIG_ERRORS.UNKNOWN_KEY, "cfg.yml:4:5: unknown key datasets[0].tpye (did you mean type?)");
  });

  it("finds unknown keys in nested blocks (fsdp_config, qat)", () => {
    expectError(withLines("fsdp_config:", "  offload_param: true"), CONFIG_ERRORS.UNKNOWN_KEY, "fsdp_config.offload_param (did you mean offload_params?)");
    expectError(withLines("qat:", "  weight_dtyp: int4"), CONFIG_ERRORS.UNKNOWN_KEY, "qat.weight_dtyp (did you mean weight_dtype?)");
  });

  it("reports an unknown key before a type error elsewhere", () => {
    const error = expectError(withLines("sequence_len: many", "micro_batch_sise: 2"), CONFIG_ERRORS.UNKNOWN_KEY, "micro_batch_sise");
    expect(error.message).toContain("also: cfg.yml:8:1: sequence_len: expected a whole number ≥ 1");
  });
});

describe("wrong types and values (E1005)", () => {
  it("names a quoted number for micro_batch_size and says to unquote it", () => {
    const error = expectError(withLines().replace("micro_batch_size: 2", 'micro_batch_size: "2"'), CONFIG_ERRORS.WRONG_TYPE,
      'cfg.yml:5:1: micro_batch_size: expected a whole number ≥ 1, found "2" (a string)');
    expect(error.fix).toBe("write micro_batch_size: 2 without quotes");
  });

  it("names a list for learning_rate", () => {
    expectError(withLines().replace("learning_rate: 2e-5", "learning_rate: [2e-5, 1e-5]"), CONFIG_ERRORS.WRONG_TYPE,
      "cfg.yml:7:1: learning_rate: expected a number ≥ 0 or a numeric string", "found [0.00002,0.00001] (a list)");
  });

  it("rejects a learning_rate string that is not a number", () => {
    expectError(withLines().replace("learning_rate: 2e-5", "learning_rate: fast"), CONFIG_ERRORS.WRONG_TYPE, 'found "fast" (a string)');
  });

  it("rejects out-of-range numbers", () => {
    expectError(withLines("sequence_len: 0"), CONFIG_ERRORS.WRONG_TYPE, "sequence_len: expected a whole number ≥ 1, found 0");
    expectError(withLines("warmup_ratio: 1.5"), CONFIG_ERRORS.WRONG_TYPE, "warmup_ratio: expected a number from 0 to 1, found 1.5");
    expectError(withLines("num_epochs: .inf"), CONFIG_ERRORS.WRONG_TYPE, "num_epochs: expected a number > 0, found Infinity");
  });

  it("lists the allowed values of an enum-like key", () => {
    expectError(withLines("bf16: full"), CONFIG_ERRORS.WRONG_TYPE, 'bf16: expected true, false or "auto", found "full"');
    expectError(withLines("excess_length_strategy: cut"), CONFIG_ERRORS.WRONG_TYPE, "expected one of: drop, truncate, raise");
  });

  it("explains YAML 1.2 booleans", () => {
    const error = expectError(withLines("train_on_inputs: yes"), CONFIG_ERRORS.WRONG_TYPE, 'train_on_inputs: expected true or false, found "yes"');
    expect(error.fix).toContain("YAML 1.2");
  });

  it("names the path and position of a wrong value inside a list", () => {
    expectError(withLines().replace("    type: alpaca", "    type: alpaca\n    shards: -2"), CONFIG_ERRORS.WRONG_TYPE, "cfg.yml:5:5: datasets[0].shards: expected a whole number ≥ 1, found -2");
  });

  it("rejects an empty datasets list", () => {
    const text = BASE.replace(/datasets:\n {2}- path: .*\n {4}type: alpaca/, "datasets: []");
    expectError(text, CONFIG_ERRORS.WRONG_TYPE, "datasets: expected at least one dataset, found [] (a list)");
  });

  it("lists the other problems under the first, in file order", () => {
    const error = expectError(withLines("sequence_len: -1", "num_epochs: zero", "bf16: maybe"), CONFIG_ERRORS.WRONG_TYPE, "cfg.yml:8:1: sequence_len");
    expect(error.message).toMatch(/also: cfg\.yml:9:1: num_epochs.*\n.*also: cfg\.yml:10:1: bf16/);
  });
});

describe("missing required keys (E1006)", () => {
  it("names a missing base_model", () => {
    const error = expectError(withLines().replace("base_model: ./models/tiny-llama\n", ""), CONFIG_ERRORS.MISSING_KEY, "cfg.yml: missing required key base_model");
    expect(error.fix).toContain("base_model:");
  });

  it("names a null base_model with its line", () => {
    expectError(withLines().replace("base_model: ./models/tiny-llama", "base_model:"), CONFIG_ERRORS.MISSING_KEY, "cfg.yml:1:1: base_model is null");
  });

  it("names a missing learning_rate", () => {
    const error = expectError(withLines().replace("learning_rate: 2e-5\n", ""), CONFIG_ERRORS.MISSING_KEY, "missing required key learning_rate");
    expect(error.fix).toContain("learning_rate: 2e-5");
  });

  it("prefers the unknown-key error when the required key is misspelled", () => {
    const error = errorOf(withLines().replace("learning_rate: 2e-5", "learnig_rate: 2e-5"));
    expect(error.code).toBe(CONFIG_ERRORS.UNKNOWN_KEY);
    expect(error.message).toContain("(did you mean learning_rate?)");
    expect(error.message).toContain("also: cfg.yml: missing required key learning_rate");
  });
});

describe("keys Axolotl removed (E1010)", () => {
  it("rejects s2_attention: true", () => expectError(withLines("s2_attention: true"), CONFIG_ERRORS.REMOVED_KEY, "cfg.yml:8:1: s2_attention"));
  it("accepts s2_attention: false", () => expect(() => parse(withLines("s2_attention: false"))).not.toThrow());

  it("points a top-level rope_scaling to model_config", () => {
    const error = expectError(withLines("rope_scaling:", "  type: linear", "  factor: 2"), CONFIG_ERRORS.REMOVED_KEY, "rope_scaling");
    expect(error.fix).toContain("model_config");
  });

  it("rejects sharegpt dataset types with the chat_template hint", () => {
    const error = expectError(withLines().replace("type: alpaca", "type: sharegpt:chat"), CONFIG_ERRORS.REMOVED_KEY, "cfg.yml:4:5: datasets[0].type: sharegpt:chat");
    expect(error.fix).toContain("chat_template");
  });
});

describe("missing keys inside a block", () => {
  it("points at the block that lacks the key", () => {
    expectError(withLines("lr_groups:", "  - name: emb", "    lr: 1e-5"), CONFIG_ERRORS.MISSING_KEY, "cfg.yml:9:5: missing required key lr_groups[0].modules");
  });
});
