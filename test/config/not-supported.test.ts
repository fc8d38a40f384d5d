// The not-yet-supported table: every row has a config that switches its feature on (E1011 naming the key, its
// value and line, and what to do meanwhile), and switched-off values of the same keys pass.

import { describe, expect, it } from "vitest";
import { CONFIG_ERRORS, NOT_SUPPORTED_YET } from "../../compiler/config/index.ts";
import { expectError, parse, withLines } from "./helpers.ts";

/** key → lines that switch its feature on (plus what Axolotl's cross-key rules require alongside). */
const ON: Readonly<Record<string, readonly string[]>> = {
  adapter: ["adapter: lora"],
  load_in_4bit: ["adapter: qlora", "load_in_4bit: true"],
  load_in_8bit: ["adapter: lora", "load_in_8bit: true"],
  gptq: ["adapter: lora", "gptq: true"],
  model_quantization_config: ["model_quantization_config: Mxfp4Config"],
  fp8: ["fp8: true"],
  fp8_enable_fsdp_float8_all_gather: ["fp8_enable_fsdp_float8_all_gather: true", "fsdp_version: 2"],
  qat: ["qat:", "  activation_dtype: int8", "  weight_dtype: int4"],
  bfloat16: ["bfloat16: true"],
  float16: ["float16: true"],
  gradient_checkpointing: ["gradient_checkpointing: true"],
  activation_offloading: ["gradient_checkpointing: true", "activation_offloading: true"],
  selective_checkpointing: ["selective_checkpointing: true"],
  layer_offloading: ["layer_offloading: true"],
  tiled_mlp: ["tiled_mlp: true", "tiled_mlp_num_shards: 4"],
  plugins: ["plugins: [axolotl.integrations.liger.LigerPlugin]"],
  cut_cross_entropy: ["cut_cross_entropy: true", "bf16: auto"],
  chunked_cross_entropy: ["chunked_cross_entropy: true"],
  ...Object.fromEntries(
    ["rope", "rms_norm", "rms_norm_gated", "layer_norm", "glu_activation", "swiglu", "cross_entropy", "fused_linear_cross_entropy", "use_token_scaling"].map(
      (kernel) => [`liger_${kernel}`, [`liger_${kernel}: true`]],
    ),
  ),
  ...Object.fromEntries(["mlp", "qkv", "o", "embedding"].map((part) => [`lora_${part}_kernel`, [`lora_${part}_kernel: true`]])),
  eot_tokens: ["eot_tokens: [\"<|eot_id|>\"]"],
  batch_flattening: ["batch_flattening: true"],
  context_parallel_size: ["context_parallel_size: 2", "attn_implementation: flash_attention_2"],
  sequence_parallel_degree: ["sequence_parallel_degree: 2"],
  fsdp_config: ["fsdp_config:", "  fsdp_offload_params: true", "  state_dict_type: SHARDED_STATE_DICT"],
  fsdp: ["fsdp: [full_shard, auto_wrap]"],
  deepspeed: ["deepspeed: deepspeed_configs/zero3_bf16.json"],
  dp_shard_size: ["dp_shard_size: 2", "fsdp_config: {reshard_after_forward: true}"],
  dp_replicate_size: ["dp_replicate_size: 2"],
  tensor_parallel_size: ["tensor_parallel_size: 2"],
  expert_parallel_size: ["expert_parallel_size: 2"],
  torch_compile: ["torch_compile: auto"],
  model_config: ["model_config:", "  rope_scaling:", "    rope_type: yarn", "    factor: 4.0", "    original_max_position_embeddings: 32768"],
  overrides_of_model_config: ["overrides_of_model_config: {max_position_embeddings: 131072}"],
  model_kwargs: ["model_kwargs: {low_cpu_mem_usage: true}"],
  trust_remote_code: ["trust_remote_code: true"],
  gemma4_hybrid_attn_impl: ["gemma4_hybrid_attn_impl: true"],
  large_head_attention: ["large_head_attention: auto"],
  fused_attn_kernel: ["fused_attn_kernel: true"],
  experts_implementation: ["experts_implementation: grouped_mm"],
  quantize_moe_experts: ["quantize_moe_experts: true"],
  llama4_linearized_experts: ["llama4_linearized_experts: true"],
  scaling_softmax: ["scaling_softmax: true"],
  flash_attn_cross_entropy: ["flash_attn_cross_entropy: true"],
  flash_attn_fuse_mlp: ["flash_attn_fuse_mlp: true"],
  flash_optimum: ["flash_optimum: true"],
  overrides_of_model_kwargs: ["overrides_of_model_kwargs: {device_map: auto}"],
  attn_implementation: ["attn_implementation: fp8"],
  optimizer: ["optimizer: adamw_8bit"],
  lr_scheduler: ["lr_scheduler: one_cycle"],
  lr_scheduler_kwargs: ["lr_scheduler_kwargs: {num_cycles: 2}"],
  cosine_min_lr_ratio: ["cosine_min_lr_ratio: 0.1"],
  cosine_constant_lr_ratio: ["cosine_constant_lr_ratio: 0.1"],
  lr_quadratic_warmup: ["lr_quadratic_warmup: true"],
  optim_args: ["optim_args: {amsgrad: true}"],
  optim_target_modules: ["optim_target_modules: all_linear"],
  lr_groups: ["lr_groups:", "  - name: embeddings", "    modules: [embed_tokens]", "    lr: 1e-6"],
  embedding_lr: ["embedding_lr: 1e-6"],
  embedding_lr_scale: ["embedding_lr_scale: 0.1"],
  loraplus_lr_ratio: ["loraplus_lr_ratio: 16"],
  test_datasets: ["test_datasets:", "  - path: eval.jsonl", "    type: completion"],
  save_strategy: ["save_strategy: best", "metric_for_best_model: eval_loss"],
  unfrozen_parameters: ["unfrozen_parameters: ['^lm_head.weight$']"],
  freeze_mm_modules: ["freeze_mm_modules: true"],
  reinit_weights: ["reinit_weights: true"],
  neftune_noise_alpha: ["neftune_noise_alpha: 5"],
  noisy_embedding_alpha: ["noisy_embedding_alpha: 5"],
  auto_find_batch_size: ["auto_find_batch_size: true"],
  relora: ["relora: true"],
  relora_steps: ["relora_steps: 150"],
  lisa_n_layers: ["lisa_n_layers: 4"],
  use_pose: ["use_pose: true"],
  use_eaft: ["use_eaft: true"],
  rl: ["rl: dpo"],
  reward_model: ["reward_model: true"],
  process_reward_model: ["process_reward_model: true"],
  pretraining_dataset: ["pretraining_dataset:", "  - path: allenai/c4", "    type: pretrain", "max_steps: 1000"],
  streaming: ["streaming: true", "max_steps: 1000"],
  resume_from_checkpoint: ["resume_from_checkpoint: ./outputs/checkpoint-100"],
  auto_resume_from_checkpoints: ["auto_resume_from_checkpoints: true"],
};

