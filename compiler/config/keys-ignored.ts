// Keys Axolotl knows that have no meaning for trainc (experiment trackers, the Hugging Face Hub, tokenizer edits,
// dataloader and launcher knobs, evaluation extras, RL-only settings). They are accepted so Axolotl configs load,
// and every one that is set is reported back as a warning: never dropped silently (Axolotl silently drops keys it
// does not know; trainc does not do the same to keys it does not use).
// Invariant: no key here is also in keys-core.ts, keys-model.ts, keys-scale.ts, removed.ts or attention.ts.

import { anything } from "./kinds.ts";

/** Keys grouped by why trainc does not use them; the reason is part of the warning text. */
export const IGNORED_KEY_GROUPS: readonly { readonly reason: string; readonly keys: readonly string[] }[] = [
  {
    reason: "experiment tracking and logging (trainc reports progress itself)",
    keys: [
      "use_wandb", "wandb_name", "wandb_run_id", "wandb_mode", "wandb_project", "wandb_entity", "wandb_watch",
      "wandb_log_model", "use_mlflow", "mlflow_tracking_uri", "mlflow_experiment_name", "mlflow_run_name",
      "hf_mlflow_log_artifacts", "use_comet", "comet_api_key", "comet_workspace", "comet_project_name",
      "comet_experiment_key", "comet_mode", "comet_online", "comet_experiment_config", "use_tensorboard",
      "use_trackio", "trackio_project_name", "trackio_run_name", "trackio_space_id", "use_otel_metrics",
      "include_tokens_per_second", "include_tkps", "profiler_steps", "profiler_steps_start",
      "loss_watchdog_threshold", "loss_watchdog_patience",
    ],
  },
  {
    reason: "Hugging Face Hub upload and download (trainc reads local files)",
    keys: ["hub_model_id", "hub_strategy", "push_dataset_to_hub", "hf_use_auth_token", "model_revision", "revision_of_model"],
  },
  {
    reason: "tokenizer and embedding edits (trainc does not change the tokenizer yet)",
    keys: [
      "special_tokens", "tokens", "added_tokens_overrides", "tokenizer_use_fast", "tokenizer_legacy",
      "tokenizer_use_mistral_common", "processor_type", "resize_token_embeddings_to_32x", "mean_resizing_embeddings",
      "shrink_embeddings", "embeddings_skip_upcast", "fix_untrained_tokens",
    ],
  },
  {
    reason: "PyTorch dataloader, launcher and device settings (trainc plans memory and devices itself)",
    keys: [
      "strict", "dataloader_pin_memory", "dataloader_num_workers", "dataloader_prefetch_factor", "dataloader_drop_last",
      "dataset_processes", "dataset_num_proc", "dataset_keep_in_memory", "dataset_shard_num", "dataset_shard_idx",
      "num_dataset_shards_to_save", "skip_prepare_dataset", "remove_unused_columns", "ddp", "ddp_timeout",
      "ddp_bucket_cap_mb", "ddp_broadcast_buffers", "ddp_find_unused_parameters", "device", "device_map",
      "max_memory", "gpu_memory_limit", "low_cpu_mem_usage", "local_rank", "world_size", "gc_steps", "use_ray",
      "ray_run_name", "ray_num_workers", "resources_per_worker", "accelerator_config", "torchdistx_path", "tf32",
      "float32", "save_safetensors", "save_only_model", "is_preprocess", "preprocess_iterable", "axolotl_config_path",
      "is_falcon_derived_model", "is_llama_derived_model", "is_mistral_derived_model", "is_qwen_derived_model",
      "flex_attn_compile_kwargs", "torch_compile_backend", "torch_compile_mode", "lora_on_cpu", "cls_model_config",
      "total_num_tokens", "total_supervised_tokens",
    ],
  },
  {
    reason: "evaluation and checkpoint extras trainc does not run",
    keys: [
      "do_causal_lm_eval", "eval_causal_lm_metrics", "do_bench_eval", "bench_dataset", "bench_split",
      "eval_table_size", "eval_max_new_tokens", "generate_samples", "num_generation_samples",
      "generation_max_new_tokens", "generation_temperature", "generation_top_p", "generation_top_k",
      "generation_prompt_ratio", "generation_do_sample", "greater_is_better", "load_best_model_at_end",
      "early_stopping_patience", "save_first_step", "evaluation_strategy", "dynamic_checkpoint",
    ],
  },
  {
    reason: "merge, quantize and inference commands of Axolotl (not part of training)",
    keys: [
      "merge_lora", "merge_method", "quantization", "gradio_title", "gradio_share", "gradio_server_name",
      "gradio_server_port", "gradio_max_new_tokens", "gradio_temperature",
    ],
  },
  {
    reason: "multimodal (image) preprocessing; trainc trains text models",
    keys: ["image_size", "image_resize_algorithm"],
  },
  {
    reason: "not in Axolotl's schema either (Axolotl drops it)",
    keys: ["gptq_disable_exllama"],
  },
  {
    reason: "RL trainer settings, read only together with `rl:`",
    keys: [
      "trl", "vllm", "ebft", "rl_beta", "dpo_beta", "orpo_alpha", "simpo_gamma", "cpo_alpha", "kto_desirable_weight",
      "kto_undesirable_weight", "dpo_use_weighting", "dpo_label_smoothing", "dpo_use_liger_kernel",
      "dpo_padding_free", "dpo_loss_type", "dpo_loss_weights", "precompute_ref_log_probs",
      "center_rewards_coefficient", "num_labels", "max_prompt_len",
    ],
  },
];

/** Schema entries for the ignored keys: any value is accepted. */
export const IGNORED_KEYS_SHAPE = Object.fromEntries(
  IGNORED_KEY_GROUPS.flatMap((group) => group.keys).map((key) => [key, anything().optional()]),
);
