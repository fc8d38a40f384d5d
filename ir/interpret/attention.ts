// Scaled dot-product attention and its exact gradient, per (batch, query head, query) in double precision.
// Layouts: q [B,Tq,Hq,D], k [B,Tk,Hk,D], v [B,Tk,Hk,Dv], optional documents: segment ids (integers) [B,T],
// document ranges (i32) [B,T,2] or prefix-LM ranges (i32) [B,T,4]; query head h reads key/value head
// floor(h / (Hq/Hk)). Key j is visible from query i when (not causal or j <= i), (window = 0 or i - j < window) and i
// and j share a document: seg[b,i] == seg[b,j], or start[b,i] <= j < end[b,i] (the first pair of prefix-LM ranges).
// Document ranges must partition [0,T) into runs, every position's range being the run holding it; prefix-LM ranges
// must hold, at t, keys [klo, khi) with klo <= t < khi <= T, both never decreasing along T, then the queries [qlo, qhi)
// that see key t (6123 otherwise: the kernels rely on it). With a block table (block_mask), only pairs in listed
// blocks are visible.
// GQA needs Hq a multiple of Hk (6115, checked once sizes are known); the op's type rule already guarantees Tq == Tk
// for causal attention and documents. A query that sees no key gives an output row of zeros (and no gradient).
// attention_grad recomputes the probabilities P and returns, with dS = P * (dP - rowsum(P * dP)) and dP = dout v^T:
// dq = scale * dS k, dk = scale * dS^T q, dv = P^T dout, summed over the query heads sharing a kv head.

import type { Tensor, TensorData } from "../tensor.ts";
import { ATTENTION_BLOCK } from "../ops/model.ts";
import { listedIn } from "./block-mask.ts";
import { seal, stageOut, type Eval, type EvalContext } from "./context.ts";

/** Sizes and masking rules of one attention node. */
interface Geometry {
  readonly B: number; readonly Tq: number; readonly Tk: number; readonly Hq: number; readonly Hk: number;
  readonly D: number; readonly Dv: number;
  readonly scale: number; readonly causal: boolean; readonly window: number;
  /** Whether query i and key j of batch row b are in one document (always true without documents). */
  readonly together: (b: number, i: number, j: number) => boolean;
}

function geometry(q: Tensor, k: Tensor, v: Tensor, documents: Tensor | undefined, blocks: Tensor | undefined,
  ctx: EvalContext): Geometry {
  const [B, Tq, Hq, D] = q.shape as [number, number, number, number];
  const [, Tk, Hk] = k.shape as [number, number, number];
  const causal = ctx.attrs["causal"] as boolean;
  if (Hk === 0 || Hq % Hk !== 0) {
    ctx.fail(6115, `${Hq} query heads are not a multiple of ${Hk} key/value heads`, "check num_key_value_heads");
  }
  return { B, Tq, Tk, Hq, Hk, D, Dv: v.shape[3]!, scale: ctx.attrs["scale"] as number, causal,
    window: ctx.int("window"), together: withBlocks(togetherIn(documents, Tk, ctx), blocks, ctx) };
}

/** The document rule further restricted to the listed blocks of a block table, when there is one. */
function withBlocks(together: Geometry["together"], blocks: Tensor | undefined, ctx: EvalContext): Geometry["together"] {
  if (!blocks) return together;
  const listed = listedIn(blocks, ctx);
  return (b, i, j) => together(b, i, j) && listed(b, Math.floor(i / ATTENTION_BLOCK), Math.floor(j / ATTENTION_BLOCK));
}

/** The document rule of the documents operand: none, equal segment ids, or checked ranges. */
function togetherIn(documents: Tensor | undefined, T: number, ctx: EvalContext): Geometry["together"] {
  if (!documents) return () => true;
  const d = documents.data;
  if (documents.shape.length === 2) return (b, i, j) => d[b * T + i] === d[b * T + j];
  const width = documents.shape[2]!;
  (width === 2 ? checkRanges : checkPrefixRanges)(d, documents.shape[0]!, T, ctx);
  return (b, i, j) => d[width * (b * T + i)]! <= j && j < d[width * (b * T + i) + 1]!;
}

