// Error codes of compiler/config (the 1xxx range: config errors). Every TraincError this folder throws uses one of
// these names, so each code is defined once and stays unique. Invariant: a code never changes meaning; a retired
// check leaves a gap instead of reusing its number.
//
// | code | name                       | what the user did                                                        |
// |------|----------------------------|--------------------------------------------------------------------------|
// | 1001 | READ_FAILED                | the config file cannot be read                                           |
// | 1002 | YAML_SYNTAX                | the file is not well-formed YAML (duplicate keys included)               |
// | 1003 | NOT_A_MAPPING              | the file is empty or its top level is not a mapping of keys              |
// | 1004 | UNKNOWN_KEY                | a key Axolotl and trainc do not know (a typo, usually)                   |
// | 1005 | WRONG_TYPE                 | a value of the wrong type or outside its allowed values                  |
// | 1006 | MISSING_KEY                | a required key (base_model, learning_rate) is missing or null            |
// | 1007 | ATTENTION_TWO_FLAGS        | two legacy attention flags set true                                      |
// | 1008 | ATTENTION_MIXED            | attn_implementation together with a legacy attention flag                |
// | 1009 | ATTENTION_NAME             | attn_implementation is a short alias (flash, flex, sdp) or unknown name  |
// | 1010 | REMOVED_KEY                | a key or value Axolotl removed (s2_attention, top-level rope_scaling, …) |
// | 1011 | NOT_SUPPORTED_YET          | a feature trainc parses but does not build yet                           |
// | 1012 | BF16_UNAVAILABLE           | bf16: true on a target without bf16                                      |
// | 1013 | FP16_UNAVAILABLE           | fp16: true on a target without f16 training                              |
// | 1020 | BATCH_FIELDS               | fewer than two of micro_batch_size / gradient_accumulation_steps / batch_size |
// | 1021 | GAS_AND_BATCH_SIZE         | gradient_accumulation_steps together with batch_size                     |
// | 1022 | WARMUP_BOTH                | warmup_steps together with warmup_ratio                                  |
// | 1023 | VAL_SET_AND_TEST_DATASETS  | a non-zero val_set_size together with test_datasets                      |
// | 1024 | SAVES_BOTH                 | save_steps together with saves_per_epoch                                 |
// | 1025 | EVALS_BOTH                 | eval_steps together with evals_per_epoch                                 |
// | 1026 | SAVE_STRATEGY_MISMATCH     | save_steps with a save_strategy other than steps                         |
// | 1027 | EVAL_STRATEGY_MISMATCH     | eval_steps with an eval_strategy other than steps                        |
// | 1028 | EVAL_WITHOUT_DATA          | eval_steps / eval_strategy with val_set_size 0 and no test_datasets      |
// | 1029 | EVALS_PER_EPOCH_STRATEGY   | evals_per_epoch with an eval_strategy other than steps                   |
// | 1030 | SAVE_BEST_NEEDS_METRIC     | save_strategy: best without metric_for_best_model                        |
// | 1031 | OFFLOAD_NEEDS_CHECKPOINTING| activation_offloading without gradient_checkpointing                     |
// | 1032 | QLORA_NEEDS_4BIT           | adapter: qlora without load_in_4bit: true                                |
// | 1033 | QLORA_WITH_8BIT            | adapter: qlora with load_in_8bit                                         |
// | 1034 | QLORA_WITH_GPTQ            | adapter: qlora with gptq                                                 |
// | 1035 | QUANTIZED_NEEDS_ADAPTER    | load_in_4bit / load_in_8bit without an adapter                           |
// | 1036 | GPTQ_WITH_BNB              | gptq with load_in_4bit / load_in_8bit                                    |
// | 1037 | ONE_CE_OPTIMIZATION        | more than one cross-entropy optimization switched on                     |
// | 1038 | CCE_NEEDS_HALF             | cut_cross_entropy without bf16 or fp16                                   |
// | 1039 | FP8_GATHER_NEEDS_FSDP2     | fp8_enable_fsdp_float8_all_gather without fsdp_version: 2                |
// | 1040 | CP_NEEDS_FLASH             | context_parallel_size > 1 without flash_attention_2/3                    |
// | 1041 | CP_PACKING_MBS             | context_parallel_size > 1 with sample_packing and micro_batch_size > 1   |
// | 1042 | DEEPSPEED_AND_FSDP         | deepspeed together with fsdp                                             |
// | 1043 | DP_SHARD_NEEDS_FSDP        | dp_shard_size > 1 without fsdp_config                                    |
// | 1044 | LIGER_WITH_TP              | liger_rms_norm / Liger FLCE with tensor_parallel_size > 1                |
// | 1045 | LIGER_GLU_TILED_MLP        | liger_glu_activation + tiled_mlp without tiled_mlp_use_original_mlp      |
// | 1046 | LIGER_SWIGLU_AND_GLU       | liger_swiglu (deprecated) together with liger_glu_activation             |
// | 1047 | DATASETS_REQUIRED          | neither datasets nor pretraining_dataset                                 |
// | 1048 | BATCH_FLATTENING_PACKING   | batch_flattening: true with sample_packing                               |
// | 1049 | PEFT_LAYERS_PATTERN        | peft_layers_pattern without peft_layers_to_transform                     |
// | 1050 | QAT_WITH_BNB               | a qat block with load_in_4bit / load_in_8bit                             |
// | 1051 | LR_GROUPS_LORAPLUS         | lr_groups together with loraplus_lr_ratio                                |
// | 1052 | DEEPCOMPILE_NEEDS_DEEPSPEED| deepcompile without deepspeed                                            |
// | 1053 | PACKING_WITH_RL            | sample_packing together with rl                                          |
// | 1054 | STREAMING_NEEDS_MAX_STEPS  | streaming / pretraining_dataset without max_steps                        |
// | 1055 | MULTIPACK_BUFFER_BOTH      | pretrain_multipack_buffer_size with streaming_multipack_buffer_size      |
// | 1056 | PREFIX_LM_TRAIN_ON_INPUTS  | prefix_lm (trainc's) with train_on_inputs: true, which masks no prompt   |

