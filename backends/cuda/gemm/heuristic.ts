// The default GEMM config per shape, used when the tuning DB has no entry: a small table of proven tile shapes per
// mainloop, scored by a wave model (waves of blocks over the SMs, a per-shape efficiency weight and a fixed
// per-block overhead), with split-K tried when the output is f32 and the grid would leave SMs idle.
// Invariants: the returned config has no problems for the spec (gemmConfigProblems is empty); equal inputs give
// equal configs. The weights are starting guesses to be replaced by the autotuner's measurements on the H200.

import {
  gemmConfigProblems, gemmGeometry, type GemmConfig, type MmaConfig, type SimtConfig,
} from "./config.ts";
import type { GemmSpec } from "./spec.ts";

/** What the heuristic needs to know of the GPU. */
export interface GemmDevice {
  readonly smCount: number;
}

/** NVIDIA H200 SXM (the same SM count and shared memory as H100 SXM). */
export const H200: GemmDevice = { smCount: 132 };

/** A candidate tile and how close to the mainloop's peak it runs when the GPU is full (a guess, see header). */
interface Candidate {
  readonly config: GemmConfig;
  readonly efficiency: number;
}

const mma = (bm: number, bn: number, wm: number, wn: number, stages: number, bk = 32): MmaConfig => ({
  mainloop: "mma", bm, bn, bk, wm, wn, stages, splitK: 1, groupM: 8,
});
const simt = (bm: number, bn: number, tm: number, tn: number): SimtConfig => ({
  mainloop: "simt", bm, bn, bk: 16, tm, tn, splitK: 1, groupM: 8,
});

const MMA_CANDIDATES: readonly Candidate[] = [
  { config: mma(128, 256, 64, 64, 4), efficiency: 1 },
  { config: mma(256, 128, 64, 64, 4), efficiency: 1 },
  { config: mma(128, 256, 64, 64, 3, 64), efficiency: 1 },
  { config: mma(128, 128, 64, 64, 4), efficiency: 0.92 },
  { config: mma(128, 64, 64, 32, 4), efficiency: 0.8 },
  { config: mma(64, 128, 32, 64, 4), efficiency: 0.8 },
  { config: mma(64, 64, 32, 32, 3), efficiency: 0.65 },
];

const SIMT_CANDIDATES: readonly Candidate[] = [
  { config: simt(128, 128, 8, 8), efficiency: 1 },
  { config: simt(64, 64, 4, 4), efficiency: 0.8 },
  { config: simt(32, 32, 4, 4), efficiency: 0.5 },
];

const SPLITS = [1, 2, 3, 4, 6, 8, 12, 16];
/** Fewest K tiles a split should get, so the pipeline's fill and drain stay small against its work. */
const MIN_TILES_PER_SPLIT = 8;
/** Fixed cost of a block (prologue, epilogue), in units of K; a split-K block pays it twice (serial epilogue). */
const BLOCK_OVERHEAD_K = 64;

/** The config to use for `spec` when nothing better is known. */
export function defaultGemmConfig(spec: GemmSpec, device: GemmDevice = H200): GemmConfig {
  const candidates = spec.inputDtype === "f32" ? SIMT_CANDIDATES : MMA_CANDIDATES;
  let best: Scored | undefined;
  for (const { config, efficiency } of candidates) {
    const scored = bestSplit(spec, config, efficiency, device);
    if (scored !== undefined && (best === undefined || scored.cost < best.cost)) best = scored;
  }
  if (best === undefined) throw new Error(`defaultGemmConfig: no candidate fits M=${spec.m} N=${spec.n} K=${spec.k}`);
  return best.config;
}

interface Scored {
  readonly config: GemmConfig;
  readonly cost: number;
}

/** `config` with the split-K of least estimated cost, or undefined when no split of it fits `spec`. */
function bestSplit(spec: GemmSpec, config: GemmConfig, efficiency: number, device: GemmDevice): Scored | undefined {
  let best: Scored | undefined;
  for (const splitK of SPLITS) {
    const candidate = { ...config, splitK };
    if (!splitWorthTrying(spec, candidate) || gemmConfigProblems(spec, candidate).length > 0) continue;
    const cost = estimateCost(spec, candidate, efficiency, device);
    if (best === undefined || cost < best.cost) best = { config: candidate, cost };
  }
  return best;
}

function splitWorthTrying(spec: GemmSpec, config: GemmConfig): boolean {
  if (config.splitK === 1) return true;
  const g = gemmGeometry(spec, config);
  return spec.outputDtype === "f32" && g.kTilesPerSplit >= MIN_TILES_PER_SPLIT;
}

/** Relative time: the most blocks any SM runs, each costing its MACs (plus overhead) over the tile's efficiency. */
function estimateCost(spec: GemmSpec, config: GemmConfig, efficiency: number, device: GemmDevice): number {
  const g = gemmGeometry(spec, config);
  const blocks = g.tilesM * g.tilesN * config.splitK * spec.batch;
  const kPerBlock = g.kTilesPerSplit * config.bk + BLOCK_OVERHEAD_K * (config.splitK > 1 ? 2 : 1);
  return (Math.ceil(blocks / device.smCount) * config.bm * config.bn * kPerBlock) / efficiency;
}

/** Each candidate tile that fits `spec`, with the split the cost model prefers for it (the lab times them all). */
export function candidateConfigs(spec: GemmSpec, device: GemmDevice = H200): GemmConfig[] {
  const candidates = spec.inputDtype === "f32" ? SIMT_CANDIDATES : MMA_CANDIDATES;
  return candidates.flatMap(({ config, efficiency }) => {
    const best = bestSplit(spec, config, efficiency, device);
    return best === undefined ? [] : [best.config];
  });
}
