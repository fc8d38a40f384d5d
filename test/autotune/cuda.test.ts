// The CUDA side of the autotuner without a GPU: a matmul kernel's space (the generated GEMM's configs, each free of
// config problems, then cuBLASLt's algorithms; the heuristic first), a tuning binary of a round compiles and links with
// nvcc for sm_90a (generated configs of two dtypes, split-K, cuBLASLt rows), and a tuned choice reaches the program:
// a generated config is rendered and marked to run untimed, a cuBLASLt algorithm is marked with its index, and
// main.cu's GEMM sites carry both. The measurements themselves run on the H200 (bench/RESULTS.md).

import { describe, expect, test } from "vitest";
import { GraphBuilder } from "../../ir/builder.ts";
import type { DType } from "../../ir/dtype.ts";
import { partition, type Kernel } from "../../backends/schedule/partition.ts";
import { cudaMatmulSpace, renderKernel } from "../../backends/cuda/kernels.ts";
import { gemmConfigProblems } from "../../backends/cuda/gemm/config.ts";
import { libraryAlgo, LIBRARY_ALGOS } from "../../backends/cuda/gemm/space.ts";
import { archFeatures, buildProgramAsync } from "../../backends/cuda/build.ts";
import { TUNED_GENERATED } from "../../backends/kernel.ts";
import { sameConfig, type Config, type SearchSpace } from "../../backends/tunable.ts";
import { renderTuning } from "../../autotune/cuda-measure.ts";
import { tunables } from "../../autotune/sweep.ts";
import { HAVE_NVCC, NO_NVCC_REASON } from "../backends/cuda/nvcc.ts";

function matmulKernel(dtype: DType, a: number[], b: number[], transposeB: boolean): Kernel {
  const g = new GraphBuilder("gemm");
  g.output("c", g.op("matmul", [g.input("a", dtype, a), g.input("b", dtype, b)], { transpose_b: transposeB }));
  return partition(g.build()).kernels.find((k) => k.kind === "matmul")!;
}

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
});
