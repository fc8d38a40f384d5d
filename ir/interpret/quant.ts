// 4-bit dequantization. Element i (codes packed two per byte, low nibble first) is level(code_i) *
// absmax[floor(i / block_size)], computed in double and rounded once to the result dtype. nf4 levels are the 16
// NormalFloat values of bitsandbytes (float32 constants); int4 code c is the signed s = c - 16 if c >= 8 else c, and
// its level is s / 7. The element count must be a multiple of block_size with one absmax per block (6118).
// Note: bitsandbytes packs the first element in the high nibble; importers swap nibbles to our order.

import { numel, unpackCodes } from "../tensor.ts";
import { seal, stageOut, type Eval } from "./context.ts";

/** The NormalFloat-4 levels, code 0..15 (bitsandbytes' float32 table). */
export const NF4_LEVELS: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];

/** The int4 levels: signed code / 7. */
export const INT4_LEVELS: readonly number[] = Array.from({ length: 16 }, (_, c) => (c >= 8 ? c - 16 : c) / 7);

const dequantize: Eval = ([q, absmax], ctx) => {
  const n = numel(q!.shape);
  const block = ctx.int("block_size");
  const blocks = absmax!.data.length;
  if (n % block !== 0 || n / block !== blocks) {
    ctx.fail(6118, `${n} elements in blocks of ${block} need ${n / block} absmax values, got ${blocks}`,
      "quantize with the same block_size the graph declares");
  }
  const levels = q!.dtype === "nf4" ? NF4_LEVELS : INT4_LEVELS;
  const codes = unpackCodes(q!.data as Uint8Array, n);
  const scales = absmax!.data;
  const out = stageOut(ctx);
  for (let i = 0; i < n; i++) out[i] = levels[codes[i]!]! * scales[Math.floor(i / block)]!;
  return [seal(ctx.out[0]!, out)];
};

/** Evaluation of dequantize. */
export const QUANT_EVALS = { dequantize };
