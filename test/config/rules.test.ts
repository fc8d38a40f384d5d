// Axolotl's cross-key rules: every rule in the table has a config that breaks it (exact code, both keys named with
// their values and lines), and near misses that Axolotl accepts pass the rule.

import { describe, expect, it } from "vitest";
import { CONFIG_ERRORS } from "../../compiler/config/index.ts";
import { CROSS_KEY_RULES } from "../../compiler/config/rules-table.ts";
import { TraincError } from "../../compiler/diagnostics.ts";
import { BASE, expectError, parse, withLines } from "./helpers.ts";

const E = CONFIG_ERRORS;
const TEST_DATASETS = "test_datasets:\n  - path: ./data/test.jsonl\n    type: alpaca";

/** [rule code, config text, fragments the message must contain]. */
const BROKEN: readonly [number, string, readonly string[]][] = [
  [E.DATASETS_REQUIRED, BASE.replace(/datasets:\n.*\n.*\n/, "") + "\n", ["datasets (not set)", "pretraining_dataset (not set)"]],
  [E.BATCH_FIELDS, BASE.replace("gradient_accumulation_steps: 4\n", "") + "\n", ["micro_batch_size: 2 (line 5)", "gradient_accumulation_steps (not set)", "batch_size (not set)"]],
  [E.GAS_AND_BATCH_SIZE, withLines("batch_size: 16"), ["gradient_accumulation_steps: 4 (line 6)", "batch_size: 16 (line 8)"]],
  [E.WARMUP_BOTH, withLines("warmup_steps: 10", "warmup_ratio: 0.1"), ["warmup_steps: 10 (line 8)", "warmup_ratio: 0.1 (line 9)"]],
  [E.VAL_SET_AND_TEST_DATASETS, withLines("val_set_size: 0.05", TEST_DATASETS), ["val_set_size: 0.05 (line 8)", "test_datasets: [{path: ./data/test.jsonl, type: alpaca}] (line 9)"]],
  [E.SAVES_BOTH, withLines("save_steps: 100", "saves_per_epoch: 2"), ["save_steps: 100 (line 8)", "saves_per_epoch: 2 (line 9)"]],
  [E.EVALS_BOTH, withLines("val_set_size: 0.1", "eval_steps: 50", "evals_per_epoch: 4"), ["eval_steps: 50 (line 9)", "evals_per_epoch: 4 (line 10)"]],
  [E.SAVE_STRATEGY_MISMATCH, withLines("save_strategy: epoch", "save_steps: 100"), ["save_strategy: epoch (line 8)", "save_steps: 100 (line 9)"]],
  [E.EVAL_STRATEGY_MISMATCH, withLines("val_set_size: 0.1", "eval_strategy: epoch", "eval_steps: 50"), ["eval_strategy: epoch (line 9)", "eval_steps: 50 (line 10)"]],
  [E.EVAL_WITHOUT_DATA, withLines("val_set_size: 0", "eval_steps: 50"), ["val_set_size: 0 (line 8)", "eval_steps: 50 (line 9)", "test_datasets (not set)"]],
  [E.EVALS_PER_EPOCH_STRATEGY, withLines("val_set_size: 0.1", "evals_per_epoch: 2", "eval_strategy: epoch"), ["evals_per_epoch: 2 (line 9)", "eval_strategy: epoch (line 10)"]],
  [E.SAVE_BEST_NEEDS_METRIC, withLines("save_strategy: best"), ["save_strategy: best (line 8)", "metric_for_best_model (not set)"]],
  [E.QLORA_WITH_8BIT, withLines("adapter: qlora", "load_in_8bit: true"), ["adapter: qlora (line 8)", "load_in_8bit: true (line 9)"]],
  [E.QLORA_WITH_GPTQ, withLines("adapter: qlora", "load_in_4bit: true", "gptq: true"), ["adapter: qlora (line 8)", "gptq: true (line 10)"]],
  [E.QLORA_NEEDS_4BIT, withLines("adapter: qlora"), ["adapter: qlora (line 8)", "load_in_4bit (not set)"]],
  [E.QUANTIZED_NEEDS_ADAPTER, withLines("load_in_8bit: true"), ["load_in_8bit: true (line 8)", "adapter (not set)"]],
  [E.GPTQ_WITH_BNB, withLines("adapter: lora", "gptq: true", "load_in_4bit: true"), ["gptq: true (line 9)", "load_in_4bit: true (line 10)"]],
  [E.QAT_WITH_BNB, withLines("adapter: lora", "load_in_8bit: true", "qat:", "  weight_dtype: int4"), ["qat: {weight_dtype: int4} (line 10)", "load_in_8bit: true (line 9)"]],
  [E.PEFT_LAYERS_PATTERN, withLines("peft_layers_pattern: [layers]"), ["peft_layers_pattern: [layers] (line 8)", "peft_layers_to_transform (not set)"]],
  [E.LR_GROUPS_LORAPLUS, withLines("lr_groups:", "  - name: emb", "    modules: [embed_tokens]", "    lr: 1e-5", "loraplus_lr_ratio: 16"), ["lr_groups: ", "(line 8)", "loraplus_lr_ratio: 16 (line 12)"]],
  [E.OFFLOAD_NEEDS_CHECKPOINTING, withLines("activation_offloading: true"), ["activation_offloading: true (line 8)", "gradient_checkpointing (not set)"]],
  [E.ONE_CE_OPTIMIZATION, withLines("cut_cross_entropy: true", "liger_fused_linear_cross_entropy: true"), ["cut_cross_entropy: true (line 8)", "liger_fused_linear_cross_entropy: true (line 9)"]],
  [E.CCE_NEEDS_HALF, withLines("cut_cross_entropy: true", "bf16: false"), ["cut_cross_entropy: true (line 8)", "bf16: false (line 9)", "fp16 (not set)"]],
  [E.LIGER_SWIGLU_AND_GLU, withLines("liger_swiglu: true", "liger_glu_activation: false"), ["liger_swiglu: true (line 8)", "liger_glu_activation: false (line 9)"]],
  [E.LIGER_GLU_TILED_MLP, withLines("liger_glu_activation: true", "tiled_mlp: true", "tiled_mlp_use_original_mlp: false"), ["tiled_mlp: true (line 9)", "tiled_mlp_use_original_mlp: false (line 10)"]],
  [E.FP8_GATHER_NEEDS_FSDP2, withLines("fp8: true", "fp8_enable_fsdp_float8_all_gather: true"), ["fp8_enable_fsdp_float8_all_gather: true (line 9)", "fsdp_version (not set)"]],
  [E.CP_NEEDS_FLASH, withLines("context_parallel_size: 2"), ["context_parallel_size: 2 (line 8)", "attn_implementation: sdpa (default)"]],
  [E.CP_PACKING_MBS, withLines("context_parallel_size: 2", "attn_implementation: flash_attention_2", "sample_packing: true"), ["context_parallel_size: 2 (line 8)", "sample_packing: true (line 10)", "micro_batch_size: 2 (line 5)"]],
  [E.DEEPSPEED_AND_FSDP, withLines("deepspeed: deepspeed_configs/zero3.json", "fsdp: [full_shard, auto_wrap]"), ["deepspeed: deepspeed_configs/zero3.json (line 8)", "fsdp: [full_shard, auto_wrap] (line 9)"]],
  [E.DEEPCOMPILE_NEEDS_DEEPSPEED, withLines("deepcompile: true"), ["deepcompile: true (line 8)", "deepspeed (not set)"]],
  [E.DP_SHARD_NEEDS_FSDP, withLines("dp_shard_size: 2"), ["dp_shard_size: 2 (line 8)", "fsdp_config (not set)"]],
  [E.LIGER_WITH_TP, withLines("tensor_parallel_size: 2", "liger_rms_norm: true"), ["tensor_parallel_size: 2 (line 8)", "liger_rms_norm: true (line 9)"]],
  [E.STREAMING_NEEDS_MAX_STEPS, withLines("streaming: true"), ["streaming: true (line 8)", "max_steps (not set)"]],
  [E.MULTIPACK_BUFFER_BOTH, withLines("pretrain_multipack_buffer_size: 1000", "streaming_multipack_buffer_size: 1000"), ["pretrain_multipack_buffer_size: 1000 (line 8)", "streaming_multipack_buffer_size: 1000 (line 9)"]],
  [E.PACKING_WITH_RL, withLines("sample_packing: true", "rl: dpo"), ["sample_packing: true (line 8)", "rl: dpo (line 9)"]],
  [E.PREFIX_LM_TRAIN_ON_INPUTS, withLines("prefix_lm: true", "train_on_inputs: true"), ["prefix_lm: true (line 8)", "train_on_inputs: true (line 9)"]],
  [E.BATCH_FLATTENING_PACKING, withLines("batch_flattening: true", "sample_packing: true"), ["batch_flattening: true (line 8)", "sample_packing: true (line 9)"]],
];

