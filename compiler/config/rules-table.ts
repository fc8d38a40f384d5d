// Axolotl's cross-key rules, as data: each rule names the keys it relates, when it is broken, and what to change.
// Sources: axolotl-config.md §0 and §18.3, and the validators they cite (S/validation.py, S/peft.py, S/config.py,
// the CCE and Liger plugin args); PREFIX_LM_TRAIN_ON_INPUTS is trainc's, for its prefix_lm key. Like Axolotl's `mode="before"` validators, rules read the values written in the
// file (after dropping nulls), not the defaults: `micro_batch_size` left out does not count as set.
// "Set" means Python truthiness, as in Axolotl's `data.get(key)`: 0, false, "" and empty lists are not set.
// Invariant: rules run in this order; the first broken rule is reported.

import { CONFIG_ERRORS } from "./codes.ts";

/** The written config values, with attn_implementation replaced by its canonical name. */
export type RuleInput = Readonly<Record<string, unknown>>;

/** One of Axolotl's rules relating two or more keys. */
export interface CrossKeyRule {
  readonly code: number;
  /** Keys the error names, with their values and lines. */
  readonly keys: readonly string[];
  readonly broken: (c: RuleInput) => boolean;
  readonly problem: string;
  readonly fix: string;
}

/** Python truthiness of a config value. */
export function isSet(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return value !== undefined && value !== false && value !== 0 && value !== "";
}

const CCE_PLUGIN = "axolotl.integrations.cut_cross_entropy.CutCrossEntropyPlugin";

/** cut_cross_entropy as Axolotl reads it: defaults to true once the CCE plugin is listed under `plugins`. */
function cutCrossEntropy(c: RuleInput): unknown {
  const plugins = (c.plugins ?? []) as readonly string[];
  return c.cut_cross_entropy ?? (plugins.includes(CCE_PLUGIN) ? true : undefined);
}

/** The cross-entropy optimizations that are on; Axolotl allows at most one. */
function crossEntropyOptimizations(c: RuleInput): string[] {
  const candidates: [string, unknown][] = [
    ["cut_cross_entropy", cutCrossEntropy(c)],
    ["chunked_cross_entropy", c.chunked_cross_entropy],
    ["liger_cross_entropy", c.liger_cross_entropy],
    ["liger_fused_linear_cross_entropy", c.liger_fused_linear_cross_entropy],
  ];
  return candidates.filter(([, value]) => isSet(value)).map(([key]) => key);
}

/** fsdp_version as Axolotl reads it: top level, else moved up from fsdp_config.fsdp_version / .version. */
function fsdpVersion(c: RuleInput): unknown {
  const fsdp = (c.fsdp_config ?? {}) as Record<string, unknown>;
  return c.fsdp_version ?? fsdp.fsdp_version ?? fsdp.version;
}

const both = (a: string, b: string) => (c: RuleInput) => isSet(c[a]) && isSet(c[b]);
const num = (value: unknown, fallback: number) => (typeof value === "number" ? value : fallback);
const bnb = (c: RuleInput) => isSet(c.load_in_4bit) || isSet(c.load_in_8bit);

const BATCH_AND_SCHEDULE: readonly CrossKeyRule[] = [
  {
    code: CONFIG_ERRORS.BATCH_FIELDS,
    keys: ["micro_batch_size", "gradient_accumulation_steps", "batch_size"],
    broken: (c) => ["micro_batch_size", "gradient_accumulation_steps", "batch_size"].filter((k) => isSet(c[k])).length < 2,
    problem: "at least two of micro_batch_size, gradient_accumulation_steps and batch_size must be set (Axolotl's rule)",
    fix: "set micro_batch_size and gradient_accumulation_steps, e.g. `micro_batch_size: 1` and `gradient_accumulation_steps: 1`",
  },
  {
    code: CONFIG_ERRORS.GAS_AND_BATCH_SIZE,
    keys: ["gradient_accumulation_steps", "batch_size"],
    broken: both("gradient_accumulation_steps", "batch_size"),
    problem: "set only one of gradient_accumulation_steps and batch_size",
    fix: "remove batch_size (Axolotl discourages it) and keep gradient_accumulation_steps",
  },
  {
    code: CONFIG_ERRORS.WARMUP_BOTH,
    keys: ["warmup_steps", "warmup_ratio"],
    broken: both("warmup_steps", "warmup_ratio"),
    problem: "warmup_steps and warmup_ratio are mutually exclusive",
    fix: "remove one of warmup_steps and warmup_ratio",
  },
];

