// The WGSL GEMM's search space measured on a real WebGPU device (on CI, lavapipe): every config of the space fits
// WebGPU's default limits, and a sample covering every value of every axis computes a ragged GEMM (odd sizes,
// transposes, a batch, f16 storage) as the interpreter does, through the measurer's check; a candidate computing the
// wrong value or failing WebGPU validation gets an error and no time; the roofline kernels give positive ceilings.
// The WGSL attention spaces: configs of the forward and of the backward (after its setup, the forward pass whose output
// and lse it reads) taking every value of every axis compute what the interpreter computes, with documents and
// grouped kv heads.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GraphBuilder } from "../../ir/builder.ts";
import type { DType } from "../../ir/dtype.ts";
import { partition, type Kernel } from "../../backends/schedule/partition.ts";
import { wgslGemmFits, wgslGemmSpace, type WgslGemmConfig } from "../../backends/wgsl/gemm.ts";
import type { Config } from "../../backends/tunable.ts";
import { WgslMeasurer } from "../../autotune/wgsl-measure.ts";
import { wgslSearchSpace } from "../../backends/wgsl/kernels.ts";
import { addScratch, addSideBuffers, rowStatsScratch } from "../../backends/schedule/side-buffers.ts";
import { attentionCaseGraph } from "../harness/attention-case.ts";
import { deviceTitle, probeWebGpu, requireAdapterTest } from "../harness/webgpu.ts";

const opened = await probeWebGpu();
opened.gpu?.close();
requireAdapterTest(opened);

function gemmKernel(dtype: DType, a: number[], b: number[], attrs: { transpose_a?: boolean; transpose_b?: boolean }): Kernel {
  const g = new GraphBuilder("gemm");
  g.output("c", g.op("matmul", [g.input("a", dtype, a), g.input("b", dtype, b)], attrs));
  return partition(g.build()).kernels.find((k) => k.kind === "matmul")!;
}

const CASES: [string, Kernel][] = [
  ["f32 37x29 . 29x45", gemmKernel("f32", [37, 29], [29, 45], {})],
  ["f32 batch 3, A^T and B^T", gemmKernel("f32", [3, 29, 37], [3, 45, 29], { transpose_a: true, transpose_b: true })],
  ["f16 storage 70x33 . (45x33)^T", gemmKernel("f16", [70, 33], [45, 33], { transpose_b: true })],
];

/** A few configs that together take every value of every axis (the first candidate first). */
function everyValue<C extends Config>(candidates: readonly C[], axes: Readonly<Record<string, readonly number[]>>): C[] {
  const picked: C[] = [candidates[0]!];
  for (const [field, values] of Object.entries(axes)) {
    for (const v of values) {
      const c = candidates.find((x) => x[field] === v);
      if (c && !picked.some((p) => p[field] === v)) picked.push(c);
    }
  }
  return picked;
}

/** everyValue of a GEMM space, plus its largest tile. */
function sample(candidates: readonly WgslGemmConfig[], axes: Readonly<Record<string, readonly number[]>>): WgslGemmConfig[] {
  const largest = candidates.reduce((a, c) => (c.bm * c.bn * c.bk > a.bm * a.bn * a.bk ? c : a));
  return [...everyValue(candidates, axes), largest];
}

describe("the WGSL GEMM space", () => {
  test("every candidate fits WebGPU's default limits; the heuristic comes first", () => {
    const space = wgslGemmSpace(CASES[0]![1]);
    expect(space.candidates[0]).toEqual(space.heuristic);
    expect(space.candidates.length).toBeGreaterThan(100);
    for (const c of space.candidates) {
      expect(wgslGemmFits(c)).toBe(true);
      const [source] = space.render(c);
      expect(source!.block[0] * source!.block[1]).toBeLessThanOrEqual(256);
      expect(source!.sharedBytes).toBeLessThanOrEqual(16384);
    }
  });
});

describe.skipIf(!opened.gpu)(deviceTitle("measuring WGSL GEMM configs", opened.gpu !== undefined), () => {
  let measurer: WgslMeasurer;
  beforeAll(async () => {
    measurer = await WgslMeasurer.open();
  });
  afterAll(() => measurer?.close());

  test.each(CASES)("%s: a sample of configs matches the interpreter", async (_, kernel) => {
    const space = wgslGemmSpace(kernel);
    const prepared = measurer.prepare(kernel);
    try {
      for (const c of sample(space.candidates, space.axes)) {
        const outcome = await measurer.measure(prepared, space.render(c));
        expect(outcome.error, space.describe(c)).toBeUndefined();
        expect(outcome.ms).toBeGreaterThan(0);
      }
    } finally {
      measurer.release(prepared);
    }
  }, 120_000);

  test("a wrong kernel and an invalid one get errors, not times", async () => {
    const kernel = CASES[0]![1];
    const [source] = wgslGemmSpace(kernel).render({ bm: 32, bn: 32, bk: 8, tm: 2, tn: 2 });
    const prepared = measurer.prepare(kernel);
    try {
      const wrong = await measurer.measure(prepared, [{ ...source!, code: source!.code.replace("fma(x,", "fma(-x,") }]);
      expect(wrong).toEqual({ error: expect.stringMatching(/output \S+ is off the reference by .* \(bound 0.0001\)/) });
      const unwritten = await measurer.measure(prepared, [{ ...source!, grid: [1, 1, 1] }]);
      expect(unwritten.error).toMatch(/non-finite values/);
      const invalid = await measurer.measure(prepared, [{ ...source!, code: source!.code.replace("workgroupBarrier();", "barrier_typo();") }]);
      expect(invalid.error).toMatch(/rejected by WebGPU/);
    } finally {
      measurer.release(prepared);
    }
  });

  test("the roofline kernels give positive ceilings", async () => {
    const c = await measurer.ceilings();
    expect(c.flopsPerSecond).toBeGreaterThan(1e8);
    expect(c.bytesPerSecond).toBeGreaterThan(1e8);
  });
});

/** The attention and attention_grad kernels of an f32 case with documents and grouped kv heads, as the wgsl program has them. */
function attentionKernels(): Kernel[] {
  const graph = attentionCaseGraph({ name: "a", dtype: "f32", B: 2, T: 70, Hq: 4, Hk: 2, D: 16, causal: true, window: 0, documents: true });
  return addScratch(addSideBuffers(partition(graph)), rowStatsScratch).kernels.filter((k) => k.kind.startsWith("attention"));
}

describe.skipIf(!opened.gpu)(deviceTitle("measuring WGSL attention configs", opened.gpu !== undefined), () => {
  let measurer: WgslMeasurer;
  beforeAll(async () => {
    measurer = await WgslMeasurer.open();
  });
  afterAll(() => measurer?.close());

  test.each(["attention", "attention_grad"])("%s: configs taking every value of every axis match the interpreter", async (kind) => {
    const kernel = attentionKernels().find((k) => k.kind === kind)!;
    const space = wgslSearchSpace(kernel)!;
    expect(space.id).toBe(kind === "attention" ? "wgsl-attention-forward/1" : "wgsl-attention-backward/1");
    expect(space.candidates[0]).toEqual(space.heuristic);
    expect(space.candidates.length).toBeGreaterThan(kind === "attention" ? 8 : 30);
    const prepared = measurer.prepare(kernel, space);
    try {
      for (const c of everyValue(space.candidates, space.axes)) {
        const outcome = await measurer.measure(prepared, space.render(c));
        expect(outcome.error, space.describe(c)).toBeUndefined();
      }
    } finally {
      measurer.release(prepared);
    }
  }, 300_000);
});
