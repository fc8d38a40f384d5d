// Cross-entropy over the last axis and its gradient, computed per row in double precision (stable logsumexp).
// Meaning: loss[r] = logsumexp(logits[r, :]) - logits[r, target[r]], and 0 where target == ignore_index; the
// gradient row is (softmax(logits[r, :]) - onehot(target[r])) * dloss[r], and 0 on ignored rows. A target outside
// [0, V) other than ignore_index fails with 6111 naming its position and value.

import type { Tensor, TensorData } from "../tensor.ts";
import { seal, stageOut, type Eval, type EvalContext } from "./context.ts";
import { positionOf } from "./embedding.ts";

/** Validated targets: each entry is a class index, or -1 for an ignored row. */
function targetsOf(targets: Tensor, classes: number, ctx: EvalContext): Int32Array {
  const ignore = ctx.int("ignore_index");
  const data = targets.data;
  const out = new Int32Array(data.length);
  for (let r = 0; r < data.length; r++) {
    const t = data[r]!;
    if (t === ignore) {
      out[r] = -1;
    } else if (t >= 0 && t < classes) {
      out[r] = t;
    } else {
      ctx.fail(6111, `target ${t} at position ${positionOf(r, targets.shape)} is outside [0, ${classes}) and is not ` +
        `ignore_index ${ignore}`, `labels must be token ids below the vocabulary size ${classes} or ${ignore}`);
    }
  }
  return out;
}

/** logsumexp of row r of a [rows, V] array. */
function rowLse(x: TensorData, r: number, v: number): number {
  const base = r * v;
  let max = -Infinity;
  for (let j = 0; j < v; j++) max = Math.max(max, x[base + j]!);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let j = 0; j < v; j++) sum += Math.exp(x[base + j]! - max);
  return max + Math.log(sum);
}

const crossEntropy: Eval = ([logits, targets], ctx) => {
  const v = logits!.shape.at(-1)!;
  const t = targetsOf(targets!, v, ctx);
  const out = stageOut(ctx);
  const x = logits!.data;
  for (let r = 0; r < t.length; r++) if (t[r]! >= 0) out[r] = rowLse(x, r, v) - x[r * v + t[r]!]!;
  return [seal(ctx.out[0]!, out)];
};

const crossEntropyGrad: Eval = ([logits, targets, dloss], ctx) => {
  const v = logits!.shape.at(-1)!;
  const t = targetsOf(targets!, v, ctx);
  const out = stageOut(ctx);
  const x = logits!.data;
  const d = dloss!.data;
  for (let r = 0; r < t.length; r++) {
    if (t[r]! < 0) continue;
    const lse = rowLse(x, r, v);
    const base = r * v;
    const scale = d[r]!;
    for (let j = 0; j < v; j++) out[base + j] = Math.exp(x[base + j]! - lse) * scale;
    out[base + t[r]!] = (Math.exp(x[base + t[r]!]! - lse) - 1) * scale;
  }
  return [seal(ctx.out[0]!, out)];
};

/** Evaluations of cross_entropy and cross_entropy_grad. */
export const LOSS_EVALS = { cross_entropy: crossEntropy, cross_entropy_grad: crossEntropyGrad };
