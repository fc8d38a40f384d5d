// Builds the forward graph of a ModelSpec, op for op as transformers' modeling code computes it (LlamaModel,
// MistralModel, Qwen2Model, Qwen3Model share one structure): embedding, N pre-norm decoder layers (RMSNorm ->
// attention with rope -> residual; RMSNorm -> SwiGLU MLP -> residual), final RMSNorm, lm_head.
// Graph `forward`: inputs input_ids i64[B,T], position_ids i64[B,T], then every parameter under its Hugging Face
// name (params.ts order); output logits [B,T,V].
// Mixed precision is PyTorch autocast over a model stored in the parameter dtype (f32 master weights, bf16 compute):
// linear layers and attention run in the compute dtype (their operands cast down, weights cast once each), everything
// else in the dtype of its operands with the wider one winning — so the embedding, the residual stream and RMSNorm
// stay in the parameter dtype, rope runs in it (the bf16 projections are promoted by the f32 cos/sin), and SwiGLU
// runs in the compute dtype. Gradients reach each parameter through its cast's VJP, in the parameter dtype. With one
// dtype for both the graph is the plain model in that dtype. B and T are symbolic. Documents packed into a row are separated by
// segment_ids of position_ids, as transformers detects packed sequences when no attention mask is given.
// With prefixLm (trainc's prefix_lm key; no transformers model does this) the graph also takes labels i64[B,T] after
// position_ids: each document's prefix is its leading run of positions whose label is IGNORE_INDEX (the prompt that
// train_on_inputs: false masks), attention sees the whole prefix from every position of the document and is causal
// after it (prefix_lm_ranges, without the causal rule).
// Invariant: the graph is built with GraphBuilder only, so it satisfies ir/graph.ts's invariants by construction.
//
// Error codes (this file):
//   2240  the requested dtype is not a float type

import { fail } from "../../diagnostics.ts";
import { GraphBuilder, type Value } from "../../../ir/builder.ts";
import { DTYPES, isFloat, type DType } from "../../../ir/dtype.ts";
import type { Graph } from "../../../ir/graph.ts";
import { IGNORE_INDEX } from "../../../ir/train-step/loss.ts";
import type { ModelSpec } from "./config.ts";
import { modelParameters } from "./params.ts";

/** How buildForward builds the graph. */
export interface ForwardOptions {
  /** Dtype of the linear layers and attention (f32, f64, bf16, f16). */
  readonly dtype: DType;
  /** Dtype the parameters are stored in (the graph's parameter inputs, the residual stream); default `dtype`. */
  readonly parameterDType?: DType;
  /** Prefix-LM attention over each document's masked prompt (the graph then takes labels); default false. */
  readonly prefixLm?: boolean;
}

/** Values every layer reads: the model's parameters by name, rope tables and the documents attention reads. */
interface Shared {
  readonly b: GraphBuilder;
  readonly spec: ModelSpec;
  readonly params: Readonly<Record<string, Value>>;
  /** The compute dtype (autocast's lower precision). */
  readonly compute: DType;
  /** Parameter `name` in the compute dtype (cast once, on first use). */
  readonly weight: (name: string) => Value;
  readonly cos: Value;
  readonly sin: Value;
  /** Segment ids, or prefix-LM ranges with prefixLm. */
  readonly documents: Value;
  readonly causal: boolean;
}

/** The forward graph of `spec`, computing in `options.dtype` over parameters in `options.parameterDType`. */
export function buildForward(spec: ModelSpec, options: ForwardOptions): Graph {
  const compute = options.dtype;
  const stored = options.parameterDType ?? compute;
  for (const d of [compute, stored]) {
    if (!isFloat(d)) fail(2240, `cannot build a model in ${d}: parameters and activations need a float dtype`, "use f32, f64, bf16 or f16");
  }
  const b = new GraphBuilder("forward");
  const ids = b.input("input_ids", "i64", ["B", "T"]);
  const positions = b.input("position_ids", "i64", ["B", "T"]);
  const labels = options.prefixLm === true ? b.input("labels", "i64", ["B", "T"]) : undefined;
  const params: Record<string, Value> = {};
  for (const p of modelParameters(spec)) params[p.name] = b.input(p.name, stored, p.shape);
  const casts = new Map<string, Value>();
  const weight = (name: string): Value => {
    if (!casts.has(name)) casts.set(name, b.castTo(params[name]!, compute));
    return casts.get(name)!;
  };
  const [cos, sin] = b.ops("rope_tables", [positions], { ...spec.rope, dtype: stored }) as [Value, Value];
  const segments = b.op("segment_ids", [positions]);
  const documents = labels ? prefixLmRanges(b, segments, labels) : segments;
  const shared: Shared = { b, spec, params, compute, weight, cos, sin, documents, causal: !labels };
  let hidden = b.op("embedding", [params["model.embed_tokens.weight"]!, ids]);
  for (let layer = 0; layer < spec.numLayers; layer++) hidden = decoderLayer(shared, hidden, layer);
  hidden = rmsNorm(b, hidden, params["model.norm.weight"]!, spec.rmsNormEps);
  b.output("logits", linear(shared, hidden, spec.tieWordEmbeddings ? "model.embed_tokens" : "lm_head", false));
  return b.build();
}