/** The codes of every error compiler/config throws, by name (see the table above). */
export const CONFIG_ERRORS = {
  READ_FAILED: 1001,
  YAML_SYNTAX: 1002,
  NOT_A_MAPPING: 1003,
  UNKNOWN_KEY: 1004,
  WRONG_TYPE: 1005,
  MISSING_KEY: 1006,
  ATTENTION_TWO_FLAGS: 1007,
  ATTENTION_MIXED: 1008,
  ATTENTION_NAME: 1009,
  REMOVED_KEY: 1010,
  NOT_SUPPORTED_YET: 1011,
  BF16_UNAVAILABLE: 1012,
  FP16_UNAVAILABLE: 1013,
  BATCH_FIELDS: 1020,
  GAS_AND_BATCH_SIZE: 1021,
  WARMUP_BOTH: 1022,
  VAL_SET_AND_TEST_DATASETS: 1023,
  SAVES_BOTH: 1024,
  EVALS_BOTH: 1025,
  SAVE_STRATEGY_MISMATCH: 1026,
  EVAL_STRATEGY_MISMATCH: 1027,
  EVAL_WITHOUT_DATA: 1028,
  EVALS_PER_EPOCH_STRATEGY: 1029,
  SAVE_BEST_NEEDS_METRIC: 1030,
  OFFLOAD_NEEDS_CHECKPOINTING: 1031,
  QLORA_NEEDS_4BIT: 1032,
  QLORA_WITH_8BIT: 1033,
  QLORA_WITH_GPTQ: 1034,
  QUANTIZED_NEEDS_ADAPTER: 1035,
  GPTQ_WITH_BNB: 1036,
  ONE_CE_OPTIMIZATION: 1037,
  CCE_NEEDS_HALF: 1038,
  FP8_GATHER_NEEDS_FSDP2: 1039,
  CP_NEEDS_FLASH: 1040,
  CP_PACKING_MBS: 1041,
  DEEPSPEED_AND_FSDP: 1042,
  DP_SHARD_NEEDS_FSDP: 1043,
  LIGER_WITH_TP: 1044,
  LIGER_GLU_TILED_MLP: 1045,
  LIGER_SWIGLU_AND_GLU: 1046,
  DATASETS_REQUIRED: 1047,
  BATCH_FLATTENING_PACKING: 1048,
  PEFT_LAYERS_PATTERN: 1049,
  QAT_WITH_BNB: 1050,
  LR_GROUPS_LORAPLUS: 1051,
  DEEPCOMPILE_NEEDS_DEEPSPEED: 1052,
  PACKING_WITH_RL: 1053,
  STREAMING_NEEDS_MAX_STEPS: 1054,
  MULTIPACK_BUFFER_BOTH: 1055,
  PREFIX_LM_TRAIN_ON_INPUTS: 1056,
} as const;
