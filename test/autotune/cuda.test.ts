// The CUDA side of the autotuner without a GPU: a matmul kernel's space (the generated GEMM's configs, each free of
// config problems, then cuBLASLt's algorithms; the heuristic first), a tuning binary of a round compiles and links with
// nvcc for sm_90a (generated configs of two dtypes, split-K, cuBLASLt rows), and a tuned choice reaches the program:
// a generated config is rendered and marked to run untimed, a cuBLASLt algorithm is marked with its index, and
// main.cu's GEMM sites carry both. Attention: the forward's and backward's spaces (configs the generators accept, the
// lowering's default first; none for xformers' imitation) render a tuned config, and a kernel-bench binary of attention
// candidates builds. The toolchain key of CUDA tunings names the cuBLASLt the harness loads (the stand-in's version).
// The measurements themselves run on the H200 (bench/RESULTS.md).

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { GraphBuilder } from "../../ir/builder.ts";
import type { DType } from "../../ir/dtype.ts";
import { partition, type Kernel } from "../../backends/schedule/partition.ts";
import { addSideBuffers } from "../../backends/schedule/side-buffers.ts";
import { cudaMatmulSpace, cudaSearchSpace, renderKernel } from "../../backends/cuda/kernels.ts";
import { gemmConfigProblems } from "../../backends/cuda/gemm/config.ts";
import { libraryAlgo, LIBRARY_ALGOS } from "../../backends/cuda/gemm/space.ts";
import { archFeatures, buildProgramAsync, toolchainKey } from "../../backends/cuda/build.ts";
import { TUNED_GENERATED } from "../../backends/kernel.ts";
import { sameConfig, type Config, type SearchSpace } from "../../backends/tunable.ts";
import { cudaTuningToolchain, renderKernelTuning, renderTuning } from "../../autotune/cuda-measure.ts";
import { attentionCaseGraph } from "../harness/attention-case.ts";
import { tunables } from "../../autotune/sweep.ts";
import { HAVE_NVCC, NO_NVCC_REASON } from "../backends/cuda/nvcc.ts";
import { build, CUDA_INCLUDE, HAVE_GXX } from "../backends/cuda/runtime/build.ts";

function matmulKernel(dtype: DType, a: number[], b: number[], transposeB: boolean): Kernel {
  const g = new GraphBuilder("gemm");
  g.output("c", g.op("matmul", [g.input("a", dtype, a), g.input("b", dtype, b)], { transpose_b: transposeB }));
  return partition(g.build()).kernels.find((k) => k.kind === "matmul")!;
}

const SYSTEM_CUBLASLT = /libcublasLt\.so/.test(spawnSync("sh", ["-c", "ldconfig -p 2>/dev/null"], { encoding: "utf8" }).stdout ?? "");

const BF16 = matmulKernel("bf16", [200, 96], [136, 96], true);
const F32 = matmulKernel("f32", [70, 300], [300, 40], false);

const BF16_SPEC = { m: 200, n: 136, k: 96, batch: 1, transposeA: false, transposeB: true, broadcastA: false, broadcastB: false,
  inputDtype: "bf16", outputDtype: "bf16", accumulate: false } as const;
const F32_SPEC = { ...BF16_SPEC, m: 70, n: 40, k: 300, transposeB: false, inputDtype: "f32", outputDtype: "f32" } as const;

/** A few configs of `space`: the heuristic, the first others and the first cuBLASLt algorithm. */
function round(space: SearchSpace): Config[] {
  const generated = space.candidates.filter((c) => libraryAlgo(c) === undefined);
  return [...generated.slice(0, 3), generated.find((c) => (c["splitK"] ?? 1) > 1) ?? generated[1]!, { cublaslt: 0 }];
}

describe("the CUDA GEMM space", () => {
  test("generated configs without problems, the heuristic first, then cuBLASLt's algorithms", () => {
    for (const kernel of [BF16, F32]) {
      const space = cudaMatmulSpace(kernel);
      expect(space.candidates[0]).toEqual(space.heuristic);
      const algos = space.candidates.filter((c) => libraryAlgo(c) !== undefined);
      expect(algos).toEqual(Array.from({ length: LIBRARY_ALGOS }, (_, i) => ({ cublaslt: i })));
      const generated = space.candidates.filter((c) => libraryAlgo(c) === undefined);
      expect(generated.length).toBeGreaterThan(50);
      const mainloop = kernel === F32 ? "simt" : "mma";
      for (const c of generated) expect(gemmConfigProblems(kernel === F32 ? F32_SPEC : BF16_SPEC, { ...c, mainloop } as never)).toEqual([]);
    }
  });

  test("a tuned choice is rendered and marked for the program", () => {
    const space = cudaMatmulSpace(BF16);
    const other = space.candidates.find((c) => libraryAlgo(c) === undefined && !sameConfig(c, space.heuristic))!;
    const generated = renderKernel(BF16, archFeatures("sm_90a"), () => other as never)[0]!;
    expect(generated.libraryGemm!.tuned).toBe(TUNED_GENERATED);
    expect(generated.code).toBe(space.render(other)[0]!.code);
    const library = renderKernel(BF16, archFeatures("sm_90a"), () => ({ cublaslt: 2 }) as never)[0]!;
    expect(library.libraryGemm!.tuned).toBe(2);
    expect(library.code).toBe(space.render(space.heuristic)[0]!.code);
    const untuned = renderKernel(BF16, archFeatures("sm_90a"))[0]!;
    expect(untuned.libraryGemm!.tuned).toBeUndefined();
  });
});

