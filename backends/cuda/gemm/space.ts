// The search space of a CUDA `matmul` kernel: the generated GEMM's configs (config.ts) for the spec's mainloop (mma
// for bf16 / f16, simt for f32), crossed over tile, warp or thread tile, K step, pipeline stages and split-K and kept
// where gemmConfigProblems finds nothing, then cuBLASLt's first LIBRARY_ALGOS algorithms for the shape as external
// candidates (`{ cublaslt: i }`: the i-th algorithm cuBLASLt's heuristic returns on the device measured). The
// heuristic is defaultGemmConfig's choice. A library candidate renders the heuristic kernel (what runs when cuBLASLt
// cannot be loaded) with its LibraryGemm marked with the algorithm, which the program then uses without timing.
// The candidates are enumerated on first use (a compile with nothing tuned never needs them).
// Invariants: every generated candidate has no config problem for the spec; configs are flat records of integers
// (the mainloop follows from the spec's dtype); predictions use the device's ceilings as measured (the tensor cores'
// rate, so an f32 GEMM's prediction is optimistic; it only orders and prunes candidates).

import { enumerate, kernelContentHash, rooflineSeconds, type Ceilings, type Config, type SearchSpace } from "../../tunable.ts";
import type { KernelSource } from "../../kernel.ts";
import type { Kernel } from "../../schedule/partition.ts";
import { describeConfig, gemmConfigProblems, gemmGeometry, type GemmConfig } from "./config.ts";
import { defaultGemmConfig } from "./heuristic.ts";
import { describeGemm, dtypeBytes, gemmBytes, gemmFlops, type GemmSpec } from "./spec.ts";

/** cuBLASLt algorithms tried per GEMM (the heuristic's first ones, in its order). */
export const LIBRARY_ALGOS = 4;

const SPLITS = [1, 2, 3, 4, 6, 8, 12, 16];
const MMA_AXES = {
  bm: [64, 128, 256], bn: [64, 128, 256], bk: [32, 64], wm: [32, 64], wn: [32, 64], stages: [2, 3, 4, 5], splitK: SPLITS,
  groupM: [8],
};
const SIMT_AXES = { bm: [32, 64, 128], bn: [32, 64, 128], bk: [8, 16], tm: [4, 8], tn: [4, 8], splitK: SPLITS, groupM: [8] };

/** Bumped whenever the space or the kernels its configs render change. */
const SPACE_ID = "cuda-gemm/1";

/** A generated config as a flat record (the mainloop dropped), or a cuBLASLt algorithm. */
type CudaGemmCandidate = Config;

/** The cuBLASLt algorithm a candidate stands for, or undefined for a generated config. */
export function libraryAlgo(c: CudaGemmCandidate): number | undefined {
  return c["cublaslt"];
}

function asConfig(spec: GemmSpec, c: CudaGemmCandidate): GemmConfig {
  return { ...(c as Record<string, number>), mainloop: spec.inputDtype === "f32" ? "simt" : "mma" } as GemmConfig;
}

function flat(config: GemmConfig): CudaGemmCandidate {
  const { mainloop: _, ...fields } = config;
  return fields as Record<string, number>;
}

/** Roofline time with whole tiles (padding computed) and the operand re-reads each tile row and column makes. */
function predict(spec: GemmSpec, c: CudaGemmCandidate, ceilings: Ceilings): number {
  const bytes = (spec.m * spec.k + spec.k * spec.n) * dtypeBytes(spec.inputDtype) + spec.m * spec.n * dtypeBytes(spec.outputDtype);
  if (libraryAlgo(c) !== undefined) return rooflineSeconds(2 * spec.batch * spec.m * spec.n * spec.k, spec.batch * bytes, ceilings);
  const config = asConfig(spec, c);
  const g = gemmGeometry(spec, config);
  const flops = 2 * spec.batch * g.tilesM * config.bm * g.tilesN * config.bn * g.kTiles * config.bk;
  const traffic = spec.batch * (g.tilesN * spec.m * spec.k + g.tilesM * spec.k * spec.n) * dtypeBytes(spec.inputDtype) +
    spec.batch * spec.m * spec.n * dtypeBytes(spec.outputDtype) * (config.splitK > 1 ? 2 * config.splitK : 1);
  return rooflineSeconds(flops, traffic, ceilings);
}

/**
 * The space of `spec`; `render` turns a generated config into the GEMM kernel (renderMatmul's work: parameter names,
 * flags) and `library` marks a source as the cuBLASLt algorithm's.
 */
export function cudaGemmSpace(kernel: Kernel, spec: GemmSpec, render: (config: GemmConfig) => KernelSource,
  library: (source: KernelSource, algo: number) => KernelSource): SearchSpace {
  const heuristic = flat(defaultGemmConfig(spec));
  const axes = spec.inputDtype === "f32" ? SIMT_AXES : MMA_AXES;
  let candidates: CudaGemmCandidate[] | undefined;
  return {
    id: SPACE_ID, kernelHash: kernelContentHash(kernel), problem: describeGemm(spec), axes,
    get candidates() {
      const generated = () => enumerate(axes, (c) => gemmConfigProblems(spec, asConfig(spec, c)).length === 0, heuristic);
      const algos = Array.from({ length: LIBRARY_ALGOS }, (_, i) => ({ cublaslt: i }));
      candidates ??= [...generated(), ...algos];
      return candidates;
    },
    heuristic, flops: gemmFlops(spec), bytes: gemmBytes(spec),
    describe: (c) => (libraryAlgo(c) !== undefined ? `cuBLASLt algorithm ${libraryAlgo(c)}` : describeConfig(asConfig(spec, c))),
    render: (c) => {
      const algo = libraryAlgo(c);
      return [algo === undefined ? render(asConfig(spec, c)) : library(render(asConfig(spec, heuristic)), algo)];
    },
    predict: (c, ceilings) => predict(spec, c, ceilings),
  };
}