const EVAL_AND_SAVE: readonly CrossKeyRule[] = [
  {
    code: CONFIG_ERRORS.VAL_SET_AND_TEST_DATASETS,
    keys: ["val_set_size", "test_datasets"],
    broken: both("val_set_size", "test_datasets"),
    problem: "a non-zero val_set_size cannot be used together with test_datasets",
    fix: "remove val_set_size (or set it to 0) to evaluate on test_datasets, or remove test_datasets",
  },
  {
    code: CONFIG_ERRORS.SAVES_BOTH,
    keys: ["save_steps", "saves_per_epoch"],
    broken: both("save_steps", "saves_per_epoch"),
    problem: "save_steps and saves_per_epoch are mutually exclusive",
    fix: "remove one of save_steps and saves_per_epoch",
  },
  {
    code: CONFIG_ERRORS.EVALS_BOTH,
    keys: ["eval_steps", "evals_per_epoch"],
    broken: both("eval_steps", "evals_per_epoch"),
    problem: "eval_steps and evals_per_epoch are mutually exclusive",
    fix: "remove one of eval_steps and evals_per_epoch",
  },
  {
    code: CONFIG_ERRORS.SAVE_STRATEGY_MISMATCH,
    keys: ["save_strategy", "save_steps"],
    broken: (c) => both("save_strategy", "save_steps")(c) && c.save_strategy !== "steps",
    problem: "save_steps only applies with save_strategy: steps",
    fix: "set save_strategy: steps, or remove save_steps",
  },
  {
    code: CONFIG_ERRORS.EVAL_STRATEGY_MISMATCH,
    keys: ["eval_strategy", "eval_steps"],
    broken: (c) => both("eval_strategy", "eval_steps")(c) && c.eval_strategy !== "steps",
    problem: "eval_steps only applies with eval_strategy: steps",
    fix: "set eval_strategy: steps, or remove eval_steps",
  },
  {
    code: CONFIG_ERRORS.EVAL_WITHOUT_DATA,
    keys: ["val_set_size", "eval_steps", "eval_strategy", "test_datasets"],
    broken: (c) =>
      c.val_set_size === 0 && (isSet(c.eval_steps) || isSet(c.eval_strategy)) && !isSet(c.test_datasets) && c.eval_strategy !== "no",
    problem: "evaluation is configured but val_set_size is 0 and there are no test_datasets, so there is nothing to evaluate on",
    fix: "set val_set_size (e.g. 0.05) or add test_datasets, or remove eval_steps / eval_strategy",
  },
  {
    code: CONFIG_ERRORS.EVALS_PER_EPOCH_STRATEGY,
    keys: ["evals_per_epoch", "eval_strategy"],
    broken: (c) => both("evals_per_epoch", "eval_strategy")(c) && c.eval_strategy !== "steps",
    problem: "evals_per_epoch needs eval_strategy to be empty or steps",
    fix: "remove eval_strategy or set it to steps",
  },
  {
    code: CONFIG_ERRORS.SAVE_BEST_NEEDS_METRIC,
    keys: ["save_strategy", "metric_for_best_model"],
    broken: (c) => c.save_strategy === "best" && !isSet(c.metric_for_best_model),
    problem: "save_strategy: best needs metric_for_best_model to compare checkpoints",
    fix: "add metric_for_best_model: eval_loss (or another metric)",
  },
];

