// The causal language-model loss of one batch, as IR: next-token targets that never cross a packed-document
// boundary, summed cross-entropy over the targets that count, and the number of those targets.
// Invariants: targets[b,t] = labels[b,t+1] when t+1 < T and segment_ids(position_ids) agree at t and t+1, else
// IGNORE_INDEX; the loss is computed in f32 (f64 when the logits are f64), as Hugging Face upcasts logits for the
// loss — cross_entropy reads narrower logits as they are and does its math and result in f32, so no f32 copy of
// the [B,T,V] logits is ever made; tokenCount is an exact i64 count.

import type { GraphBuilder, Value } from "../builder.ts";
import { dimSub, type Dim } from "../dim.ts";
import type { DType } from "../dtype.ts";

/** The label value that marks a position without a target (Hugging Face's ignore_index). */
export const IGNORE_INDEX = -100;

/** A [B,1] column of `value` in `dtype`, to pad a [B,T-1] tensor back to [B,T]. */
function column(b: GraphBuilder, batch: Dim, dtype: DType, value: number): Value {
  return b.op("constant", [], { dtype, shape: [batch, 1], value });
}

/** Positions 1..T-1 (`from` = 1) or 0..T-2 (`from` = 0) of a [B,T] tensor. */
function shifted(b: GraphBuilder, v: Value, from: 0 | 1): Value {
  const time = v.type.shape[1]!;
  return b.op("slice", [v], { axis: 1, start: from, end: from === 1 ? time : dimSub(time, 1) });
}

/** The next-token target of every position of labels [B,T] (IGNORE_INDEX across documents and at the end). */
export function nextTokenTargets(b: GraphBuilder, labels: Value, positionIds: Value): Value {
  const batch = labels.type.shape[0]!;
  const dtype = labels.type.dtype;
  const segments = b.op("segment_ids", [positionIds]);
  const sameDoc = b.op("eq", [shifted(b, segments, 0), shifted(b, segments, 1)]);
  const hasNext = b.op("concat", [sameDoc, column(b, batch, "bool", 0)], { axis: 1 });
  const next = b.op("concat", [shifted(b, labels, 1), column(b, batch, dtype, IGNORE_INDEX)], { axis: 1 });
  return b.op("where", [hasNext, next, b.scalar(IGNORE_INDEX, dtype)]);
}

/** The summed next-token loss of a batch and the number of targets it sums over. */
export interface CausalLmLoss {
  /** Sum of cross-entropy over every counted target: f32 scalar (f64 for f64 logits). */
  readonly lossSum: Value;
  /** Number of targets that are not IGNORE_INDEX: i64 scalar. */
  readonly tokenCount: Value;
}

/** Causal LM loss of logits [B,T,V] against labels [B,T] (integers, IGNORE_INDEX = no target) with positions [B,T]. */
export function causalLmLoss(b: GraphBuilder, logits: Value, labels: Value, positionIds: Value): CausalLmLoss {
  const targets = nextTokenTargets(b, labels, positionIds);
  const perToken = b.op("cross_entropy", [logits, targets], { ignore_index: IGNORE_INDEX });
  const lossSum = b.op("reduce_sum", [perToken], { axes: [0, 1] });
  const counted = b.op("ne", [targets, b.scalar(IGNORE_INDEX, targets.type.dtype)]);
  const tokenCount = b.op("reduce_sum", [b.op("cast", [counted], { dtype: "i64" })], { axes: [0, 1] });
  return { lossSum, tokenCount };
}