/** The error code parsing gives (undefined when it passes). */
function codeOf(text: string): number | undefined {
  try {
    parse(text);
    return undefined;
  } catch (error) {
    return (error as TraincError).code;
  }
}

describe("cross-key rules", () => {
  it.each(BROKEN)("E%i names every key of the broken rule", (code, text, fragments) => {
    const error = expectError(text, code, ...fragments);
    expect(error.message).toMatch(/^cfg\.yml(:\d+:\d+)?: /);
  });

  it("has a breaking config for every rule in the table", () => {
    const tested = new Set(BROKEN.map(([code]) => code));
    expect(CROSS_KEY_RULES.map((rule) => rule.code).filter((code) => !tested.has(code))).toEqual([]);
  });

  it("counts the CCE plugin as cut_cross_entropy: true, as Axolotl's plugin default does", () => {
    const text = withLines("plugins:", "  - axolotl.integrations.cut_cross_entropy.CutCrossEntropyPlugin", "liger_cross_entropy: true");
    expectError(text, E.ONE_CE_OPTIMIZATION, "liger_cross_entropy: true (line 10)");
  });

  it("reads fsdp_version from fsdp_config as Axolotl does", () => {
    const text = withLines("fp8: true", "fp8_enable_fsdp_float8_all_gather: true", "fsdp_config:", "  fsdp_version: 2");
    expectError(text, E.NOT_SUPPORTED_YET, "fp8: true");
  });
});