const ADAPTERS_AND_QUANTIZATION: readonly CrossKeyRule[] = [
  {
    code: CONFIG_ERRORS.QLORA_WITH_8BIT,
    keys: ["adapter", "load_in_8bit"],
    broken: (c) => c.adapter === "qlora" && isSet(c.load_in_8bit),
    problem: "adapter: qlora cannot load the model in 8-bit",
    fix: "use load_in_4bit: true with qlora (or adapter: lora for 8-bit)",
  },
  {
    code: CONFIG_ERRORS.QLORA_WITH_GPTQ,
    keys: ["adapter", "gptq"],
    broken: (c) => c.adapter === "qlora" && isSet(c.gptq),
    problem: "adapter: qlora cannot be combined with gptq",
    fix: "use adapter: lora on a GPTQ checkpoint",
  },
  {
    code: CONFIG_ERRORS.QLORA_NEEDS_4BIT,
    keys: ["adapter", "load_in_4bit"],
    broken: (c) => c.adapter === "qlora" && !isSet(c.load_in_4bit),
    problem: "adapter: qlora requires load_in_4bit: true",
    fix: "add load_in_4bit: true (or use adapter: lora)",
  },
  {
    code: CONFIG_ERRORS.QUANTIZED_NEEDS_ADAPTER,
    keys: ["load_in_4bit", "load_in_8bit", "adapter"],
    broken: (c) => !isSet(c.adapter) && bnb(c),
    problem: "load_in_4bit / load_in_8bit need an adapter: a quantized model cannot be fully fine-tuned",
    fix: "set adapter: qlora (4-bit) or adapter: lora (8-bit), or turn load_in_4bit / load_in_8bit off",
  },
  {
    code: CONFIG_ERRORS.GPTQ_WITH_BNB,
    keys: ["gptq", "load_in_4bit", "load_in_8bit"],
    broken: (c) => isSet(c.gptq) && bnb(c),
    problem: "a GPTQ checkpoint is already quantized; load_in_4bit / load_in_8bit cannot be added",
    fix: "turn load_in_4bit and load_in_8bit off when gptq is set",
  },
  {
    code: CONFIG_ERRORS.QAT_WITH_BNB,
    keys: ["qat", "load_in_4bit", "load_in_8bit"],
    broken: (c) => isSet(c.qat) && bnb(c),
    problem: "quantization-aware training (qat) cannot be combined with load_in_4bit / load_in_8bit",
    fix: "remove the qat block or turn load_in_4bit / load_in_8bit off",
  },
  {
    code: CONFIG_ERRORS.PEFT_LAYERS_PATTERN,
    keys: ["peft_layers_pattern", "peft_layers_to_transform"],
    broken: (c) => isSet(c.peft_layers_pattern) && !isSet(c.peft_layers_to_transform),
    problem: "peft_layers_pattern requires peft_layers_to_transform",
    fix: "add peft_layers_to_transform (a list of layer indices) or remove peft_layers_pattern",
  },
  {
    code: CONFIG_ERRORS.LR_GROUPS_LORAPLUS,
    keys: ["lr_groups", "loraplus_lr_ratio"],
    broken: both("lr_groups", "loraplus_lr_ratio"),
    problem: "lr_groups and loraplus_lr_ratio cannot be used together",
    fix: "remove one of lr_groups and loraplus_lr_ratio",
  },
];

