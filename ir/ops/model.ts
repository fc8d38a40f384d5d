// Ops that carry a transformer's and an optimizer's meaning as single units: rotary embeddings, documents (segment
// ids, document ranges, prefix-LM ranges, block masks), attention (with its gradient), cross-entropy (with its gradient), the embedding
// gradient, AdamW, the LR schedule and 4-bit dequantization. Layouts: activations are [B,T,H,D] (batch, time, heads,
// head dim).

import { DTYPES, isFloat } from "../dtype.ts";
import { shapeNumel, type Dim } from "../dim.ts";
import type { Attrs, TensorType } from "../graph.ts";
import { LR_SCHEDULES } from "../lr-schedule.ts";
import { ROPE_TYPES } from "../rope.ts";
import {
  attrDType, describe, expectDim, expectDType, expectFloat, expectInt, expectRank, expectSameDType, tensor, typeError, type OpDef,
} from "./spec.ts";

function expectSameType(a: TensorType, b: TensorType, what: string): void {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    typeError(`${what}: ${describe(a)} and ${describe(b)} must have the same type`);
  }
}

/**
 * Checks q [B,Tq,Hq,D], k [B,Tk,Hk,D], v [B,Tk,Hk,Dv] and the optional documents (segment ids [B,Tq] of any integer
 * dtype, document ranges i32 [B,Tq,2] or prefix-LM ranges i32 [B,Tq,4]), and that causal or document-masked attention has Tk == Tq (the same
 * number, or the same symbolic size); returns the output type.
 */
function checkAttention(q: TensorType, k: TensorType, v: TensorType, documents: TensorType | undefined,
  blocks: TensorType | undefined, attrs: Attrs): TensorType {
  for (const [t, what] of [[q, "q"], [k, "k"], [v, "v"]] as const) {
    expectRank(t, 4, `attention ${what} ([B,T,H,D])`);
    expectFloat(t, `attention ${what}`);
  }
  expectSameDType(q, k, "attention q/k");
  expectSameDType(q, v, "attention q/v");
  const [b, tq, hq, d] = q.shape as Dim[];
  expectDim(k.shape[0]!, b!, "attention k batch");
  expectDim(v.shape[0]!, b!, "attention v batch");
  expectDim(k.shape[3]!, d!, "attention k head dim");
  expectDim(v.shape[1]!, k.shape[1]!, "attention v length");
  expectDim(v.shape[2]!, k.shape[2]!, "attention v heads");
  const hk = k.shape[2]!;
  if (typeof hq === "number" && typeof hk === "number" && hq % hk !== 0) {
    typeError(`attention: ${hq} query heads are not a multiple of ${hk} key/value heads`);
  }
  if (documents) {
    checkDocuments(documents, "attention documents");
    expectDim(documents.shape[0]!, b!, "attention documents batch");
    expectDim(documents.shape[1]!, tq!, "attention documents length");
    expectDim(k.shape[1]!, tq!, "attention with documents: key length");
  }
  if (blocks) {
    if (!documents || documents.shape.length !== 3) typeError("attention blocks need document or prefix-LM ranges before them");
    expectDType(blocks, "i32", "attention blocks");
    expectRank(blocks, 4, "attention blocks ([B,2,nB,nB+1])");
    const n = blockCount(tq!, "attention blocks");
    for (const [i, want] of [b!, 2, n, n + 1].entries()) expectDim(blocks.shape[i]!, want, "attention blocks");
  }
  if (attrs["causal"] as boolean) expectDim(k.shape[1]!, tq!, "causal attention: key length");
  if (!(FUSED_ATTENTION as readonly unknown[]).includes(attrs["lowering"])) {
    typeError(`attention lowering '${attrs["lowering"]}' is not one of ${FUSED_ATTENTION.join(", ")}`);
  }
  return tensor(q.dtype, [b!, tq!, hq!, v.shape[3]!]);
}

/** Operand positions of attention's optional masks: documents, then blocks (attention_grad has dout before them). */
function maskOperand(node: { op: string; args: readonly number[] }, which: 0 | 1): number | undefined {
  return node.args[(node.op === "attention" ? 3 : 4) + which];
}

