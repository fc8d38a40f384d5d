// Features trainc parses and type-checks but does not build yet, as one table: each row names a key, when its value
// switches the feature on, and what to do meanwhile. Switched-off values (false, null, 1 for a parallel size) pass.
// Enabling a feature = deleting its row here (and building it). Rows are in priority order: the first row that is
// on is the error's subject; the others are listed under it.
// Invariant: every key here is typed in keys-core.ts / keys-model.ts / keys-scale.ts, or is one of their aliases.

import { fail } from "../diagnostics.ts";
import { CANONICAL_ATTENTION } from "./attention.ts";
import { CONFIG_ERRORS } from "./codes.ts";
import { ADAMW_OPTIMIZERS, LR_SCHEDULERS } from "./derived.ts";
import { isSet, type RuleInput } from "./rules-table.ts";
import { lineOf, where, yamlValue, type ConfigSource } from "./source.ts";

/** One row of the not-yet-supported table. */
export interface PlannedFeature {
  readonly key: string;
  readonly feature: string;
  /** True when the value (read with the rest of the config) switches the feature on. */
  readonly on: (value: unknown, config: RuleInput) => boolean;
  readonly meanwhile: string;
}

const isTrue = (value: unknown) => value === true;
const aboveOne = (value: unknown) => typeof value === "number" && value > 1;
const remove = (key: string) => `remove ${key} (or set it to false / null)`;

const flag = (key: string, feature: string): PlannedFeature => ({ key, feature, on: isTrue, meanwhile: remove(key) });
const given = (key: string, feature: string): PlannedFeature => ({ key, feature, on: isSet, meanwhile: remove(key) });
const parallel = (key: string, feature: string): PlannedFeature => ({
  key,
  feature,
  on: aboveOne,
  meanwhile: `set ${key}: 1 (trainc trains on one device for now)`,
});

const LIGER_KERNELS = [
  "rope",
  "rms_norm",
  "rms_norm_gated",
  "layer_norm",
  "glu_activation",
  "swiglu",
  "cross_entropy",
  "fused_linear_cross_entropy",
  "use_token_scaling",
];

const EXACT_ATTENTION = CANONICAL_ATTENTION.filter((name) => name !== "sage" && name !== "fp8");

