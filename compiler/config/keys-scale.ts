// Feature keys for scale and memory: sample packing, gradient checkpointing and activation offloading, tiled MLP,
// FSDP / DeepSpeed / N-D parallelism, RL and streaming data, and training-loop extras (resume, LR groups, NEFTune, …).
// trainc parses and type-checks them now (axolotl-config.md §1, §5, §6, §10-13); not-supported.ts decides which
// values switch a feature on. Invariant: types and defaults are Axolotl's.

import { z } from "zod";
import { bool, boolOr, mapping, number, numberList, oneOf, str, stringList, wholeNumber } from "./kinds.ts";

const PACKING = {
  sample_packing: bool().optional(),
  eval_sample_packing: bool().optional(),
  sample_packing_group_size: wholeNumber(1).default(100_000),
  sample_packing_bin_size: wholeNumber(1).default(200),
  sample_packing_sequentially: bool().optional(),
  sample_packing_mp_start_method: oneOf(["fork", "spawn", "forkserver"]).optional(),
  sample_packing_eff_est: number(0).optional(),
  multipack_real_batches: bool().optional(),
  batch_flattening: boolOr(["auto"]).optional(),
  pretrain_multipack_attn: bool().default(true),
  pretraining_sample_concatenation: bool().optional(),
  streaming_multipack_buffer_size: wholeNumber(1).default(10_000),
  pretrain_multipack_buffer_size: wholeNumber(1).optional(),
  sdpa_varlen: bool().optional(),
};

const MEMORY = {
  gradient_checkpointing: boolOr(["offload", "offload_disk"]).default(false),
  gradient_checkpointing_kwargs: mapping().optional(),
  activation_offloading: boolOr(["legacy", "disk", "hidden_states"]).default(false),
  selective_checkpointing: z.union([z.boolean(), mapping()], { error: "expected true, false or a mapping" }).optional(),
  layer_offloading: bool().optional(),
  tiled_mlp: bool().optional(),
  tiled_mlp_num_shards: wholeNumber(1).optional(),
  tiled_mlp_use_original_mlp: bool().default(true),
};

const stateDictType = () => oneOf(["FULL_STATE_DICT", "LOCAL_STATE_DICT", "SHARDED_STATE_DICT"]);

/** Axolotl's FSDPConfig; FSDP1-style `fsdp_`-prefixed names are accepted as Axolotl accepts them (with a warning). */
const FSDP_CONFIG_KEYS = {
  fsdp_version: z.union([z.literal(1), z.literal(2)], { error: "expected 1 or 2" }).optional(),
  version: z.union([z.literal(1), z.literal(2)], { error: "expected 1 or 2" }).optional(),
  activation_checkpointing: bool().optional(),
  offload_params: bool().optional(),
  sync_module_states: bool().optional(),
  cpu_ram_efficient_loading: bool().optional(),
  cpu_offload_pin_memory: bool().optional(),
  use_orig_params: bool().optional(),
  state_dict_type: stateDictType().optional(),
  final_state_dict_type: stateDictType().optional(),
  auto_wrap_policy: oneOf(["TRANSFORMER_BASED_WRAP", "SIZE_BASED_WRAP"]).optional(),
  transformer_layer_cls_to_wrap: str().optional(),
  min_num_params: wholeNumber(1).optional(),
  reshard_after_forward: bool().optional(),
  mixed_precision_policy: str().optional(),
  sharding_strategy: str().optional(),
  backward_prefetch: str().optional(),
  forward_prefetch: bool().optional(),
};

const prefixed = Object.fromEntries(
  Object.entries(FSDP_CONFIG_KEYS)
    .filter(([key]) => !key.startsWith("fsdp_") && key !== "version")
    .map(([key, schema]) => [`fsdp_${key}`, schema]),
);