describe("features trainc does not build yet (E1011)", () => {
  it.each(NOT_SUPPORTED_YET.map((row) => [row.key, row] as const))("%s", (key, row) => {
    const lines = ON[key];
    expect(lines, `add an ON entry for ${key}`).toBeDefined();
    const error = expectError(withLines(...lines!), CONFIG_ERRORS.NOT_SUPPORTED_YET);
    const primary = new RegExp(`^cfg\\.yml:\\d+:\\d+: ${key}: .* — ${escape(row.feature)} is not supported by trainc yet \\(it is planned\\)`);
    const listed = new RegExp(`also not supported yet: .*\\b${key} \\(line \\d+\\)`);
    expect(primary.test(error.message) || listed.test(error.message), error.message).toBe(true);
  });

  it("names the value and says what to do meanwhile", () => {
    const error = expectError(withLines("optimizer: adamw_8bit"), CONFIG_ERRORS.NOT_SUPPORTED_YET, "cfg.yml:8:1: optimizer: adamw_8bit — this optimizer");
    expect(error.fix).toBe("use optimizer: adamw_torch_fused (or adamw_torch, adamw_hf)");
    expect(expectError(withLines("tiled_mlp: true"), CONFIG_ERRORS.NOT_SUPPORTED_YET).fix).toBe("remove tiled_mlp (or set it to false / null)");
  });

  it("has one row per key", () => {
    const keys = NOT_SUPPORTED_YET.map((row) => row.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

const PARALLEL_SIZES = ["context_parallel_size", "sequence_parallel_degree", "dp_shard_size", "dp_replicate_size", "tensor_parallel_size", "expert_parallel_size"];

describe("switched-off features pass", () => {
  it("accepts false, null and size 1 for every feature key", () => {
    const off = NOT_SUPPORTED_YET.map(({ key }) => {
      if (PARALLEL_SIZES.includes(key)) return `${key}: 1`;
      if (key === "liger_swiglu") return `${key}:`; // Axolotl rejects it next to liger_glu_activation, even when false
      if (["optimizer", "lr_scheduler", "attn_implementation"].includes(key)) return `${key}:`;
      if (key === "save_strategy") return `${key}: steps`;
      return ON[key]!.some((line) => line === `${key}: true`) ? `${key}: false` : `${key}:`;
    });
    const { config } = parse(withLines(...off));
    expect([config.adapter, config.load_in_4bit, config.gradient_checkpointing, config.context_parallel_size]).toEqual([undefined, false, false, 1]);
  });

  it("accepts fp16: true, alone and next to bf16: true (Axolotl turns fp16 off)", () => {
    expect(parse(withLines("fp16: true")).config.fp16).toBe(true);
    expect(parse(withLines("bf16: true", "fp16: true")).config.bf16).toBe(true);
  });

  it.each(["adamw_torch", "adamw_torch_fused", "adamw_hf"])("accepts optimizer: %s", (name) => {
    expect(parse(withLines(`optimizer: ${name}`)).config.optimizer).toBe(name);
  });

  it.each(["constant", "constant_with_warmup", "linear", "cosine"])("accepts lr_scheduler: %s", (name) => {
    expect(parse(withLines(`lr_scheduler: ${name}`)).config.lr_scheduler).toBe(name);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
