// Rotary embeddings (rope_tables, rope) and documents (segment_ids, document_ranges, prefix_lm_ranges).
// Meaning: rope_tables takes seq_len = max(positions) + 1 over the whole batch (0 for an empty batch), gets
// (inv_freq, scaling) from ir/rope.ts, and writes cos[b,t,k] = cos[b,t,k + dim/2] = cos(pos[b,t] * inv_freq[k]) *
// scaling (sin likewise), angles in double precision. rope is x*cos + rotate_half(x)*sin with
// rotate_half(x)[d] = -x[d + D/2] for d < D/2 and x[d - D/2] otherwise. segment_ids: seg[b,0] = 0 and
// seg[b,t] = seg[b,t-1] + (pos[b,t] != pos[b,t-1] + 1 ? 1 : 0). document_ranges: each position gets [start, end) of
// the run of equal ids holding it (ids that decrease fail with 6122). prefix_lm_ranges: each document [s, e) has the
// prefix [s, p), p its first position whose running count of trained positions exceeds the count before s; position
// t gets [s, max(t + 1, p), t < p ? s : t, e) (counts that decrease fail with 6125).

import { TraincError } from "../../compiler/diagnostics.ts";
import { ropeFrequencies, type RopeFrequencies } from "../rope.ts";
import type { TensorData } from "../tensor.ts";
import { seal, stageOut, type Eval, type EvalContext } from "./context.ts";

function frequencies(ctx: EvalContext, seqLen: number): RopeFrequencies {
  try {
    return ropeFrequencies(ctx.attrs, seqLen);
  } catch (e) {
    if (e instanceof TraincError) ctx.fail(e.code, e.message.replace(/^rope_tables: /, ""), e.fix);
    throw e;
  }
}

const ropeTables: Eval = ([pos], ctx) => {
  const positions = pos!.data;
  let maxPos = -1;
  for (let i = 0; i < positions.length; i++) maxPos = Math.max(maxPos, positions[i]!);
  const { invFreq, attentionScaling } = frequencies(ctx, maxPos + 1);
  const dim = ctx.int("dim");
  const half = dim / 2;
  const cos = stageOut(ctx, 0);
  const sin = stageOut(ctx, 1);
  for (let r = 0; r < positions.length; r++) {
    const p = positions[r]!;
    const base = r * dim;
    for (let k = 0; k < half; k++) {
      const angle = p * invFreq[k]!;
      cos[base + k] = cos[base + k + half] = Math.cos(angle) * attentionScaling;
      sin[base + k] = sin[base + k + half] = Math.sin(angle) * attentionScaling;
    }
  }
  return [seal(ctx.out[0]!, cos), seal(ctx.out[1]!, sin)];
};

const rope: Eval = ([x, cosT, sinT], ctx) => {
  const [B, T, H, D] = x!.shape as [number, number, number, number];
  const half = D / 2;
  const xd = x!.data, cd = cosT!.data, sd = sinT!.data;
  const out = stageOut(ctx);
  for (let bt = 0; bt < B * T; bt++) {
    const tab = bt * D;
    for (let h = 0; h < H; h++) {
      const o = (bt * H + h) * D;
      for (let d = 0; d < half; d++) {
        out[o + d] = xd[o + d]! * cd[tab + d]! - xd[o + d + half]! * sd[tab + d]!;
        out[o + d + half] = xd[o + d + half]! * cd[tab + d + half]! + xd[o + d]! * sd[tab + d + half]!;
      }
    }
  }
  return [seal(ctx.out[0]!, out)];
};

const segmentIds: Eval = ([pos], ctx) => {
  const [B, T] = pos!.shape as [number, number];
  const p = pos!.data;
  const out = stageOut(ctx);
  for (let b = 0; b < B; b++) {
    for (let t = 1; t < T; t++) {
      const i = b * T + t;
      out[i] = out[i - 1]! + (p[i] !== p[i - 1]! + 1 ? 1 : 0);
    }
  }
  return [seal(ctx.out[0]!, out)];
};

const documentRanges: Eval = ([seg], ctx) => {
  const [B, T] = seg!.shape as [number, number];
  const d = seg!.data;
  const out = stageOut(ctx);
  for (let b = 0; b < B; b++) {
    const row = b * T;
    let start = 0;
    for (let t = 1; t <= T; t++) {
      if (t < T && d[row + t]! < d[row + t - 1]!) {
        ctx.fail(6122, `segment ids decrease at batch row ${b}, position ${t} (${d[row + t - 1]} then ${d[row + t]})`,
          "give document_ranges ids that never decrease along a row, as segment_ids makes them");
      }
      if (t < T && d[row + t] === d[row + t - 1]) continue;
      for (let u = start; u < t; u++) {
        out[2 * (row + u)] = start;
        out[2 * (row + u) + 1] = t;
      }
      start = t;
    }
  }
  return [seal(ctx.out[0]!, out)];
};

/** Fails with 6125 unless `trained` never decreases along a row of T positions. */
function checkCounts(trained: TensorData, B: number, T: number, ctx: EvalContext): void {
  for (let b = 0; b < B; b++) {
    for (let t = 1; t < T; t++) {
      const at = b * T + t;
      if (trained[at]! < trained[at - 1]!) {
        ctx.fail(6125, `prefix_lm_ranges: trained counts decrease at batch row ${b}, position ${t} ` +
          `(${trained[at - 1]} then ${trained[at]})`, "give a running count, e.g. cumsum(labels != -100) along T");
      }
    }
  }
}

const prefixLmRanges: Eval = ([ranges, trained], ctx) => {
  const [B, T] = trained!.shape as [number, number];
  const [r, c] = [ranges!.data, trained!.data];
  checkCounts(c, B, T, ctx);
  const out = stageOut(ctx);
  const prefixEnd = (b: number, s: number, e: number): number => {
    const before = s > 0 ? c[b * T + s - 1]! : 0;
    let p = s;
    while (p < e && c[b * T + p]! <= before) p++;
    return p;
  };
  for (let b = 0; b < B; b++) {
    let [s, p] = [-1, 0];
    for (let t = 0; t < T; t++) {
      const at = b * T + t;
      const e = r[2 * at + 1]!;
      if (r[2 * at] !== s) [s, p] = [r[2 * at]!, prefixEnd(b, r[2 * at]!, e)];
      out.set([s, Math.max(t + 1, p), t < p ? s : t, e], 4 * at);
    }
  }
  return [seal(ctx.out[0]!, out)];
};

/** Evaluations of rope_tables, rope, segment_ids, document_ranges and prefix_lm_ranges. */
export const MODEL_EVALS = {
  rope_tables: ropeTables, rope, segment_ids: segmentIds, document_ranges: documentRanges, prefix_lm_ranges: prefixLmRanges,
};