/** The documents operand (segment ids or ranges) of an attention or attention_grad node, if any. */
export function attentionDocuments(node: { op: string; args: readonly number[] }): number | undefined {
  return maskOperand(node, 0);
}

/** The block-table operand (block_mask) of an attention or attention_grad node, if any. */
export function attentionBlocks(node: { op: string; args: readonly number[] }): number | undefined {
  return maskOperand(node, 1);
}

/** Rows and columns of one block of a block mask (FlexAttention's default block size). */
export const ATTENTION_BLOCK = 128;

/** Blocks of ATTENTION_BLOCK positions over a length that must be a number. */
function blockCount(length: Dim, what: string): number {
  if (typeof length !== "number") {
    typeError(`${what}: length ${length} must be a number (block masks are built after the batch shape is fixed)`);
  }
  return Math.ceil(length / ATTENTION_BLOCK);
}

/** Documents are segment ids [B,T] (any integer dtype), document ranges i32 [B,T,2] or prefix-LM ranges i32 [B,T,4]. */
function checkDocuments(t: TensorType, what: string): void {
  expectInt(t, what);
  if (t.shape.length === 3) {
    expectDType(t, "i32", `${what} (ranges)`);
    if (t.shape[2] !== 2 && t.shape[2] !== 4) {
      typeError(`${what}: ${describe(t)} must be document ranges [B,T,2] or prefix-LM ranges [B,T,4]`);
    }
  } else {
    expectRank(t, 2, `${what} (segment ids [B,T] or ranges [B,T,2])`);
  }
}

/** The fused kernels an attention node may run as (passes/attention-lowering.ts sets the attribute). */
export const FUSED_ATTENTION = ["flash", "flex", "xformers"] as const;

const ATTENTION_ATTRS = {
  causal: { kind: "bool", default: true },
  scale: { kind: "float" },
  window: { kind: "int", default: 0 },
  lowering: { kind: "string", default: "flash" },
} as const;

const ROPE_ATTRS = {
  dtype: { kind: "dtype", default: "f32" },
  dim: { kind: "int" },
  rope_type: { kind: "string", default: "default" },
  theta: { kind: "float" },
  factor: { kind: "float", optional: true },
  original_max_position_embeddings: { kind: "int", optional: true },
  max_position_embeddings: { kind: "int", optional: true },
  low_freq_factor: { kind: "float", optional: true },
  high_freq_factor: { kind: "float", optional: true },
  beta_fast: { kind: "float", optional: true },
  beta_slow: { kind: "float", optional: true },
  mscale: { kind: "float", optional: true },
  mscale_all_dim: { kind: "float", optional: true },
  attention_factor: { kind: "float", optional: true },
  truncate: { kind: "bool", optional: true },
  short_factor: { kind: "floats", optional: true },
  long_factor: { kind: "floats", optional: true },
} as const;

