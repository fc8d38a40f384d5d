// The search spaces of the C-style fused and reduce kernels and of the AdamW update (CUDA, WGSL): the heuristic comes first
// and renders what compile renders untuned; no two candidates launch the same thing; splits appear only where a
// reduction may split; WGSL configs stay within WebGPU's default 256 threads. On a WebGPU device (lavapipe on CI),
// every candidate of a fused kernel with a square root (whose reference needs positive inputs) and of reductions of
// every strategy, and of the WGSL AdamW (whose reference needs positive inputs: an AdamW step of 0 and square roots of
// negative second moments leave its domain), matches the interpreter through the measurer's check. A kernel-bench
// tuning binary of fused, reduce
// and AdamW candidates builds for sm_90a (the measurements run on the H200: bench/RESULTS.md).

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { OpName } from "../../ir/ops/index.ts";
import { partition, type Kernel } from "../../backends/schedule/partition.ts";
import { renderFused, renderReduce } from "../../backends/c-style/fused.ts";
import { fusedSpace, reduceSpace } from "../../backends/c-style/space.ts";
import { CUDA } from "../../backends/cuda/language.ts";
import { WGSL } from "../../backends/wgsl/language.ts";
import { renderWgslKernel, wgslSearchSpace } from "../../backends/wgsl/kernels.ts";
import { cudaSearchSpace, renderKernel } from "../../backends/cuda/kernels.ts";
import { archFeatures, buildProgramAsync } from "../../backends/cuda/build.ts";
import type { SearchSpace } from "../../backends/tunable.ts";
import { WgslMeasurer } from "../../autotune/wgsl-measure.ts";
import { renderKernelTuning } from "../../autotune/cuda-measure.ts";
import { tunables } from "../../autotune/sweep.ts";
import { HAVE_NVCC, NO_NVCC_REASON } from "../backends/cuda/nvcc.ts";
import { deviceTitle, probeWebGpu, requireAdapterTest } from "../harness/webgpu.ts";

const opened = await probeWebGpu();
opened.gpu?.close();
requireAdapterTest(opened);

/** The kernel of `kind` in a graph of x [shape] through `body`. */
function kernelOf(kind: string, shape: number[], body: (g: GraphBuilder, x: Value) => Value, dtype: "f32" | "bf16" = "f32"): Kernel {
  const g = new GraphBuilder("k");
  g.output("out", body(g, g.input("x", dtype, shape)));
  return partition(g.build()).kernels.find((k) => k.kind === kind)!;
}

const reduce = (op: OpName, axes: number[]) => (g: GraphBuilder, x: Value) => g.op(op, [g.op("mul", [x, x])], { axes, keepdims: true });

const FUSED = kernelOf("fused", [3, 1000], (g, x) => g.op("sqrt", [g.op("add", [g.op("mul", [x, x]), x])]));
const FUSED_BF16 = kernelOf("fused", [64, 512], (g, x) => g.op("silu", [x]), "bf16");
const REDUCES: [string, Kernel][] = [
  ["a thread per output", kernelOf("reduce", [300, 20], reduce("reduce_sum", [1]))],
  ["rows", kernelOf("reduce", [5, 3000], reduce("reduce_mean", [1]))],
  ["columns", kernelOf("reduce", [900, 40], reduce("reduce_sum", [0]))],
  ["row max", kernelOf("reduce", [4, 2000], reduce("reduce_max", [1]))],
];

/** One AdamW step over 70,000 f32 parameters. */
function adamwKernel(): Kernel {
  const g = new GraphBuilder("adamw");
  const [p, gr, m, v] = ["p", "g", "m", "v"].map((n) => g.input(n, "f32", [70000]));
  const [lr, step, scale] = [g.input("lr", "f32", []), g.input("step", "i32", []), g.input("scale", "f32", [])];
  const results = g.ops("adamw", [p!, gr!, m!, v!, lr, step, scale], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 });
  ["p2", "m2", "v2"].forEach((n, i) => g.output(n, results[i]!));
  return partition(g.build()).kernels.find((k) => k.kind === "adamw")!;
}

const ADAMW = adamwKernel();

const launchOf = (s: { code: string; grid: readonly number[]; block: readonly number[] }) => `${s.code}|${s.grid}|${s.block}`;

function distinct(space: SearchSpace): void {
  const launches = space.candidates.map((c) => launchOf(space.render(c)[0]!));
  expect(new Set(launches).size, space.problem).toBe(launches.length);
}