const KERNELS: readonly CrossKeyRule[] = [
  {
    code: CONFIG_ERRORS.ONE_CE_OPTIMIZATION,
    keys: ["cut_cross_entropy", "chunked_cross_entropy", "liger_cross_entropy", "liger_fused_linear_cross_entropy"],
    broken: (c) => crossEntropyOptimizations(c).length > 1,
    problem: "only one cross-entropy optimization may be on",
    fix: "keep one of cut_cross_entropy, chunked_cross_entropy, liger_cross_entropy, liger_fused_linear_cross_entropy",
  },
  {
    code: CONFIG_ERRORS.CCE_NEEDS_HALF,
    keys: ["cut_cross_entropy", "bf16", "fp16"],
    broken: (c) => isSet(c.cut_cross_entropy) && !isSet(c.bf16) && !isSet(c.fp16),
    problem: "Cut Cross Entropy needs bf16 or fp16 training for its backward pass",
    fix: "set bf16: auto (or true), or turn cut_cross_entropy off",
  },
  {
    code: CONFIG_ERRORS.LIGER_SWIGLU_AND_GLU,
    keys: ["liger_swiglu", "liger_glu_activation"],
    broken: (c) => c.liger_swiglu !== undefined && c.liger_glu_activation !== undefined,
    problem: "liger_swiglu (deprecated) and liger_glu_activation cannot both be set",
    fix: "remove liger_swiglu; liger_glu_activation replaces it",
  },
  {
    code: CONFIG_ERRORS.LIGER_GLU_TILED_MLP,
    keys: ["liger_glu_activation", "tiled_mlp", "tiled_mlp_use_original_mlp"],
    broken: (c) => both("liger_glu_activation", "tiled_mlp")(c) && c.tiled_mlp_use_original_mlp === false,
    problem: "liger_glu_activation with tiled_mlp needs tiled_mlp_use_original_mlp: true",
    fix: "remove tiled_mlp_use_original_mlp: false, or turn liger_glu_activation off",
  },
];

const PARALLELISM: readonly CrossKeyRule[] = [
  {
    code: CONFIG_ERRORS.FP8_GATHER_NEEDS_FSDP2,
    keys: ["fp8_enable_fsdp_float8_all_gather", "fsdp_version"],
    broken: (c) => isSet(c.fp8_enable_fsdp_float8_all_gather) && fsdpVersion(c) !== 2,
    problem: "fp8_enable_fsdp_float8_all_gather requires FSDP2",
    fix: "set fsdp_version: 2, or remove fp8_enable_fsdp_float8_all_gather",
  },
  {
    code: CONFIG_ERRORS.CP_NEEDS_FLASH,
    keys: ["context_parallel_size", "attn_implementation"],
    broken: (c) =>
      num(c.context_parallel_size, 1) > 1 && !["flash_attention_2", "flash_attention_3"].includes(String(c.attn_implementation)),
    problem: "context parallelism (context_parallel_size > 1) needs flash attention",
    fix: "set attn_implementation: flash_attention_2 (or flash_attention_3), or context_parallel_size: 1",
  },
  {
    code: CONFIG_ERRORS.CP_PACKING_MBS,
    keys: ["context_parallel_size", "sample_packing", "micro_batch_size"],
    broken: (c) => num(c.context_parallel_size, 1) > 1 && isSet(c.sample_packing) && num(c.micro_batch_size, 1) > 1,
    problem: "context parallelism with sample_packing needs micro_batch_size: 1 (a ring-flash-attn limit)",
    fix: "set micro_batch_size: 1 and raise gradient_accumulation_steps instead",
  },
  {
    code: CONFIG_ERRORS.DEEPSPEED_AND_FSDP,
    keys: ["deepspeed", "fsdp"],
    broken: both("deepspeed", "fsdp"),
    problem: "deepspeed and fsdp cannot be used together",
    fix: "remove one of deepspeed and fsdp",
  },
  {
    code: CONFIG_ERRORS.DEEPCOMPILE_NEEDS_DEEPSPEED,
    keys: ["deepcompile", "deepspeed"],
    broken: (c) => isSet(c.deepcompile) && !isSet(c.deepspeed),
    problem: "deepcompile is only supported with deepspeed",
    fix: "add deepspeed: <config.json>, or remove deepcompile",
  },
  {
    code: CONFIG_ERRORS.DP_SHARD_NEEDS_FSDP,
    keys: ["dp_shard_size", "fsdp_config"],
    broken: (c) => num(c.dp_shard_size, 1) > 1 && !isSet(c.fsdp_config),
    problem: "dp_shard_size > 1 shards with FSDP and needs fsdp_config",
    fix: "add an fsdp_config block, or remove dp_shard_size",
  },
  {
    code: CONFIG_ERRORS.LIGER_WITH_TP,
    keys: ["tensor_parallel_size", "liger_rms_norm", "liger_fused_linear_cross_entropy"],
    broken: (c) => num(c.tensor_parallel_size, 1) > 1 && (isSet(c.liger_rms_norm) || isSet(c.liger_fused_linear_cross_entropy)),
    problem: "liger_rms_norm and liger_fused_linear_cross_entropy do not work with tensor parallelism",
    fix: "turn liger_rms_norm / liger_fused_linear_cross_entropy off, or set tensor_parallel_size: 1",
  },
];

