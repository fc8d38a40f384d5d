// The GEMM shapes the lab validates and times. `llama`: every linear layer of Llama-3.2-1B (hidden 2048, MLP 8192,
// vocab 128256, GQA kv 512) at B=4, T=4096 (16,384 tokens) in bf16 mixed precision: forward x·Wᵀ, input gradient
// dy·W, weight gradient dyᵀ·x accumulated into the f32 gradient. `tiny`: the same three GEMMs of the tiny example
// (examples/tiny-llama: hidden 64, MLP 128, kv 32, vocab 18, 16 x 32 tokens) in f32. `check`: small ragged shapes
// that reach every layout, tail, batch and split-K path.
// Invariants: case names are unique C identifiers' worth of characters ([a-z0-9_]); q/o and k/v projections share a
// shape, so each shape appears once.

import { gemmSpec, type GemmSpec, type GemmSpecFields } from "../../../backends/cuda/gemm/spec.ts";

/** A named GEMM problem. */
export interface LabCase {
  readonly name: string;
  readonly spec: GemmSpec;
}

/** A linear layer y = x·Wᵀ with W [out, in]. */
interface Linear {
  readonly name: string;
  readonly in: number;
  readonly out: number;
}

const LLAMA_1B: readonly Linear[] = [
  { name: "qo", in: 2048, out: 2048 },
  { name: "kv", in: 2048, out: 512 },
  { name: "gate_up", in: 2048, out: 8192 },
  { name: "down", in: 8192, out: 2048 },
  { name: "lm_head", in: 2048, out: 128256 },
];

const TINY: readonly Linear[] = [
  { name: "qo", in: 64, out: 64 },
  { name: "kv", in: 64, out: 32 },
  { name: "gate_up", in: 64, out: 128 },
  { name: "down", in: 128, out: 64 },
  { name: "lm_head", in: 64, out: 18 },
];

/** Forward, input-gradient and weight-gradient GEMMs of each linear layer over `tokens` rows. */
function linearCases(prefix: string, layers: readonly Linear[], tokens: number, mixed: boolean): LabCase[] {
  const inputs: Partial<GemmSpec> = mixed ? { inputDtype: "bf16", outputDtype: "bf16" } : { inputDtype: "f32", outputDtype: "f32" };
  return layers.flatMap((l) => [
    { name: `${prefix}_fwd_${l.name}`, spec: gemmSpec({ m: tokens, n: l.out, k: l.in, transposeB: true, ...inputs }) },
    { name: `${prefix}_dgrad_${l.name}`, spec: gemmSpec({ m: tokens, n: l.in, k: l.out, ...inputs }) },
    {
      name: `${prefix}_wgrad_${l.name}`,
      spec: gemmSpec({ m: l.out, n: l.in, k: tokens, transposeA: true, ...inputs, outputDtype: "f32", accumulate: true }),
    },
  ]);
}

/** Llama-3.2-1B at B=4, T=4096, bf16. */
export function llamaCases(): LabCase[] {
  return linearCases("llama", LLAMA_1B, 4 * 4096, true);
}

/** The tiny example at B=16, T=32, f32. */
export function tinyCases(): LabCase[] {
  return linearCases("tiny", TINY, 16 * 32, false);
}

const checks: readonly [string, GemmSpecFields][] = [
  ["check_nn_ragged", { m: 1000, n: 999, k: 1001 }],
  ["check_tt_ragged", { m: 777, n: 555, k: 333, transposeA: true, transposeB: true, outputDtype: "f32" }],
  ["check_batch_bcast", { m: 300, n: 200, k: 136, batch: 5, broadcastB: true, transposeB: true }],
  ["check_split_acc", { m: 520, n: 260, k: 9000, transposeA: true, outputDtype: "f32", accumulate: true }],
  ["check_f32_ragged", { m: 513, n: 19, k: 65, inputDtype: "f32", outputDtype: "f32" }],
  ["check_f32_tn_acc", { m: 130, n: 66, k: 1030, transposeA: true, inputDtype: "f32", outputDtype: "f32", accumulate: true }],
];

/** Small ragged shapes covering every path the generator has. */
export function checkCases(): LabCase[] {
  return checks.map(([name, fields]) => ({ name, spec: gemmSpec(fields) }));
}

/** Case sets by name, for the lab's --set option. */
export const CASE_SETS: Readonly<Record<string, () => LabCase[]>> = { check: checkCases, tiny: tinyCases, llama: llamaCases };
