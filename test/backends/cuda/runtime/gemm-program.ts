// A small CUDA grads program made only of GEMMs, for the host emitter's GEMM sites (host-gemm.test.ts): one graph
// `grads` with the batch inputs the grads main() expects (unused) and one matmul per case and dtype — folded into M,
// batched, A shared over the batch, B shared with A transposed (not foldable), both transposed — plus its run folder
// (parameters of small multiples of 1/8, so every product and sum is exact in f32 and the only rounding is the final
// one to bf16: every backend must give the interpreter's result bit for bit).
// Invariant: GEMM_CASES' `shape` is the runtime GemmLtShape initializer the host must emit, written out by hand.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../../../../compiler/import/safetensors.ts";
import { makeRandom } from "../../../../compiler/random.ts";
import type { DType } from "../../../../ir/dtype.ts";
import { GraphBuilder } from "../../../../ir/builder.ts";
import type { Module } from "../../../../ir/graph.ts";
import { fromArray, numel, zeros, type Tensor } from "../../../../ir/tensor.ts";

export const B = 2;
export const T = 24;

export interface GemmCase {
  readonly name: string;
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  /** {m, n, k, trans_a, trans_b, ab, c, batch, broadcast_a, broadcast_b} without the types (added per dtype). */
  readonly shape: string;
}

export const GEMM_CASES: readonly GemmCase[] = [
  { name: "folded", a: [B, T, 16], b: [32, 16], transposeA: false, transposeB: true, shape: "48, 32, 16, false, true, %, 1, false, false" },
  { name: "batched", a: [B, T, 16], b: [B, T, 16], transposeA: false, transposeB: true, shape: "24, 24, 16, false, true, %, 2, false, false" },
  { name: "shared_a", a: [T, 16], b: [B, 16, 8], transposeA: false, transposeB: false, shape: "24, 8, 16, false, false, %, 2, true, false" },
  { name: "shared_b", a: [B, T, 16], b: [T, 8], transposeA: true, transposeB: false, shape: "16, 8, 24, true, false, %, 2, false, true" },
  { name: "transposed", a: [16, T], b: [8, 16], transposeA: true, transposeB: true, shape: "24, 8, 16, true, true, %, 1, false, false" },
];

export const DTYPES = ["f32", "bf16"] as const;

/** The C++ GemmLtShape initializer the host must emit for `c` in `dtype`. */
export function expectedShape(c: GemmCase, dtype: (typeof DTYPES)[number]): string {
  const type = dtype === "bf16" ? "trainc::GemmType::BF16" : "trainc::GemmType::F32";
  return `{${c.shape.replace("%", `${type}, ${type}`)}}`;
}

/** The output (and matmul) name of a case in a dtype. */
export const outputName = (c: GemmCase, dtype: DType) => `${dtype}.${c.name}`;

/** The grads module: batch inputs, then every case in every dtype. */
export function gemmModule(): Module {
  const g = new GraphBuilder("grads");
  for (const n of ["input_ids", "labels", "position_ids"]) g.input(n, "i64", [B, T]);
  const operands = DTYPES.flatMap((dtype) => GEMM_CASES.map((c) => ({
    c, dtype, a: g.input(`${outputName(c, dtype)}.a`, dtype, c.a), b: g.input(`${outputName(c, dtype)}.b`, dtype, c.b),
  })));
  for (const { c, dtype, a, b } of operands) {
    g.output(outputName(c, dtype), g.op("matmul", [a, b], { transpose_a: c.transposeA, transpose_b: c.transposeB }));
  }
  return { graphs: [g.build()] };
}

/** Seeded parameters: multiples of 1/8 in [-1, 1]. */
export function gemmParameters(module: Module): Record<string, Tensor> {
  const graph = module.graphs[0]!;
  const random = makeRandom("host-gemm");
  const params: Record<string, Tensor> = {};
  for (const input of graph.inputs.slice(3)) {
    const t = graph.types[input.id]!;
    const shape = t.shape as number[];
    params[input.name] = fromArray(t.dtype, shape, Array.from({ length: numel(shape) }, () => (Math.floor(random() * 17) - 8) / 8));
  }
  return params;
}

/** Writes the run folder of `mode` (parameters, an all-zero batch, run.json) into `dir`; returns run.json's path. */
export function writeGemmRun(dir: string, params: Readonly<Record<string, Tensor>>, mode: string): string {
  const folder = join(dir, mode);
  mkdirSync(folder, { recursive: true });
  writeSafetensors(join(folder, "parameters.safetensors"), params);
  writeSafetensors(join(folder, "batch.safetensors"), { input_ids: zeros("i64", [B, T]), labels: zeros("i64", [B, T]) });
  const run = join(folder, "run.json");
  writeFileSync(run, JSON.stringify({ parameters: "parameters.safetensors", batch: "batch.safetensors", out: "out.safetensors" }) + "\n");
  return run;
}