const DATA: readonly CrossKeyRule[] = [
  {
    code: CONFIG_ERRORS.DATASETS_REQUIRED,
    keys: ["datasets", "pretraining_dataset"],
    broken: (c) => c.datasets === undefined && c.pretraining_dataset === undefined,
    problem: "either datasets or pretraining_dataset is required",
    fix: "add a datasets list, e.g. `datasets: [{path: ./data.jsonl, type: alpaca}]`",
  },
  {
    code: CONFIG_ERRORS.STREAMING_NEEDS_MAX_STEPS,
    keys: ["streaming", "pretraining_dataset", "max_steps"],
    broken: (c) => (isSet(c.streaming) || isSet(c.pretraining_dataset)) && !isSet(c.max_steps),
    problem: "streamed data has no known length, so the step count must be given",
    fix: "add max_steps",
  },
  {
    code: CONFIG_ERRORS.MULTIPACK_BUFFER_BOTH,
    keys: ["pretrain_multipack_buffer_size", "streaming_multipack_buffer_size"],
    broken: both("pretrain_multipack_buffer_size", "streaming_multipack_buffer_size"),
    problem: "pretrain_multipack_buffer_size is the deprecated name of streaming_multipack_buffer_size; both are set",
    fix: "remove pretrain_multipack_buffer_size",
  },
  {
    code: CONFIG_ERRORS.PACKING_WITH_RL,
    keys: ["sample_packing", "rl"],
    broken: both("sample_packing", "rl"),
    problem: "sample_packing does not work with RL training",
    fix: "turn sample_packing off for rl",
  },
  {
    code: CONFIG_ERRORS.BATCH_FLATTENING_PACKING,
    keys: ["batch_flattening", "sample_packing"],
    broken: (c) => c.batch_flattening === true && isSet(c.sample_packing),
    problem: "batch_flattening cannot be combined with sample_packing",
    fix: "remove batch_flattening (packing already removes padding), or set it to auto",
  },
  {
    code: CONFIG_ERRORS.PREFIX_LM_TRAIN_ON_INPUTS,
    keys: ["prefix_lm", "train_on_inputs"],
    broken: both("prefix_lm", "train_on_inputs"),
    problem: "prefix_lm (a trainc key) takes each sample's prefix from its masked prompt labels, and train_on_inputs " +
      "masks none, so there would be no prefix",
    fix: "set train_on_inputs: false, or remove prefix_lm",
  },
];

const MEMORY: readonly CrossKeyRule[] = [
  {
    code: CONFIG_ERRORS.OFFLOAD_NEEDS_CHECKPOINTING,
    keys: ["activation_offloading", "gradient_checkpointing"],
    broken: (c) => isSet(c.activation_offloading) && !isSet(c.gradient_checkpointing),
    problem: "activation_offloading requires gradient_checkpointing",
    fix: "add gradient_checkpointing: true, or turn activation_offloading off",
  },
];

/** Every rule, in the order they are checked. */
export const CROSS_KEY_RULES: readonly CrossKeyRule[] = [
  ...DATA,
  ...BATCH_AND_SCHEDULE,
  ...EVAL_AND_SAVE,
  ...ADAPTERS_AND_QUANTIZATION,
  ...MEMORY,
  ...KERNELS,
  ...PARALLELISM,
];
