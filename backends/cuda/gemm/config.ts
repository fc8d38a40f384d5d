// Tunable configurations of the generated GEMM and the check that a configuration can run a spec. A config names its
// mainloop: `mma` (bf16 / f16 tensor cores through mma.sync m16n8k16, ldmatrix, cp.async stages) or `simt` (f32 FMAs, for
// the f32 mode that must match references to 1e-5); a wgmma mainloop joins later as a third kind. The autotuner
// enumerates configs and keeps those with no problems; renderGemm throws the first problem as a TraincError.
// Invariants: every size the kernel bakes in is derived here (gemmGeometry), so the renderer and the checks agree.
//
// Error codes defined here (spec.ts holds 5400-5402):
//   5410  the mainloop does not fit the spec's dtypes
//   5411  tile sizes are not multiples of what the mainloop needs
//   5412  threads per block outside 32..1024
//   5413  shared memory per block above the 227 KiB an H100/H200 block may use
//   5414  registers per thread (estimated) above 255, or per block above 64 K
//   5415  a shared-memory tile row has no bank-conflict-free swizzle
//   5416  pipeline stages outside 2..8
//   5417  split-K with a 16-bit output (partial sums are kept in C, so C must be f32)
//   5418  split-K larger than the K tiles allow, or leaving a split with no K tile
//   5419  a config field is not a positive integer

import { MAX_GRID_YZ, describeGemm, layoutA, layoutB, type GemmSpec } from "./spec.ts";

/** Tensor-core mainloop: block tile bm x bn x bk, warp tile wm x wn, `stages` cp.async buffers. */
export interface MmaConfig {
  readonly mainloop: "mma";
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly wm: number;
  readonly wn: number;
  readonly stages: number;
  /** K is cut into this many slices run by separate blocks, summed in a fixed order (deterministic). */
  readonly splitK: number;
  /** Block raster: this many tile rows are swept together so their B tiles stay in L2. */
  readonly groupM: number;
}

/** f32 FMA mainloop: block tile bm x bn x bk, each thread tm x tn outputs, double-buffered shared memory. */
export interface SimtConfig {
  readonly mainloop: "simt";
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly tm: number;
  readonly tn: number;
  readonly splitK: number;
  readonly groupM: number;
}

export type GemmConfig = MmaConfig | SimtConfig;

/** Shared memory one block may use on sm_90 (227 KiB). */
export const MAX_SHARED_BYTES = 227 * 1024;
/** Registers: per thread (architectural limit) and per block (register file of one SM). */
export const MAX_REGS_PER_THREAD = 255;
export const REGS_PER_SM = 65536;
/** Row padding (floats) of the simt mainloop's shared tiles. */
export const SIMT_PAD = 4;

/** One reason a config cannot run a spec, in TraincError terms. */
export interface GemmConfigProblem {
  readonly code: number;
  readonly message: string;
  readonly fix: string;
}

/** Sizes every part of the kernel agrees on. */
export interface GemmGeometry {
  readonly threads: number;
  readonly tilesM: number;
  readonly tilesN: number;
  readonly kTiles: number;
  readonly kTilesPerSplit: number;
  readonly sharedBytes: number;
  readonly registersPerThread: number;
}

