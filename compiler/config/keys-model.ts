// Feature keys that change the model or its numerics: adapters (LoRA/QLoRA), quantization (bitsandbytes, GPTQ, FP8,
// QAT), fused-kernel plugins (Liger, Cut Cross Entropy), model-config overrides (rope_scaling) and attention extras.
// trainc parses and type-checks them now (axolotl-config.md §3, §4, §7, §8, §9, §14-16); not-supported.ts decides
// which values switch a feature on. Invariant: types and defaults are Axolotl's.

import { z } from "zod";
import {
  bool,
  boolOr,
  mapping,
  number,
  numberList,
  numberOrNumericString,
  oneOf,
  str,
  stringList,
  stringOrList,
  wholeNumber,
} from "./kinds.ts";

const dropout = () => {
  const error = "expected a number ≥ 0 and < 1";
  return z.number({ error }).min(0, { error }).lt(1, { error });
};

const ADAPTER = {
  adapter: oneOf(["lora", "qlora", "llama-adapter"]).optional(),
  lora_model_dir: str().optional(),
  lora_r: wholeNumber(1).optional(),
  lora_alpha: number(0, true).optional(),
  lora_dropout: dropout().default(0),
  lora_target_modules: stringOrList().optional(),
  lora_target_linear: bool().optional(),
  lora_target_parameters: stringOrList().optional(),
  lora_modules_to_save: stringList().optional(),
  lora_fan_in_fan_out: bool().optional(),
  lora_rank_pattern: mapping().optional(),
  lora_alpha_pattern: mapping().optional(),
  lora_mlp_kernel: bool().optional(),
  lora_qkv_kernel: bool().optional(),
  lora_o_kernel: bool().optional(),
  lora_embedding_kernel: bool().optional(),
  peft_use_dora: bool().optional(),
  peft_use_rslora: bool().optional(),
  peft_init_lora_weights: z.union([z.boolean(), z.string()], { error: "expected true, false or an init method name" }).optional(),
  peft_layers_to_transform: numberList(0).optional(),
  peft_layers_pattern: stringList().optional(),
  peft: z.strictObject({ loftq_config: z.strictObject({ loftq_bits: wholeNumber(1).optional() }).optional() }).optional(),
  bnb_config_kwargs: mapping().optional(),
  loraplus_lr_ratio: number(0, true).optional(),
  loraplus_lr_embedding: numberOrNumericString().optional(),
  qlora_sharded_model_loading: bool().optional(),
};

const QUANTIZATION = {
  load_in_4bit: bool().default(false),
  load_in_8bit: bool().default(false),
  gptq: bool().optional(),
  fp8: bool().optional(),
  fp8_enable_fsdp_float8_all_gather: bool().optional(),
  model_quantization_config: str().optional(),
  qat: z
    .strictObject(
      {
        weight_dtype: oneOf(["int4", "int8", "float8_e4m3fn", "fp8", "float8", "nvfp4", "mxfp4"]).default("int8"),
        activation_dtype: oneOf(["int4", "int8", "float8_e4m3fn", "fp8", "float8", "nvfp4", "mxfp4"]).optional(),
        group_size: wholeNumber(1).default(32),
        quantize_embedding: bool().default(false),
        fake_quant_after_n_steps: wholeNumber(0).optional(),
      },
      { error: "expected a mapping with qat keys (weight_dtype, activation_dtype, group_size, ...)" },
    )
    .optional(),
  bfloat16: bool().optional(),
  float16: bool().optional(),
};

const LIGER = {
  liger_rope: bool().optional(),
  liger_rms_norm: bool().optional(),
  liger_rms_norm_gated: bool().optional(),
  liger_layer_norm: bool().optional(),
  liger_glu_activation: bool().optional(),
  liger_swiglu: bool().optional(),
  liger_cross_entropy: bool().optional(),
  liger_fused_linear_cross_entropy: bool().optional(),
  liger_use_token_scaling: bool().optional(),
};

const KERNELS = {
  plugins: stringList().optional(),
  cut_cross_entropy: bool().optional(),
  cut_cross_entropy_accum_c_fp32: bool().optional(),
  cut_cross_entropy_c_grad_chunk_size: z
    .union([z.int().min(0), z.literal("auto")], { error: 'expected a whole number ≥ 0 or "auto"' })
    .optional(),
  chunked_cross_entropy: bool().optional(),
  chunked_cross_entropy_num_chunks: wholeNumber(1).optional(),
  ...LIGER,
};

/** `model_config.rope_scaling` (transformers validates the parameters per rope_type; types are checked here). */
const ropeScaling = z.looseObject(
  {
    rope_type: oneOf(["default", "linear", "dynamic", "yarn", "longrope", "llama3"]).optional(),
    type: oneOf(["default", "linear", "dynamic", "yarn", "longrope", "llama3"]).optional(),
    factor: number(1).optional(),
    original_max_position_embeddings: wholeNumber(1).optional(),
    attention_factor: number(0).optional(),
    beta_fast: number(0).optional(),
    beta_slow: number(0).optional(),
    mscale: number(0).optional(),
    mscale_all_dim: number(0).optional(),
    low_freq_factor: number(0).optional(),
    high_freq_factor: number(0).optional(),
    short_factor: z.array(number(0), { error: "expected a list of numbers" }).optional(),
    long_factor: z.array(number(0), { error: "expected a list of numbers" }).optional(),
  },
  { error: "expected a mapping with rope_type, factor, ..." },
);

/** Overrides set on the model's config.json (Axolotl's `model_config`, internally `overrides_of_model_config`). */
const modelConfigOverrides = () =>
  z.looseObject(
    { rope_scaling: ropeScaling.optional(), max_position_embeddings: wholeNumber(1).optional() },
    { error: "expected a mapping of config.json keys to values" },
  );

const MODEL = {
  model_config: modelConfigOverrides().optional(),
  model_kwargs: mapping().optional(),
  trust_remote_code: bool().optional(),
  gemma4_hybrid_attn_impl: bool().optional(),
  large_head_attention: oneOf(["sdpa", "auto", "triton_flash"]).optional(),
  fused_attn_kernel: bool().optional(),
  experts_implementation: str().optional(),
  quantize_moe_experts: bool().optional(),
  llama4_linearized_experts: bool().optional(),
  scaling_softmax: bool().optional(),
  scaling_softmax_factor: number(0).optional(),
  scaling_softmax_bias: z.number({ error: "expected a number" }).optional(),
  torch_compile: boolOr(["auto"]).optional(),
  flash_attn_cross_entropy: bool().optional(),
  flash_attn_fuse_mlp: bool().optional(),
  flash_optimum: bool().optional(),
};

/** Every model-side feature key with its type and default. */
export const MODEL_FEATURE_KEYS = { ...ADAPTER, ...QUANTIZATION, ...KERNELS, ...MODEL };
