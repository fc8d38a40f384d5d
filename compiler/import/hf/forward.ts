// Builds the forward graph of a ModelSpec, op for op as transformers' modeling code computes it (LlamaModel,
// MistralModel, Qwen2Model, Qwen3Model share one structure): embedding, N pre-norm decoder layers (RMSNorm ->
// attention with rope -> residual; RMSNorm -> SwiGLU MLP -> residual), final RMSNorm, lm_head.
// Graph `forward`: inputs input_ids i64[B,T], position_ids i64[B,T], then every parameter under its Hugging Face
// name (params.ts order); output logits [B,T,V]. B and T are symbolic. Documents packed into a row are separated by
// segment_ids of position_ids, as transformers detects packed sequences when no attention mask is given.
// Invariant: the graph is built with GraphBuilder only, so it satisfies ir/graph.ts's invariants by construction.
//
// Error codes (this file):
//   2240  the requested dtype is not a float type

import { fail } from "../../diagnostics.ts";
import { GraphBuilder, type Value } from "../../../ir/builder.ts";
import { DTYPES, isFloat, type DType } from "../../../ir/dtype.ts";
import type { Graph } from "../../../ir/graph.ts";
import type { ModelSpec } from "./config.ts";
import { modelParameters } from "./params.ts";

/** How buildForward builds the graph. */
export interface ForwardOptions {
  /** Dtype of parameters and activations (f32, f64, bf16, f16). */
  readonly dtype: DType;
}

/** Values every layer reads: the model's parameters by name, rope tables and document segments. */
interface Shared {
  readonly b: GraphBuilder;
  readonly spec: ModelSpec;
  readonly params: Readonly<Record<string, Value>>;
  readonly cos: Value;
  readonly sin: Value;
  readonly segments: Value;
}

/** The forward graph of `spec` in `options.dtype`. */
export function buildForward(spec: ModelSpec, options: ForwardOptions): Graph {
  const { dtype } = options;
  if (!isFloat(dtype)) fail(2240, `cannot build a model in ${dtype}: parameters and activations need a float dtype`, "use f32, f64, bf16 or f16");
  const b = new GraphBuilder("forward");
  const ids = b.input("input_ids", "i64", ["B", "T"]);
  const positions = b.input("position_ids", "i64", ["B", "T"]);
  const params: Record<string, Value> = {};
  for (const p of modelParameters(spec)) params[p.name] = b.input(p.name, dtype, p.shape);
  const [cos, sin] = b.ops("rope_tables", [positions], { ...spec.rope, dtype }) as [Value, Value];
  const segments = b.op("segment_ids", [positions]);
  const shared: Shared = { b, spec, params, cos, sin, segments };
  let hidden = b.op("embedding", [params["model.embed_tokens.weight"]!, ids]);
  for (let layer = 0; layer < spec.numLayers; layer++) hidden = decoderLayer(shared, hidden, layer);
  hidden = rmsNorm(b, hidden, params["model.norm.weight"]!, spec.rmsNormEps);
  const head = params[spec.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"]!;
  b.output("logits", b.op("matmul", [hidden, head], { transpose_b: true }));
  return b.build();
}

/** One decoder layer: h + attn(norm(h)), then h + mlp(norm(h)). */
function decoderLayer(s: Shared, hidden: Value, layer: number): Value {
  const prefix = `model.layers.${layer}`;
  const normed = rmsNorm(s.b, hidden, s.params[`${prefix}.input_layernorm.weight`]!, s.spec.rmsNormEps);
  const afterAttention = s.b.op("add", [hidden, attention(s, normed, layer)]);
  const normed2 = rmsNorm(s.b, afterAttention, s.params[`${prefix}.post_attention_layernorm.weight`]!, s.spec.rmsNormEps);
  return s.b.op("add", [afterAttention, mlp(s, normed2, prefix)]);
}

/** Self-attention: q/k/v projections to [B,T,H,D], (Qwen3) q/k RMSNorm, rope, attention, o_proj. */
function attention(s: Shared, x: Value, layer: number): Value {
  const { b, spec } = s;
  const name = `model.layers.${layer}.self_attn`;
  const heads = (proj: string, count: number, bias: boolean): Value =>
    b.op("reshape", [linear(s, x, `${name}.${proj}`, bias)], { shape: ["B", "T", count, spec.headDim] });
  let q = heads("q_proj", spec.numHeads, spec.qkvBias);
  let k = heads("k_proj", spec.numKvHeads, spec.qkvBias);
  const v = heads("v_proj", spec.numKvHeads, spec.qkvBias);
  if (spec.qkNorm) {
    q = rmsNorm(b, q, s.params[`${name}.q_norm.weight`]!, spec.rmsNormEps);
    k = rmsNorm(b, k, s.params[`${name}.k_norm.weight`]!, spec.rmsNormEps);
  }
  q = b.op("rope", [q, s.cos, s.sin]);
  k = b.op("rope", [k, s.cos, s.sin]);
  const out = b.op("attention", [q, k, v, s.segments], {
    causal: true, scale: spec.headDim ** -0.5, window: spec.slidingWindows[layer]!,
  });
  const merged = b.op("reshape", [out], { shape: ["B", "T", spec.numHeads * spec.headDim] });
  return linear(s, merged, `${name}.o_proj`, spec.oBias);
}

/** SwiGLU MLP: down(silu(gate(x)) * up(x)). */
function mlp(s: Shared, x: Value, prefix: string): Value {
  const { b, spec } = s;
  const gate = b.op("silu", [linear(s, x, `${prefix}.mlp.gate_proj`, spec.mlpBias)]);
  const up = linear(s, x, `${prefix}.mlp.up_proj`, spec.mlpBias);
  return linear(s, b.op("mul", [gate, up]), `${prefix}.mlp.down_proj`, spec.mlpBias);
}

/** nn.Linear: x @ weight^T (+ bias). */
function linear(s: Shared, x: Value, name: string, bias: boolean): Value {
  const y = s.b.op("matmul", [x, s.params[`${name}.weight`]!], { transpose_b: true });
  return bias ? s.b.op("add", [y, s.params[`${name}.bias`]!]) : y;
}

/**
 * RMSNorm over the last axis as transformers computes it: x * rsqrt(mean(x*x) + eps), then weight * that. Like
 * transformers, dtypes narrower than f32 are normalized in f32 and cast back before the weight multiply.
 */
function rmsNorm(b: GraphBuilder, x: Value, weight: Value, eps: number): Value {
  const dtype = x.type.dtype;
  const compute: DType = DTYPES[dtype].bits < 32 ? "f32" : dtype;
  const xc = compute === dtype ? x : b.op("cast", [x], { dtype: compute });
  const variance = b.op("reduce_mean", [b.op("mul", [xc, xc])], { axes: [-1], keepdims: true });
  const inverse = b.op("rsqrt", [b.op("add", [variance, b.scalar(eps, compute)])]);
  const normed = b.op("mul", [xc, inverse]);
  return b.op("mul", [weight, compute === dtype ? normed : b.op("cast", [normed], { dtype })]);
}