/** Short text for tables and messages, e.g. `mma 128x256x32 w64x64 s4 k1 g8`. */
export function describeConfig(config: GemmConfig): string {
  const tile = `${config.bm}x${config.bn}x${config.bk}`;
  const inner = config.mainloop === "mma" ? `w${config.wm}x${config.wn} s${config.stages}` : `t${config.tm}x${config.tn}`;
  return `${config.mainloop} ${tile} ${inner} k${config.splitK} g${config.groupM}`;
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** Threads per block, tiles, K tiles, shared memory and an estimate of registers per thread. */
export function gemmGeometry(spec: GemmSpec, config: GemmConfig): GemmGeometry {
  const kTiles = ceilDiv(spec.k, config.bk);
  const base = {
    tilesM: ceilDiv(spec.m, config.bm), tilesN: ceilDiv(spec.n, config.bn),
    kTiles, kTilesPerSplit: ceilDiv(kTiles, config.splitK),
  };
  if (config.mainloop === "mma") {
    const threads = (config.bm / config.wm) * (config.bn / config.wn) * 32;
    const accumulators = (config.wm * config.wn) / 32;
    const fragments = (config.wm / 16) * 4 + (config.wn / 8) * 2;
    return {
      ...base, threads,
      sharedBytes: config.stages * (config.bm + config.bn) * config.bk * 2,
      registersPerThread: accumulators + fragments + 40,
    };
  }
  const threads = (config.bm / config.tm) * (config.bn / config.tn);
  const staged = ceilDiv((config.bm + config.bn) * config.bk, threads);
  return {
    ...base, threads,
    sharedBytes: 2 * config.bk * (config.bm + config.bn + 2 * SIMT_PAD) * 4,
    registersPerThread: config.tm * config.tn + config.tm + config.tn + staged + 30,
  };
}

/** Every reason `config` cannot run `spec` (empty when it can). */
export function gemmConfigProblems(spec: GemmSpec, config: GemmConfig): GemmConfigProblem[] {
  const where = `${describeGemm(spec)} with config ${describeConfig(config)}`;
  const problems: GemmConfigProblem[] = [];
  const add = (code: number, message: string, fix: string): void => {
    problems.push({ code, message: `${where}: ${message}`, fix });
  };
  const bad = Object.entries(config).filter(([key, v]) => key !== "mainloop" && !(Number.isSafeInteger(v) && v >= 1));
  if (bad.length > 0) {
    add(5419, `${bad.map(([key]) => key).join(", ")} must be positive integers`, "give every config field a positive integer");
    return problems;
  }
  if (config.mainloop === "mma") mmaProblems(spec, config, add);
  else simtProblems(spec, config, add);
  if (problems.length > 0) return problems;
  resourceProblems(spec, config, add);
  return problems;
}

type Add = (code: number, message: string, fix: string) => void;

function mmaProblems(spec: GemmSpec, c: MmaConfig, add: Add): void {
  if (spec.inputDtype === "f32") {
    add(5410, "the mma mainloop takes bf16 or f16 inputs", "use the simt mainloop for f32 (true f32 FMAs)");
  }
  if (c.wm % 16 !== 0 || c.wn % 16 !== 0 || c.bk % 16 !== 0) {
    add(5411, "wm, wn and bk must be multiples of 16", "pick warp tiles and bk from 16, 32, 64, ...");
  }
  if (c.bm % c.wm !== 0 || c.bn % c.wn !== 0) {
    add(5411, "bm and bn must be multiples of the warp tile", "choose bm = k*wm and bn = j*wn");
  }
  if (c.stages < 2 || c.stages > 8) add(5416, `stages = ${c.stages}`, "use 2 to 8 stages");
  for (const [name, layout, tile] of [["A", layoutA(spec), c.bm], ["B", layoutB(spec), c.bn]] as const) {
    const extent = layout.kMajor ? c.bk : tile;
    const granules = extent / 8;
    if (!(granules === 1 || granules === 2 || granules === 4 || granules % 8 === 0)) {
      add(5415, `operand ${name}'s shared tile rows are ${extent} elements (${granules} 16-byte granules)`,
        "make the contiguous tile extent 8, 16, 32 or a multiple of 64 elements");
    }
  }
}

function simtProblems(spec: GemmSpec, c: SimtConfig, add: Add): void {
  if (spec.inputDtype !== "f32") {
    add(5410, "the simt mainloop takes f32 inputs", "use the mma mainloop for bf16 or f16 (tensor cores)");
  }
  if (c.tm % 4 !== 0 || c.tn % 4 !== 0 || c.bm % c.tm !== 0 || c.bn % c.tn !== 0 || c.bk % 4 !== 0) {
    add(5411, "tm and tn must be multiples of 4 dividing bm and bn, and bk a multiple of 4",
      "pick tm, tn from 4, 8 and bm, bn as multiples of them");
  }
}

function resourceProblems(spec: GemmSpec, config: GemmConfig, add: Add): void {
  const g = gemmGeometry(spec, config);
  if (g.threads < 32 || g.threads > 1024 || g.threads % 32 !== 0) {
    add(5412, `${g.threads} threads per block`, "use 1 to 32 warps per block (smaller or larger warp/thread tiles)");
  }
  if (g.sharedBytes > MAX_SHARED_BYTES) {
    add(5413, `${g.sharedBytes} bytes of shared memory per block (limit ${MAX_SHARED_BYTES})`,
      "use fewer stages or a smaller block tile");
  }
  const blockRegs = g.threads * Math.min(g.registersPerThread, MAX_REGS_PER_THREAD);
  if (g.registersPerThread > MAX_REGS_PER_THREAD || blockRegs > REGS_PER_SM) {
    add(5414, `about ${g.registersPerThread} registers per thread, ${blockRegs} per block`,
      "use a smaller warp (mma) or thread (simt) tile, or fewer threads per block");
  }
  splitProblems(spec, config, g, add);
}

function splitProblems(spec: GemmSpec, config: GemmConfig, g: GemmGeometry, add: Add): void {
  if (config.splitK === 1) return;
  if (spec.outputDtype !== "f32") {
    add(5417, `split-K keeps partial sums in C, which is ${spec.outputDtype} here`, "use splitK = 1 or an f32 output");
  }
  if (config.splitK > MAX_GRID_YZ || (config.splitK - 1) * g.kTilesPerSplit >= g.kTiles) {
    add(5418, `splitK = ${config.splitK} leaves a split with no K tile (${g.kTiles} tiles of ${config.bk})`,
      `pick a splitK that gives every split a K tile (a divisor of ${g.kTiles} does), or a smaller bk`);
  }
}