describe.skipIf(!HAVE_NVCC)(HAVE_NVCC ? "a tuning binary" : `a tuning binary (skipped: ${NO_NVCC_REASON})`, () => {
  test("a round of bf16 and f32 candidates builds for sm_90a", async () => {
    const shapes = tunables([BF16, F32], cudaMatmulSpace).map((tunable) => ({ tunable, configs: round(tunable.space) }));
    const cu = renderTuning(shapes);
    expect(cu).toContain('{"cuBLASLt algorithm 0", nullptr, nullptr, 0, 0},');
    const built = await buildProgramAsync(cu, "sm_90a", "tune");
    expect(built.binary).toMatch(/tune$/);
    expect((await buildProgramAsync(renderTuning([]), "sm_90a", "tune")).binary).toMatch(/tune$/);
  }, 300_000);

  test.skipIf(!HAVE_GXX)("the toolchain key of CUDA tunings names the cuBLASLt that loads, or none", async () => {
    const fake = build("g++", ["fake-cublaslt.cpp"], "libcublasLt.so.13", ["-shared", "-fPIC", `-I${CUDA_INCLUDE}`]);
    const saved = process.env["TRAINC_CUBLASLT"];
    try {
      process.env["TRAINC_CUBLASLT"] = fake;
      expect(await cudaTuningToolchain("sm_90a")).toBe(`${toolchainKey("sm_90a")}, cuBLASLt 13.1.2`);
      process.env["TRAINC_CUBLASLT"] = join(dirname(fake), "missing.so");
      expect(await cudaTuningToolchain("sm_90a")).toMatch(SYSTEM_CUBLASLT ? /, cuBLASLt \d+\.\d+\.\d+$/ : /, no cuBLASLt$/);
    } finally {
      if (saved === undefined) delete process.env["TRAINC_CUBLASLT"];
      else process.env["TRAINC_CUBLASLT"] = saved;
    }
  }, 300_000);
});

/** The attention and attention_grad kernels of a bf16 case with documents (lowering as given). */
function attentionKernels(lowering?: string): Kernel[] {
  const graph = attentionCaseGraph({ name: "a", dtype: "bf16", B: 2, T: 256, Hq: 4, Hk: 2, D: 64, causal: true, window: 0, documents: true });
  const nodes = graph.nodes.map((n) => (lowering && n.op.startsWith("attention") ? { ...n, attrs: { ...n.attrs, lowering } } : n));
  return addSideBuffers(partition({ ...graph, nodes })).kernels.filter((k) => k.kind.startsWith("attention"));
}

describe("the CUDA attention spaces", () => {
  const features = archFeatures("sm_90a");

  test("configs the generators accept, the lowering's default first; a tuned config is what renders", () => {
    for (const kernel of attentionKernels()) {
      const space = cudaSearchSpace(kernel, features)!;
      expect(space.id).toBe(kernel.kind === "attention" ? "cuda-attention-forward/1" : "cuda-attention-backward/1");
      expect(space.candidates[0]).toEqual(space.heuristic);
      expect(space.heuristic["wgmma"]).toBe(1);
      expect(space.candidates.length).toBeGreaterThan(10);
      expect(space.documentRanges?.tokens).toBe(256);
      const untuned = renderKernel(kernel, features).map((s) => s.code);
      expect(space.render(space.heuristic).map((s) => s.code)).toEqual(untuned);
      const other = space.candidates.find((c) => c["wgmma"] === 0)!;
      expect(renderKernel(kernel, features, () => other as never).map((s) => s.code)).toEqual(space.render(other).map((s) => s.code));
    }
    expect(cudaSearchSpace(attentionKernels()[1]!, features)!.sideBuffers!.filter((b) => b.scratch).length).toBeGreaterThan(0);
  });

  test("xformers' lowering keeps xformers' tiles: no space", () => {
    for (const kernel of attentionKernels("xformers")) expect(cudaSearchSpace(kernel, features)).toBeUndefined();
  });

  test.skipIf(!HAVE_NVCC)("a kernel-bench binary of attention candidates builds for sm_90a", async () => {
    const list = tunables(attentionKernels(), (k) => cudaSearchSpace(k, features));
    const cu = renderKernelTuning(list.map((tunable) => ({ tunable, configs: tunable.space.candidates.slice(0, 2) })));
    expect(cu).toContain("kernel_bench::Role::Ranges, 256}");
    expect(cu).toContain("kernel_bench::Role::Scratch");
    expect((await buildProgramAsync(cu, "sm_90a", "tune")).binary).toMatch(/tune$/);
  }, 300_000);
});