const PARALLEL = {
  fsdp_config: z.strictObject({ ...FSDP_CONFIG_KEYS, ...prefixed }, { error: "expected a mapping of FSDP settings" }).optional(),
  fsdp_version: z.union([z.literal(1), z.literal(2)], { error: "expected 1 or 2" }).optional(),
  fsdp: stringList().optional(),
  fsdp_final_state_dict_type: stateDictType().optional(),
  fp32_norms: bool().optional(),
  fp32_norm_classes: stringList().optional(),
  deepspeed: z.union([z.string(), mapping()], { error: "expected a path to a DeepSpeed JSON file or a mapping" }).optional(),
  deepcompile: bool().optional(),
  dp_shard_size: wholeNumber(1).optional(),
  dp_replicate_size: wholeNumber(1).optional(),
  tensor_parallel_size: wholeNumber(1).optional(),
  context_parallel_size: wholeNumber(1).optional(),
  sequence_parallel_degree: wholeNumber(1).optional(),
  expert_parallel_size: wholeNumber(1).optional(),
  heads_k_stride: wholeNumber(1).optional(),
  ring_attn_func: oneOf(["varlen_llama3", "batch_ring"]).optional(),
};

const TRAINING_EXTRAS = {
  rl: oneOf(["dpo", "ipo", "kto", "simpo", "orpo", "grpo", "ebft"]).optional(),
  reward_model: bool().optional(),
  process_reward_model: bool().optional(),
  pretraining_dataset: z.array(mapping(), { error: "expected a list of dataset mappings" }).optional(),
  streaming: bool().optional(),
  resume_from_checkpoint: str().optional(),
  auto_resume_from_checkpoints: bool().optional(),
  unfrozen_parameters: stringList().optional(),
  neftune_noise_alpha: number(0, true).optional(),
  noisy_embedding_alpha: number(0, true).optional(),
  lr_scheduler_kwargs: mapping().optional(),
  cosine_min_lr_ratio: number(0).optional(),
  cosine_constant_lr_ratio: number(0).optional(),
  lr_quadratic_warmup: bool().optional(),
  lr_div_factor: number(0, true).optional(),
  optim_args: z.union([z.string(), mapping()], { error: "expected a string or a mapping" }).optional(),
  optim_target_modules: z
    .union([z.literal("all_linear"), z.array(z.string())], { error: 'expected "all_linear" or a list of strings' })
    .optional(),
  embedding_lr: number(0).optional(),
  embedding_lr_scale: number(0).optional(),
  lr_groups: z
    .array(z.strictObject({ name: str(), modules: stringList(), lr: number(0) }), { error: "expected a list of {name, modules, lr}" })
    .optional(),
  auto_find_batch_size: bool().optional(),
  relora: bool().optional(),
  relora_steps: wholeNumber(1).optional(),
  relora_warmup_steps: wholeNumber(0).optional(),
  relora_anneal_steps: wholeNumber(0).optional(),
  relora_prune_ratio: number(0).optional(),
  relora_cpu_offload: bool().optional(),
  jagged_restart_steps: wholeNumber(1).optional(),
  jagged_restart_warmup_steps: wholeNumber(0).optional(),
  jagged_restart_anneal_steps: wholeNumber(0).optional(),
  lisa_n_layers: wholeNumber(1).optional(),
  lisa_step_interval: wholeNumber(1).optional(),
  lisa_layers_attribute: str().optional(),
  reinit_weights: bool().optional(),
  freeze_mm_modules: bool().optional(),
  use_pose: bool().optional(),
  pose_split_on_token_ids: numberList(0).optional(),
  pose_max_context_len: wholeNumber(1).optional(),
  pose_num_chunks: wholeNumber(1).optional(),
  use_eaft: bool().optional(),
  eaft_alpha: number(0).optional(),
  eaft_k: wholeNumber(1).optional(),
};

/** Every scale/memory/training-loop feature key with its type and default. */
export const SCALE_FEATURE_KEYS = { ...PACKING, ...MEMORY, ...PARALLEL, ...TRAINING_EXTRAS };