describe("C-style search spaces", () => {
  test("fused: the heuristic first and as compile renders it; caps above the need are one config", () => {
    for (const [kernel, lang] of [[FUSED, CUDA], [FUSED_BF16, CUDA], [FUSED, WGSL]] as const) {
      const space = fusedSpace(kernel, lang);
      expect(space.candidates[0]).toEqual(space.heuristic);
      expect(launchOf(space.render(space.heuristic)[0]!)).toBe(launchOf(renderFused(kernel, lang)));
      distinct(space);
      expect(Math.max(...space.candidates.map((c) => c.threads))).toBe(lang.maxThreads);
    }
    expect(fusedSpace(FUSED_BF16, CUDA).axes["lanes"]).toEqual([1, 2, 4, 8]);
    expect(fusedSpace(FUSED, WGSL).axes["lanes"]).toEqual([1]);
    expect(fusedSpace(FUSED, CUDA).candidates.filter((c) => c.threads === 1024 && c.lanes === 1).map((c) => c.blocks)).toEqual([264]);
  });

  test("reduce: splits only where sums may split through float atomics", () => {
    for (const [name, kernel] of REDUCES) {
      for (const lang of [CUDA, WGSL]) {
        const space = reduceSpace(kernel, lang);
        expect(space.candidates[0]).toEqual(space.heuristic);
        expect(launchOf(space.render(space.heuristic)[0]!)).toBe(launchOf(renderReduce(kernel, lang)));
        distinct(space);
        const splits = Math.max(...space.candidates.map((c) => c.splits));
        expect(splits > 1, `${name} on ${lang.name}`).toBe(lang === CUDA && (name === "rows" || name === "columns"));
      }
    }
  });

  test("wgsl adamw: the heuristic as compile renders it, caps above the need counting once", () => {
    const space = wgslSearchSpace(ADAMW)!;
    expect(space.id).toBe("wgsl-adamw/1");
    expect(space.heuristic).toEqual({ threads: 256, blocks: 528 });
    expect(space.render(space.heuristic).map((s) => s.code)).toEqual(renderWgslKernel(ADAMW).map((s) => s.code));
    expect(space.candidates.filter((c) => c["threads"] === 64).map((c) => c["blocks"])).toEqual([264, 528, 1056, 2112]);
    distinct(space);
  });

  test("cuda: the spaces of fused, reduce and adamw kernels, and renderKernel takes the tuned config", () => {
    const space = cudaSearchSpace(ADAMW, archFeatures("sm_90a"))!;
    expect(space.id).toBe("cuda-adamw/1");
    expect(space.heuristic).toEqual({ vec: 4, threads: 256 });
    expect(space.candidates).toHaveLength(15);
    const other = { vec: 2, threads: 512 };
    const source = renderKernel(ADAMW, archFeatures("sm_90a"), () => other as never)[0]!;
    expect(source.block[0]).toBe(512);
    expect(source.code).toContain("constexpr int VEC = 2;");
    expect(cudaSearchSpace(REDUCES[1]![1], archFeatures("sm_90a"))!.id).toBe("cuda-reduce/2");
    const tuned = renderKernel(FUSED, archFeatures("sm_90a"), () => ({ threads: 128, lanes: 1, blocks: 264 }) as never)[0]!;
    expect([tuned.block[0], tuned.grid[0]]).toEqual([128, 24]);
  });
});

describe.skipIf(!opened.gpu)(deviceTitle("measuring C-style kernel configs on WebGPU", opened.gpu !== undefined), () => {
  let measurer: WgslMeasurer;
  beforeAll(async () => {
    measurer = await WgslMeasurer.open();
  });
  afterAll(() => measurer?.close());

  test.each([["fused with a square root", FUSED] as [string, Kernel], ...REDUCES, ["adamw", ADAMW] as [string, Kernel]])("%s: every candidate matches the interpreter", async (_, kernel) => {
    const space = wgslSearchSpace(kernel)!;
    const prepared = measurer.prepare(kernel);
    try {
      for (const c of space.candidates) {
        const outcome = await measurer.measure(prepared, space.render(c as never));
        expect(outcome.error, space.describe(c as never)).toBeUndefined();
      }
    } finally {
      measurer.release(prepared);
    }
  }, 120_000);
});

describe.skipIf(!HAVE_NVCC)(HAVE_NVCC ? "a kernel-bench tuning binary" : `a kernel-bench tuning binary (skipped: ${NO_NVCC_REASON})`, () => {
  test("a round of fused, reduce and bf16 candidates builds for sm_90a", async () => {
    const list = tunables([FUSED, FUSED_BF16, ...REDUCES.map(([, k]) => k)], (k) => cudaSearchSpace(k, archFeatures("sm_90a")));
    const cu = renderKernelTuning(list.map((tunable) => ({ tunable, configs: tunable.space.candidates.slice(0, 3) })));
    expect(cu).toContain("kernel_bench::Type::BF16");
    expect((await buildProgramAsync(cu, "sm_90a", "tune")).binary).toMatch(/tune$/);
  }, 300_000);
});