describe("near misses Axolotl accepts", () => {
  it.each([
    ["micro_batch_size with batch_size", BASE.replace("gradient_accumulation_steps: 4", "batch_size: 16") + "\n", undefined],
    ["gradient_accumulation_steps with batch_size absent", withLines(), undefined],
    ["warmup_steps: 0 with warmup_ratio", withLines("warmup_steps: 0", "warmup_ratio: 0.1"), undefined],
    ["val_set_size: 0 with test_datasets (evaluation not built yet)", withLines("val_set_size: 0", TEST_DATASETS), E.NOT_SUPPORTED_YET],
    ["eval_steps with a validation split", withLines("val_set_size: 0.1", "eval_steps: 50"), undefined],
    ["eval_strategy: no with val_set_size: 0", withLines("val_set_size: 0", "eval_strategy: no"), undefined],
    ["save_strategy: steps with save_steps", withLines("save_strategy: steps", "save_steps: 100"), undefined],
    ["save_strategy: best with a metric (evaluation not built yet)", withLines("save_strategy: best", "metric_for_best_model: eval_loss"), E.NOT_SUPPORTED_YET],
    ["cut_cross_entropy with bf16: auto", withLines("cut_cross_entropy: true", "bf16: auto"), E.NOT_SUPPORTED_YET],
    ["qlora with load_in_4bit", withLines("adapter: qlora", "load_in_4bit: true"), E.NOT_SUPPORTED_YET],
    ["gradient_checkpointing: offload alone", withLines("gradient_checkpointing: offload"), E.NOT_SUPPORTED_YET],
    ["activation_offloading with gradient_checkpointing", withLines("gradient_checkpointing: true", "activation_offloading: legacy"), E.NOT_SUPPORTED_YET],
    ["context parallelism with flash attention", withLines("context_parallel_size: 2", "flash_attention: true"), E.NOT_SUPPORTED_YET],
    ["context_parallel_size: 1", withLines("context_parallel_size: 1"), undefined],
  ] as const)("%s", (_, text, code) => {
    expect(codeOf(text)).toBe(code);
  });
});