export const MODEL_OPS = {
  rope_tables: {
    doc: "cos and sin tables [B,T,dim] of rotary embeddings for integer positions [B,T], per Hugging Face's rope_type " +
      "(default, linear, dynamic, yarn, llama3, longrope), attention scaling folded in.",
    arity: 1, attrs: ROPE_ATTRS,
    infer: ([pos], attrs) => {
      expectInt(pos!, "positions");
      expectRank(pos!, 2, "positions ([B,T])");
      if (!ROPE_TYPES.includes(attrs["rope_type"] as string)) {
        typeError(`rope_type '${attrs["rope_type"]}' is not one of ${ROPE_TYPES.join(", ")}`);
      }
      const dim = attrs["dim"] as number;
      if (dim % 2 !== 0) typeError(`rope_tables: dim ${dim} must be even`);
      const dtype = attrDType(attrs, "dtype");
      const table = tensor(dtype, [...pos!.shape, dim]);
      return [table, table];
    },
  },
  rope: {
    doc: "Rotary embedding of x [B,T,H,D] with cos, sin [B,T,D]: x*cos + rotate_half(x)*sin, where " +
      "rotate_half(x) = concat(-x[..., D/2:], x[..., :D/2]).",
    arity: 3, attrs: {},
    infer: ([x, cos, sin]) => {
      expectRank(x!, 4, "rope x ([B,T,H,D])");
      expectFloat(x!, "rope x");
      expectSameType(cos!, sin!, "rope cos/sin");
      expectSameDType(x!, cos!, "rope x/cos");
      const [b, t, , d] = x!.shape;
      if (cos!.shape.length !== 3 || cos!.shape[0] !== b || cos!.shape[1] !== t || cos!.shape[2] !== d) {
        typeError(`rope: tables ${describe(cos!)} do not fit x ${describe(x!)} (want [${b},${t},${d}])`);
      }
      if (typeof d === "number" && d % 2 !== 0) typeError(`rope: head dim ${d} must be even`);
      return [x!];
    },
  },
  segment_ids: {
    doc: "Document index of each position [B,T] (i32): a new document starts at t>0 where pos[t] != pos[t-1]+1, as " +
      "Hugging Face detects packed sequences from position_ids.",
    arity: 1, attrs: {},
    infer: ([pos]) => (expectInt(pos!, "positions"), expectRank(pos!, 2, "positions ([B,T])"), [tensor("i32", pos!.shape)]),
  },
  document_ranges: {
    doc: "The document of each position as a range [start, end) [B,T,2] (i32), from segment ids [B,T] that never " +
      "decrease along T (as segment_ids makes them): the positions holding the same id. Decreasing ids fail (6122).",
    arity: 1, attrs: {},
    infer: ([seg]) => {
      expectInt(seg!, "document_ranges segment ids");
      expectRank(seg!, 2, "document_ranges segment ids ([B,T])");
      return [tensor("i32", [...seg!.shape, 2])];
    },
  },
  prefix_lm_ranges: {
    doc: "Prefix-LM ranges [B,T,4] (i32) from document ranges [B,T,2] and `trained` [B,T] (integers that never " +
      "decrease along T: a running count of the positions trained on, e.g. cumsum(labels != -100)). The prefix of " +
      "document [s, e) is [s, p), p being its first position t where trained[t] exceeds trained[s - 1] (0 when s = 0), " +
      "or e. Position t gets [s, max(t + 1, p)), the keys query t sees (its document's prefix, itself and the keys " +
      "before it), then [t < p ? s : t, e), the queries that see key t. Attention over them without the causal rule " +
      "is prefix-LM attention: bidirectional over each document's prefix, causal after it. Counts that decrease fail (6125).",
    arity: 2, attrs: {},
    infer: ([ranges, trained]) => {
      checkDocuments(ranges!, "prefix_lm_ranges document ranges");
      if (ranges!.shape[2] !== 2) typeError(`prefix_lm_ranges takes document ranges [B,T,2], not ${describe(ranges!)}`);
      expectInt(trained!, "prefix_lm_ranges trained");
      expectRank(trained!, 2, "prefix_lm_ranges trained ([B,T])");
      expectDim(trained!.shape[0]!, ranges!.shape[0]!, "prefix_lm_ranges trained batch");
      expectDim(trained!.shape[1]!, ranges!.shape[1]!, "prefix_lm_ranges trained length");
      return [tensor("i32", [ranges!.shape[0]!, ranges!.shape[1]!, 4])];
    },
  },
  block_mask: {
    doc: `Which blocks of ${ATTENTION_BLOCK} x ${ATTENTION_BLOCK} (query, key) pairs hold a visible pair, from document or ` +
      "prefix-LM ranges [B,T,2 or 4] and the causal and window rules of attention: i32 [B,2,nB,nB+1] with nB = ceil(T/" +
      `${ATTENTION_BLOCK}). [b,0,qb] lists the key blocks query block qb sees, [b,1,kb] the query blocks that see key ` +
      "block kb: a count, then the blocks in ascending order, each as 2 * block + 1 when every pair of it (within T) " +
      "is visible and 2 * block when only some are, then -1. T must be a number. Attention's meaning reads the first " +
      "half; the second must be its transpose (the backward kernels walk it).",
    arity: 1, attrs: { causal: { kind: "bool", default: true }, window: { kind: "int", default: 0 } },
    infer: ([ranges]) => {
      checkDocuments(ranges!, "block_mask documents");
      if (ranges!.shape.length !== 3) typeError("block_mask takes document or prefix-LM ranges, not segment ids");
      const n = blockCount(ranges!.shape[1]!, "block_mask");
      return [tensor("i32", [ranges!.shape[0]!, 2, n, n + 1])];
    },
  },
  attention: {
    doc: "softmax(scale * q k^T + mask) v per head; GQA shares each k/v head among Hq/Hk query heads. Key j is " +
      "visible from query i when (not causal or j <= i), (window = 0 or i - j < window) and, with the optional " +
      "documents operand, i and j are in one document: equal segment ids [B,T], or start[i] <= j < end[i] for " +
      "document ranges [B,T,2] (as document_ranges makes them: a partition of [0,T) into runs; 6123 otherwise), or " +
      "key j in query i's first pair of prefix-LM ranges [B,T,4] (as prefix_lm_ranges makes them; 6123 otherwise). " +
      "Causal attention and documents need as many keys as queries (Tk == Tq: equal numbers or the same symbolic size). " +
      "An optional blocks operand after document ranges (block_mask of the same rules) restricts the pairs to the " +
      `listed ${ATTENTION_BLOCK} x ${ATTENTION_BLOCK} blocks; it changes nothing when built from the same ranges and rules. ` +
      "`lowering` (flash, flex, xformers) names the fused kernel meant to run it and does not change its meaning.",
    arity: [3, 5], attrs: ATTENTION_ATTRS,
    infer: ([q, k, v, documents, blocks], attrs) => [checkAttention(q!, k!, v!, documents, blocks, attrs)],
  },
  attention_grad: {
    doc: "Gradients (dq, dk, dv) of attention given the output's gradient dout; same attributes and the same " +
      "rules as attention (causal or documents need Tk == Tq).",
    arity: [4, 6], attrs: ATTENTION_ATTRS,
    infer: ([q, k, v, dout, documents, blocks], attrs) => {
      expectSameType(dout!, checkAttention(q!, k!, v!, documents, blocks, attrs), "attention_grad dout");
      return [q!, k!, v!];
    },
  },
  cross_entropy: {
    doc: "Per-position loss logsumexp(logits) - logits[target] over the last axis; 0 where target == ignore_index. " +
      "The loss is f32 for narrower logits (bf16, f16), as the math is.",
    arity: 2, attrs: { ignore_index: { kind: "int", default: -100 } },
    infer: ([logits, targets]) => {
      expectFloat(logits!, "logits");
      expectInt(targets!, "targets");
      const shape = logits!.shape.slice(0, -1);
      if (targets!.shape.length !== shape.length || targets!.shape.some((d, i) => d !== shape[i])) {
        typeError(`cross_entropy: targets ${describe(targets!)} must match logits ${describe(logits!)} without its last axis`);
      }
      return [tensor(DTYPES[logits!.dtype].bits < 32 ? "f32" : logits!.dtype, shape)];
    },
  },
  cross_entropy_grad: {
    doc: "Gradient of cross_entropy w.r.t. logits: (softmax(logits) - onehot(target)) * dloss, 0 on ignored rows.",
    arity: 3, attrs: { ignore_index: { kind: "int", default: -100 } },
    infer: ([logits, targets, dloss]) => {
      const [loss] = MODEL_OPS.cross_entropy.infer([logits!, targets!]);
      expectSameType(dloss!, loss!, "cross_entropy_grad dloss");
      return [logits!];
    },
  },
  embedding_grad: {
    doc: "Gradient of embedding w.r.t. its weight: dweight[v] = sum of dy rows whose id is v; shape [num_embeddings, C].",
    arity: 2, attrs: { num_embeddings: { kind: "dim" } },
    infer: ([ids, dy], attrs) => {
      expectInt(ids!, "ids");
      expectFloat(dy!, "dy");
      if (dy!.shape.length !== ids!.shape.length + 1 || ids!.shape.some((d, i) => d !== dy!.shape[i])) {
        typeError(`embedding_grad: dy ${describe(dy!)} must be ids ${describe(ids!)} plus a channel axis`);
      }
      return [tensor(dy!.dtype, [attrs["num_embeddings"] as Dim, dy!.shape.at(-1)!])];
    },
  },
  adamw: {
    doc: "One AdamW step (PyTorch's) on the gradient g = grad * grad_scale (a float scalar: normalization and " +
      "clipping): param *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; " +
      "param -= lr * (m/(1-b1^step)) / (sqrt(v/(1-b2^step)) + eps). Returns (param, m, v). An optional eighth " +
      "operand `skip` (bool scalar) leaves all three unchanged when true: a step the fp16 loss scaler skips.",
    arity: [7, 8],
    attrs: {
      beta1: { kind: "float", default: 0.9 }, beta2: { kind: "float", default: 0.999 },
      eps: { kind: "float", default: 1e-8 }, weight_decay: { kind: "float", default: 0 },
    },
    infer: ([param, grad, m, v, lr, step, gradScale, skip]) => {
      expectFloat(param!, "param");
      for (const [t, what] of [[grad, "grad"], [m, "m"], [v, "v"]] as const) {
        expectFloat(t!, what);
        if (t!.shape.length !== param!.shape.length || t!.shape.some((d, i) => d !== param!.shape[i])) {
          typeError(`adamw: ${what} ${describe(t!)} must have the shape of param ${describe(param!)}`);
        }
      }
      expectRank(lr!, 0, "adamw lr");
      expectFloat(lr!, "adamw lr");
      expectRank(step!, 0, "adamw step");
      expectInt(step!, "adamw step");
      expectRank(gradScale!, 0, "adamw grad_scale");
      expectFloat(gradScale!, "adamw grad_scale");
      if (skip) {
        expectRank(skip, 0, "adamw skip");
        expectDType(skip, "bool", "adamw skip");
      }
      return [param!, m!, v!];
    },
  },
  lr_schedule: {
    doc: "Learning rate for the update after `step` completed steps, as Hugging Face's schedulers: linear warmup " +
      "from 0 over warmup_steps, then constant, linear decay to 0, or half-cosine decay to 0 at total_steps. The " +
      "scalar result has the float `dtype` (f64 keeps the lr unrounded for an f64 optimizer).",
    arity: 1,
    attrs: {
      schedule: { kind: "string" }, lr: { kind: "float" }, warmup_steps: { kind: "int", default: 0 },
      total_steps: { kind: "int" }, dtype: { kind: "dtype", default: "f32" },
    },
    infer: ([step], attrs) => {
      expectInt(step!, "step");
      expectRank(step!, 0, "step");
      if (!(LR_SCHEDULES as readonly string[]).includes(attrs["schedule"] as string)) {
        typeError(`lr_schedule: '${attrs["schedule"]}' is not one of ${LR_SCHEDULES.join(", ")}`);
      }
      const dtype = attrDType(attrs, "dtype");
      if (!isFloat(dtype)) typeError(`lr_schedule: dtype must be a float, got ${dtype}`);
      return [tensor(dtype, [])];
    },
  },
  dequantize: {
    doc: "Unpacks 4-bit storage (nf4: the 16 NormalFloat levels; int4: signed -8..7 / 7) and scales each block of " +
      "`block_size` consecutive elements by its absmax.",
    arity: 2, attrs: { block_size: { kind: "int", default: 64 }, dtype: { kind: "dtype", default: "f32" } },
    infer: ([q, absmax], attrs) => {
      if (q!.dtype !== "nf4" && q!.dtype !== "int4") typeError(`dequantize needs nf4 or int4, got ${describe(q!)}`);
      expectFloat(absmax!, "absmax");
      const numel = shapeNumel(q!.shape);
      const block = attrs["block_size"] as number;
      if (typeof numel === "number" && (numel % block !== 0 || absmax!.shape.length !== 1 || absmax!.shape[0] !== numel / block)) {
        typeError(`dequantize: absmax ${describe(absmax!)} must be [${numel / block}] for ${numel} elements in blocks of ${block}`);
      }
      const dtype = attrDType(attrs, "dtype");
      if (!isFloat(dtype)) typeError(`dequantize: dtype must be a float, got ${dtype}`);
      return [tensor(dtype, q!.shape)];
    },
  },
} as const satisfies Record<string, OpDef>;