/** Prefix-LM ranges of the documents of `segments`, each prefixed by its leading run of labels equal to IGNORE_INDEX. */
function prefixLmRanges(b: GraphBuilder, segments: Value, labels: Value): Value {
  const trained = b.castTo(b.op("ne", [labels, b.scalar(IGNORE_INDEX, labels.type.dtype)]), "i32");
  const counts = b.op("cumsum", [trained], { axis: 1 });
  return b.op("prefix_lm_ranges", [b.op("document_ranges", [segments]), counts]);
}

/** `a` + `b`, in the wider dtype of the two (PyTorch's type promotion for the residual adds). */
function addPromoted(b: GraphBuilder, x: Value, y: Value): Value {
  const dtype = DTYPES[x.type.dtype].bits >= DTYPES[y.type.dtype].bits ? x.type.dtype : y.type.dtype;
  return b.op("add", [b.castTo(x, dtype), b.castTo(y, dtype)]);
}

/** One decoder layer: h + attn(norm(h)), then h + mlp(norm(h)). */
function decoderLayer(s: Shared, hidden: Value, layer: number): Value {
  const prefix = `model.layers.${layer}`;
  const normed = rmsNorm(s.b, hidden, s.params[`${prefix}.input_layernorm.weight`]!, s.spec.rmsNormEps);
  const afterAttention = addPromoted(s.b, hidden, attention(s, normed, layer));
  const normed2 = rmsNorm(s.b, afterAttention, s.params[`${prefix}.post_attention_layernorm.weight`]!, s.spec.rmsNormEps);
  return addPromoted(s.b, afterAttention, mlp(s, normed2, prefix));
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
  const rope = (x: Value) => b.op("rope", [b.castTo(x, s.cos.type.dtype), s.cos, s.sin]);
  const [qc, kc] = [rope(q), rope(k)].map((t) => b.castTo(t, s.compute)) as [Value, Value];
  const out = b.op("attention", [qc, kc, v, s.documents], {
    causal: s.causal, scale: spec.headDim ** -0.5, window: spec.slidingWindows[layer]!,
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

/** nn.Linear in the compute dtype: x @ weight^T (+ bias). */
function linear(s: Shared, x: Value, name: string, bias: boolean): Value {
  const y = s.b.op("matmul", [s.b.castTo(x, s.compute), s.weight(`${name}.weight`)], { transpose_b: true });
  return bias ? s.b.op("add", [y, s.weight(`${name}.bias`)]) : y;
}

/**
 * RMSNorm over the last axis as transformers computes it: x * rsqrt(mean(x*x) + eps) in at least f32, rounded back to
 * x's dtype, then weight * that (in the wider of the two dtypes, as PyTorch promotes).
 */
function rmsNorm(b: GraphBuilder, x: Value, weight: Value, eps: number): Value {
  const dtype = x.type.dtype;
  const compute: DType = DTYPES[dtype].bits < 32 ? "f32" : dtype;
  const xc = b.castTo(x, compute);
  const variance = b.op("reduce_mean", [b.op("mul", [xc, xc])], { axes: [-1], keepdims: true });
  const inverse = b.op("rsqrt", [b.op("add", [variance, b.scalar(eps, compute)])]);
  const normed = b.castTo(b.op("mul", [xc, inverse]), dtype);
  const wide = DTYPES[weight.type.dtype].bits >= DTYPES[dtype].bits ? weight.type.dtype : dtype;
  return b.op("mul", [b.castTo(weight, wide), b.castTo(normed, wide)]);
}