/** The not-yet-supported features, in priority order. */
export const NOT_SUPPORTED_YET: readonly PlannedFeature[] = [
  { key: "adapter", feature: "adapter training (LoRA / QLoRA)", on: isSet, meanwhile: "remove adapter to run a full fine-tune" },
  flag("load_in_4bit", "4-bit (bitsandbytes) model loading"),
  flag("load_in_8bit", "8-bit (bitsandbytes) model loading"),
  flag("gptq", "training on GPTQ-quantized checkpoints"),
  given("model_quantization_config", "pre-quantized checkpoint loading"),
  flag("fp8", "FP8 mixed-precision training"),
  flag("fp8_enable_fsdp_float8_all_gather", "FP8 all-gather under FSDP2"),
  given("qat", "quantization-aware training"),
  { key: "bfloat16", feature: "pure bf16 (non-AMP) training", on: isTrue, meanwhile: "use bf16: true instead" },
  flag("float16", "pure fp16 (non-AMP) training"),
  given("gradient_checkpointing", "gradient checkpointing"),
  given("activation_offloading", "activation offloading"),
  given("selective_checkpointing", "selective checkpointing"),
  flag("layer_offloading", "layer offloading"),
  flag("tiled_mlp", "tiled MLP"),
  given("plugins", "Axolotl plugins (Liger, Cut Cross Entropy, ...)"),
  flag("cut_cross_entropy", "Cut Cross Entropy"),
  flag("chunked_cross_entropy", "chunked cross entropy"),
  ...LIGER_KERNELS.map((kernel) => flag(`liger_${kernel}`, "Liger kernels")),
  ...["mlp", "qkv", "o", "embedding"].map((part) => flag(`lora_${part}_kernel`, "fused LoRA kernels")),
  given("eot_tokens", "end-of-turn tokens other than EOS (chat_template)"),
  flag("batch_flattening", "batch flattening"),
  parallel("context_parallel_size", "context (sequence) parallelism"),
  parallel("sequence_parallel_degree", "context (sequence) parallelism"),
  given("fsdp_config", "FSDP"),
  given("fsdp", "FSDP"),
  given("deepspeed", "DeepSpeed"),
  parallel("dp_shard_size", "sharded data parallelism"),
  parallel("dp_replicate_size", "replicated data parallelism"),
  parallel("tensor_parallel_size", "tensor parallelism"),
  parallel("expert_parallel_size", "expert parallelism"),
  {
    key: "torch_compile",
    feature: "torch.compile",
    on: isSet,
    meanwhile: "remove torch_compile: trainc compiles the training step itself",
  },
  given("model_config", "model config overrides (rope_scaling, max_position_embeddings, ...)"),
  given("overrides_of_model_config", "model config overrides (rope_scaling, max_position_embeddings, ...)"),
  given("model_kwargs", "extra model-loading arguments"),
  given("overrides_of_model_kwargs", "extra model-loading arguments"),
  flag("trust_remote_code", "models with remote (Python) modeling code"),
  flag("gemma4_hybrid_attn_impl", "Gemma 4 hybrid attention"),
  given("large_head_attention", "large-head attention kernels"),
  flag("fused_attn_kernel", "fused attention kernels"),
  given("experts_implementation", "MoE expert implementations"),
  flag("quantize_moe_experts", "MoE expert quantization"),
  flag("llama4_linearized_experts", "Llama 4 linearized experts"),
  flag("scaling_softmax", "scaled-softmax (SSMax) attention"),
  flag("flash_attn_cross_entropy", "flash-attn's fused cross entropy"),
  flag("flash_attn_fuse_mlp", "flash-attn's fused MLP"),
  flag("flash_optimum", "BetterTransformer"),
  {
    key: "attn_implementation",
    feature:
      "this attention backend (trainc computes exact attention itself; sage and fp8 change the numerics, " +
      "hub kernels are Python)",
    on: (v) => typeof v === "string" && !(EXACT_ATTENTION as readonly string[]).includes(v),
    meanwhile: `use attn_implementation: sdpa (or one of ${EXACT_ATTENTION.join(", ")})`,
  },
  {
    key: "optimizer",
    feature: "this optimizer",
    on: (v) => typeof v === "string" && !ADAMW_OPTIMIZERS.includes(v),
    meanwhile: `use optimizer: adamw_torch_fused (or ${ADAMW_OPTIMIZERS.filter((o) => o !== "adamw_torch_fused").join(", ")})`,
  },
  {
    key: "lr_scheduler",
    feature: "this learning-rate scheduler",
    on: (v) => typeof v === "string" && LR_SCHEDULERS[v] === undefined,
    meanwhile: `use lr_scheduler: one of ${Object.keys(LR_SCHEDULERS).join(", ")}`,
  },
  given("lr_scheduler_kwargs", "scheduler arguments"),
  given("cosine_min_lr_ratio", "cosine schedule with a minimum learning rate"),
  given("cosine_constant_lr_ratio", "cosine schedule with a constant phase"),
  flag("lr_quadratic_warmup", "quadratic warmup"),
  given("optim_args", "extra optimizer arguments"),
  given("optim_target_modules", "optimizer target modules"),
  given("lr_groups", "per-module learning-rate groups"),
  given("embedding_lr", "a separate embedding learning rate"),
  given("embedding_lr_scale", "a separate embedding learning rate"),
  given("loraplus_lr_ratio", "LoRA+"),
  given("test_datasets", "evaluation datasets"),
  {
    key: "save_strategy",
    feature: "saving the best checkpoint (it needs evaluation)",
    on: (v) => v === "best",
    meanwhile: "use save_strategy: steps with save_steps, or epoch",
  },
  given("unfrozen_parameters", "partial freezing (unfrozen_parameters)"),
  flag("freeze_mm_modules", "multimodal module freezing"),
  flag("reinit_weights", "random re-initialization of the weights"),
  given("neftune_noise_alpha", "NEFTune embedding noise"),
  given("noisy_embedding_alpha", "NEFTune embedding noise"),
  flag("auto_find_batch_size", "automatic batch-size search"),
  flag("relora", "ReLoRA"),
  given("relora_steps", "ReLoRA"),
  given("lisa_n_layers", "LISA layer switching"),
  flag("use_pose", "PoSE context extension"),
  flag("use_eaft", "entropy-aware focal training (EAFT)"),
  given("rl", "RL training (DPO, KTO, ORPO, GRPO, ...)"),
  flag("reward_model", "reward-model training"),
  flag("process_reward_model", "process-reward-model training"),
  given("pretraining_dataset", "streamed pretraining datasets"),
  flag("streaming", "streamed datasets"),
  given("resume_from_checkpoint", "resuming from a checkpoint"),
  flag("auto_resume_from_checkpoints", "resuming from a checkpoint"),
];

/** Throws E1011 when a row's feature is on; the message names the key, its value and its line. */
export function checkNotSupported(source: ConfigSource, config: RuleInput): void {
  const on = NOT_SUPPORTED_YET.filter((row) => config[row.key] !== undefined && row.on(config[row.key], config));
  const [first, ...rest] = on;
  if (first === undefined) return;
  const others = rest.map((row) => `${row.key} (${lineOf(source, [row.key])})`);
  const also = others.length === 0 ? "" : `\n  also not supported yet: ${others.join(", ")}`;
  const subject = `${where(source, [first.key])}: ${first.key}: ${yamlValue(config[first.key])}`;
  fail(
    CONFIG_ERRORS.NOT_SUPPORTED_YET,
    `${subject} — ${first.feature} is not supported by trainc yet (it is planned)${also}`,
    first.meanwhile,
  );
}
