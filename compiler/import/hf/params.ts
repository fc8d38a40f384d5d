// The parameters of a ModelSpec under their Hugging Face names and shapes, in the order transformers'
// `named_parameters()` lists them. forward.ts declares graph inputs in this order, load.ts checks checkpoints
// against it, init.ts fills it. Invariant: a tied model has no lm_head.weight (the embedding serves as both).

import type { ModelSpec } from "./config.ts";

/** How transformers initializes a parameter (`_init_weights`): normal(0, initializer_range), ones or zeros. */
export type ParamInit = "normal" | "ones" | "zeros";

/** One parameter: its Hugging Face name, shape and init rule. */
export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
}

/** Every parameter of the model, in named_parameters() order. */
export function modelParameters(spec: ModelSpec): ParamInfo[] {
  const params: ParamInfo[] = [{ name: "model.embed_tokens.weight", shape: [spec.vocabSize, spec.hiddenSize], init: "normal" }];
  for (let layer = 0; layer < spec.numLayers; layer++) params.push(...layerParameters(spec, `model.layers.${layer}`));
  params.push({ name: "model.norm.weight", shape: [spec.hiddenSize], init: "ones" });
  if (!spec.tieWordEmbeddings) params.push({ name: "lm_head.weight", shape: [spec.vocabSize, spec.hiddenSize], init: "normal" });
  return params;
}

/** A linear layer's weight [out, in] and, when it has one, its bias [out]. */
function linear(name: string, inFeatures: number, outFeatures: number, bias: boolean): ParamInfo[] {
  const weight: ParamInfo = { name: `${name}.weight`, shape: [outFeatures, inFeatures], init: "normal" };
  return bias ? [weight, { name: `${name}.bias`, shape: [outFeatures], init: "zeros" }] : [weight];
}

function layerParameters(spec: ModelSpec, prefix: string): ParamInfo[] {
  const { hiddenSize: c, headDim: d, numHeads: h, numKvHeads: kv, intermediateSize: f } = spec;
  const attn = `${prefix}.self_attn`;
  const params = [
    ...linear(`${attn}.q_proj`, c, h * d, spec.qkvBias),
    ...linear(`${attn}.k_proj`, c, kv * d, spec.qkvBias),
    ...linear(`${attn}.v_proj`, c, kv * d, spec.qkvBias),
    ...linear(`${attn}.o_proj`, h * d, c, spec.oBias),
  ];
  if (spec.qkNorm) {
    params.push({ name: `${attn}.q_norm.weight`, shape: [d], init: "ones" }, { name: `${attn}.k_norm.weight`, shape: [d], init: "ones" });
  }
  params.push(
    ...linear(`${prefix}.mlp.gate_proj`, c, f, spec.mlpBias),
    ...linear(`${prefix}.mlp.up_proj`, c, f, spec.mlpBias),
    ...linear(`${prefix}.mlp.down_proj`, f, c, spec.mlpBias),
    { name: `${prefix}.input_layernorm.weight`, shape: [c], init: "ones" },
    { name: `${prefix}.post_attention_layernorm.weight`, shape: [c], init: "ones" },
  );
  return params;
}
