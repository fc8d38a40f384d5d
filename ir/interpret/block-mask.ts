// block_mask: which ATTENTION_BLOCK x ATTENTION_BLOCK blocks of (query, key) pairs hold a visible pair, for the flex
// lowering (ir/ops/model.ts has the layout). Each query row i sees one interval of keys, [lo_i, hi_i]: from its
// range's start (max(start, i - window + 1) with a window) to i when causal, else to its range's end - 1 (the range:
// the document of document ranges [B,T,2], the keys of prefix-LM ranges [B,T,4]). A block holds a visible pair when
// some row's interval meets the block's keys, and is full when every row's interval covers them.
// Also reads a block table back for attention (6124 when it is malformed).
// Invariants: lists are ascending; the two halves describe the same blocks, with the same full bit; the result for
// ranges that are neither document ranges (runs) nor prefix-LM ranges is unspecified (attention rejects those, 6123).

import { ATTENTION_BLOCK } from "../ops/model.ts";
import type { Tensor, TensorData } from "../tensor.ts";
import { seal, stageOut, type Eval, type EvalContext } from "./context.ts";

/** Sizes and rules of one block_mask. */
interface Rules {
  readonly T: number; readonly width: number; readonly causal: boolean; readonly window: number;
}

/** The keys [lo, hi] query i of batch row b sees under the causal and window rules, inside its range. */
function keyInterval(ranges: TensorData, { T, width, causal, window }: Rules, b: number, i: number): [number, number] {
  const [start, end] = [ranges[width * (b * T + i)]!, ranges[width * (b * T + i) + 1]!];
  const lo = window > 0 ? Math.max(start, i - window + 1) : start;
  return [lo, causal ? Math.min(i, end - 1) : end - 1];
}

/** 0: no visible pair, 1: some, 2: every pair (within T) visible, for query block qb and key block kb. */
function classify(ranges: TensorData, rules: Rules, b: number, qb: number, kb: number): number {
  const T = rules.T;
  const [k0, k1] = [kb * ATTENTION_BLOCK, Math.min(T, (kb + 1) * ATTENTION_BLOCK) - 1];
  let any = false;
  let all = true;
  for (let i = qb * ATTENTION_BLOCK; i < Math.min(T, (qb + 1) * ATTENTION_BLOCK); i++) {
    const [lo, hi] = keyInterval(ranges, rules, b, i);
    any ||= Math.max(lo, k0) <= Math.min(hi, k1);
    all &&= lo <= k0 && hi >= k1;
  }
  return any ? (all ? 2 : 1) : 0;
}

const blockMask: Eval = ([ranges], ctx) => {
  const [B, T, width] = ranges!.shape as [number, number, number];
  const n = Math.ceil(T / ATTENTION_BLOCK);
  const rules: Rules = { T, width, causal: ctx.attrs["causal"] as boolean, window: ctx.int("window") };
  const out = stageOut(ctx);
  out.fill(-1);
  const row = (b: number, half: number, r: number) => ((b * 2 + half) * n + r) * (n + 1);
  for (let b = 0; b < B; b++) {
    for (let qb = 0; qb < n; qb++) {
      for (let kb = 0; kb < n; kb++) {
        const kind = classify(ranges!.data, rules, b, qb, kb);
        if (kind === 0) continue;
        for (const [at, other] of [[row(b, 0, qb), kb], [row(b, 1, kb), qb]] as const) {
          out[at] = Math.max(0, out[at]!) + 1;
          out[at + out[at]!] = 2 * other + (kind === 2 ? 1 : 0);
        }
      }
    }
  }
  for (let r = 0; r < B * 2 * n; r++) out[r * (n + 1)] = Math.max(0, out[r * (n + 1)]!);
  return [seal(ctx.out[0]!, out)];
};

/**
 * Whether block (qb, kb) of batch row b is listed in a block table [B,2,nB,nB+1] (its query-block half), after
 * checking the table's counts and entries (6124).
 */
export function listedIn(blocks: Tensor, ctx: EvalContext): (b: number, qb: number, kb: number) => boolean {
  const [B, , n] = blocks.shape as [number, number, number];
  const d = blocks.data;
  const listed = new Uint8Array(B * n * n);
  for (let b = 0; b < B; b++) {
    for (let qb = 0; qb < n; qb++) {
      const at = ((b * 2) * n + qb) * (n + 1);
      const count = d[at]!;
      if (!(count >= 0 && count <= n)) {
        ctx.fail(6124, `attention blocks: count ${count} for batch row ${b}, query block ${qb} is outside [0, ${n}]`,
          "build the blocks operand with block_mask");
      }
      for (let e = 1; e <= count; e++) {
        const kb = Math.floor(d[at + e]! / 2);
        if (!(kb >= 0 && kb < n)) {
          ctx.fail(6124, `attention blocks: entry ${d[at + e]} for batch row ${b}, query block ${qb} names no key block`,
            "build the blocks operand with block_mask");
        }
        listed[(b * n + qb) * n + kb] = 1;
      }
    }
  }
  return (b, qb, kb) => listed[(b * n + qb) * n + kb] === 1;
}

/** Evaluation of block_mask. */
export const BLOCK_MASK_EVALS = { block_mask: blockMask };
