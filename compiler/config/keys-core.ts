// Core training keys: the Axolotl keys trainc reads to build and run a training step, with Axolotl's types and
// defaults (source: axolotl-config.md §0; Axolotl's S/training.py, S/model.py, S/config.py, S/datasets.py).
// Invariant: key names are Axolotl's, unchanged; a default here equals Axolotl's default for the same key.

import { z } from "zod";
import {
  bool,
  boolOr,
  fraction,
  mapping,
  number,
  numberOrNumericString,
  oneOf,
  str,
  stringList,
  stringOrList,
  wholeNumber,
} from "./kinds.ts";

/** A custom prompt format in `datasets[].type` (Axolotl's UserDefinedPrompterType). */
const customPromptFormat = z.strictObject({
  system_prompt: str().optional(),
  system_format: str().optional(),
  field_system: str().optional(),
  field_instruction: str().optional(),
  field_input: str().optional(),
  field_output: str().optional(),
  format: str().optional(),
  no_input_format: str().optional(),
  field: str().optional(),
});

/** One entry of `datasets` / `test_datasets` (Axolotl's SFTDataset). */
const datasetEntry = z.strictObject(
  {
    path: str().optional(),
    split: str().optional(),
    type: z
      .union([z.string(), customPromptFormat], { error: "expected a format name such as alpaca, or a mapping" })
      .optional(),
    input_transform: str().optional(),
    shards: wholeNumber(1).optional(),
    shards_idx: wholeNumber(0).optional(),
    preprocess_shards: wholeNumber(1).optional(),
    conversation: str().optional(),
    chat_template: str().optional(),
    chat_template_jinja: str().optional(),
    data_files: stringOrList().optional(),
    input_format: str().optional(),
    name: str().optional(),
    ds_type: str().optional(),
    field: str().optional(),
    field_human: str().optional(),
    field_model: str().optional(),
    field_messages: str().optional(),
    message_field_role: str().optional(),
    message_field_content: str().optional(),
    message_property_mappings: z.record(z.string(), z.string(), { error: "expected a mapping of strings" }).optional(),
    message_field_training: str().optional(),
    message_field_training_detail: str().optional(),
    logprobs_field: str().optional(),
    temperature: number(0).optional(),
    roles_to_train: stringList().optional(),
    train_on_eos: oneOf(["all", "turn", "last", "none"]).optional(),
    roles: z.record(z.string(), stringList(), { error: "expected a mapping of role names to lists" }).optional(),
    drop_system_message: bool().optional(),
    trust_remote_code: bool().optional(),
    revision: str().optional(),
  },
  { error: "expected a mapping with a dataset's keys (path, type, ...)" },
);

const datasetList = () =>
  z.array(datasetEntry, { error: "expected a list of datasets" }).min(1, { error: "expected at least one dataset" });

/** Model and data keys. */
const MODEL_AND_DATA = {
  base_model: str(),
  base_model_config: str().optional(),
  tokenizer_config: str().optional(),
  model_type: str().optional(),
  tokenizer_type: str().optional(),
  datasets: datasetList().optional(),
  test_datasets: datasetList().optional(),
  val_set_size: fraction().default(0),
  dataset_prepared_path: str().optional(),
  sequence_len: wholeNumber(1).default(512),
  eval_sequence_len: wholeNumber(1).optional(),
  min_sample_len: wholeNumber(0).optional(),
  excess_length_strategy: oneOf(["drop", "truncate", "raise"]).default("drop"),
  train_on_inputs: bool().default(false),
  group_by_length: bool().optional(),
  chat_template: str().optional(),
  chat_template_jinja: str().optional(),
  chat_template_kwargs: mapping().optional(),
  default_system_message: str().optional(),
  eot_tokens: stringList().optional(),
  shuffle_merged_datasets: bool().default(true),
  shuffle_before_merging_datasets: bool().default(false),
  dataset_exact_deduplication: bool().optional(),
  pad_to_sequence_len: bool().optional(),
  pad_to_multiple_of: wholeNumber(1).optional(),
  curriculum_sampling: bool().optional(),
};

/** Batch, schedule and optimizer keys. */
const OPTIMIZATION = {
  micro_batch_size: wholeNumber(1).default(1),
  gradient_accumulation_steps: wholeNumber(1).default(1),
  batch_size: wholeNumber(1).optional(),
  eval_batch_size: wholeNumber(1).optional(),
  num_epochs: number(0, true).default(1),
  max_steps: wholeNumber(1).optional(),
  learning_rate: numberOrNumericString(),
  optimizer: str().default("adamw_torch_fused"),
  lr_scheduler: str().default("cosine"),
  warmup_steps: wholeNumber(0).optional(),
  warmup_ratio: fraction().optional(),
  weight_decay: number(0).default(0),
  max_grad_norm: number(0).optional(),
  adam_beta1: fraction().optional(),
  adam_beta2: fraction().optional(),
  adam_epsilon: number(0, true).optional(),
  seed: z.int({ error: "expected a whole number" }).default(42),
};

/** Precision, attention and output keys. */
const RUN = {
  bf16: boolOr(["auto"]).default("auto"),
  fp16: bool().optional(),
  attn_implementation: str().optional(),
  output_dir: str().default("./model-out"),
  logging_steps: number(0, true).optional(),
  save_steps: number(0, true).optional(),
  saves_per_epoch: wholeNumber(1).optional(),
  save_strategy: oneOf(["no", "steps", "epoch", "best"]).optional(),
  save_total_limit: wholeNumber(1).optional(),
  eval_steps: number(0, true).optional(),
  evals_per_epoch: wholeNumber(1).optional(),
  eval_strategy: oneOf(["no", "steps", "epoch"]).optional(),
  metric_for_best_model: str().optional(),
};

/** Every core key with its type and default. */
export const CORE_KEYS = { ...MODEL_AND_DATA, ...OPTIMIZATION, ...RUN };