/** Fails with 6123: `subject` (the ranges at batch row b, position t) and what is wrong with it. */
function badRanges(ctx: EvalContext, b: number, t: number, subject: string, problem: string): never {
  return ctx.fail(6123, `attention ${subject} at batch row ${b}, position ${t} ${problem}`,
    "build ranges with document_ranges (passes/packing-masks.ts does) or prefix_lm_ranges");
}

/**
 * Fails with 6123 unless prefix-LM ranges [B,T,4] hold, at t, keys [klo, khi) with klo <= t < khi <= T, both never
 * decreasing, then exactly the queries i with klo_i <= t < khi_i: with both bounds monotone, [first i with
 * khi_i > t, one past the last i with klo_i <= t), found by two pointers.
 */
function checkPrefixRanges(d: TensorData, B: number, T: number, ctx: EvalContext): void {
  for (let b = 0; b < B; b++) {
    const at = (t: number, k: number) => d[4 * (b * T + t) + k]!;
    let [first, last] = [0, 0];
    for (let t = 0; t < T; t++) {
      const [klo, khi] = [at(t, 0), at(t, 1)];
      const monotone = t === 0 || (klo >= at(t - 1, 0) && khi >= at(t - 1, 1));
      if (!(klo >= 0 && klo <= t && t < khi && khi <= T && monotone)) {
        badRanges(ctx, b, t, `prefix-LM keys [${klo}, ${khi})`, "do not hold the position, or move back");
      }
    }
    for (let t = 0; t < T; t++) {
      while (at(first, 1) <= t) first++;
      while (last + 1 < T && at(last + 1, 0) <= t) last++;
      if (at(t, 2) !== first || at(t, 3) !== last + 1) {
        badRanges(ctx, b, t, `prefix-LM queries [${at(t, 2)}, ${at(t, 3)})`, `are not the queries that see the key, [${first}, ${last + 1})`);
      }
    }
  }
}

/** Fails with 6123 unless each row's ranges are runs partitioning [0, T), every position's range holding it. */
function checkRanges(d: TensorData, B: number, T: number, ctx: EvalContext): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const at = 2 * (b * T + t);
      const [start, end] = [d[at]!, d[at + 1]!];
      const continues = t > 0 && t < d[at - 1]!;
      const ok = start <= t && t < end && end <= T &&
        (continues ? start === d[at - 2] && end === d[at - 1] : start === t);
      if (!ok) badRanges(ctx, b, t, `document range [${start}, ${end})`, "does not partition the row into runs");
    }
  }
}

/**
 * Fills p[0..Tk) with the attention probabilities of query (b, h, i) (0 for masked keys); returns false when no key
 * is visible. Scores are scale * q_i . k_j.
 */
function probabilities(g: Geometry, q: TensorData, k: TensorData, b: number, h: number, i: number,
  p: Float64Array): boolean {
  const kvh = Math.floor(h / (g.Hq / g.Hk));
  const qOff = ((b * g.Tq + i) * g.Hq + h) * g.D;
  const hi = g.causal ? Math.min(i, g.Tk - 1) : g.Tk - 1;
  const lo = g.window > 0 ? Math.max(0, i - g.window + 1) : 0;
  p.fill(0);
  let max = -Infinity;
  for (let j = lo; j <= hi; j++) {
    if (!g.together(b, i, j)) {
      p[j] = -Infinity;
      continue;
    }
    const kOff = ((b * g.Tk + j) * g.Hk + kvh) * g.D;
    let s = 0;
    for (let d = 0; d < g.D; d++) s += q[qOff + d]! * k[kOff + d]!;
    p[j] = s * g.scale;
    max = Math.max(max, p[j]!);
  }
  if (max === -Infinity) {
    p.fill(0);
    return false;
  }
  let sum = 0;
  for (let j = lo; j <= hi; j++) sum += p[j] = Math.exp(p[j]! - max);
  for (let j = lo; j <= hi; j++) p[j]! /= sum;
  return true;
}

/** Calls body(b, h, i, kvh) for every query that sees at least one key, with p holding its probabilities. */
function eachQuery(g: Geometry, q: TensorData, k: TensorData, p: Float64Array,
  body: (b: number, h: number, i: number, kvh: number) => void): void {
  const group = g.Hq / g.Hk;
  for (let b = 0; b < g.B; b++) {
    for (let h = 0; h < g.Hq; h++) {
      for (let i = 0; i < g.Tq; i++) if (probabilities(g, q, k, b, h, i, p)) body(b, h, i, Math.floor(h / group));
    }
  }
}

const attention: Eval = ([q, k, v, documents, blocks], ctx) => {
  const g = geometry(q!, k!, v!, documents, blocks, ctx);
  const out = stageOut(ctx);
  const p = new Float64Array(g.Tk);
  const acc = new Float64Array(g.Dv);
  const vd = v!.data;
  eachQuery(g, q!.data, k!.data, p, (b, h, i, kvh) => {
    acc.fill(0);
    for (let j = 0; j < g.Tk; j++) {
      const pj = p[j]!;
      if (pj === 0) continue;
      const vOff = ((b * g.Tk + j) * g.Hk + kvh) * g.Dv;
      for (let d = 0; d < g.Dv; d++) acc[d] += pj * vd[vOff + d]!;
    }
    const oOff = ((b * g.Tq + i) * g.Hq + h) * g.Dv;
    for (let d = 0; d < g.Dv; d++) out[oOff + d] = acc[d]!;
  });
  return [seal(ctx.out[0]!, out)];
};

const attentionGrad: Eval = ([q, k, v, dout, documents, blocks], ctx) => {
  const g = geometry(q!, k!, v!, documents, blocks, ctx);
  const [qd, kd, vd, dod] = [q!.data, k!.data, v!.data, dout!.data];
  const dq = new Float64Array(qd.length);
  const dk = new Float64Array(kd.length);
  const dv = new Float64Array(vd.length);
  const p = new Float64Array(g.Tk);
  const dp = new Float64Array(g.Tk);
  eachQuery(g, qd, kd, p, (b, h, i, kvh) => {
    const qOff = ((b * g.Tq + i) * g.Hq + h) * g.D;
    const oOff = ((b * g.Tq + i) * g.Hq + h) * g.Dv;
    let rowDot = 0;
    for (let j = 0; j < g.Tk; j++) {
      if (p[j] === 0) continue;
      const vOff = ((b * g.Tk + j) * g.Hk + kvh) * g.Dv;
      let s = 0;
      for (let d = 0; d < g.Dv; d++) {
        s += dod[oOff + d]! * vd[vOff + d]!;
        dv[vOff + d] += p[j]! * dod[oOff + d]!;
      }
      dp[j] = s;
      rowDot += p[j]! * s;
    }
    for (let j = 0; j < g.Tk; j++) {
      if (p[j] === 0) continue;
      const ds = p[j]! * (dp[j]! - rowDot) * g.scale;
      const kOff = ((b * g.Tk + j) * g.Hk + kvh) * g.D;
      for (let d = 0; d < g.D; d++) {
        dq[qOff + d] += ds * kd[kOff + d]!;
        dk[kOff + d] += ds * qd[qOff + d]!;
      }
    }
  });
  return [dq, dk, dv].map((acc, r) => {
    const out = stageOut(ctx, r);
    out.set(acc);
    return seal(ctx.out[r]!, out);
  });
};

/** Evaluations of attention and attention_grad. */
export const ATTENTION_EVALS = { attention, attention_grad: attentionGrad };
