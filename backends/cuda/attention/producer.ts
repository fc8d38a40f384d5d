// What the warp-specialized wgmma kernels share (AttentionConfig.producer): the last warpgroup of the block only copies
// tiles into shared memory (cp.async, announced on mbarriers), the others compute. This file holds the register split
// between them and the kernel text that declares and initializes a kernel's mbarriers.
// Invariants: the producer is warpgroup COMPUTE_GROUPS (threads [128 * COMPUTE_GROUPS, +128)), so computing threads
// are numbered from 0 as in the kernels without a producer; "full" mbarriers count the producer's 128 arrivals (one
// cp.async.mbarrier.arrive per thread), "empty" ones one arrival per computing thread.

import { badConfig, type AttentionConfig } from "./spec.ts";
import type { Loaders } from "./tile.ts";

/** Threads of the producer warpgroup. */
export const PRODUCER_THREADS = 128;

/**
 * How a kernel's producer copies: `registers` per producer thread (setmaxnreg.dec), and whether its copy loops stay
 * rolled (fewer registers) or are unrolled (the forward: the H200 lab measured 601 TFLOP/s at T = 16k unrolled against
 * 479 rolled; the backward copies a quarter as much per product and fits its computing threads better rolled).
 */
export interface ProducerPlan {
  readonly registers: number;
  readonly rolled: boolean;
}

/** Computing warpgroups of a config: with a producer, one warpgroup of `warps` only copies. */
export function computeGroups(c: AttentionConfig): number {
  return c.warps / 4 - (c.producer ? 1 : 0);
}

/** Throws 5306 unless a wgmma config has one or two computing warpgroups (plus the producer's, when it has one). */
export function checkWarpgroups(kernel: string, c: AttentionConfig): void {
  const groups = computeGroups(c);
  if (c.warps % 4 !== 0 || groups < 1 || groups > 2) {
    badConfig(kernel, c, `warps must be 4 or 8 (one or two warpgroups)${c.producer ? ", plus 4 for the producer" : ""}`);
  }
}

/** Threads that copy the tiles: the producer's, or every thread of the block. */
export function loadingThreads(c: AttentionConfig): number {
  return c.producer ? PRODUCER_THREADS : c.warps * 32;
}

/** The tile loaders of a config (renderTileHelpers): the producer following `plan`, or none (every thread copies). */
export function producerLoaders(c: AttentionConfig, plan: ProducerPlan): Loaders | undefined {
  return c.producer ? { threads: PRODUCER_THREADS, rolled: plan.rolled } : undefined;
}

/** "2 computing warpgroups and a producer", for kernel summaries. */
export function describeWarpgroups(c: AttentionConfig): string {
  const groups = computeGroups(c);
  return `${groups} computing warpgroup${groups > 1 ? "s" : ""}${c.producer ? " and a producer" : ""}`;
}

/**
 * Registers every thread starts with: ptxas allocates the smaller of what the launch bounds allow (the 64K-register
 * file over the block's threads, a multiple of 8) and the kernel's setmaxnreg.inc value (at most 240 here). The nvcc
 * test checks this against ptxas's report.
 */
export function startRegisters(groups: number): number {
  return Math.min(240, Math.floor(65536 / ((groups + 1) * 128) / 8) * 8);
}

/**
 * Registers per computing thread (setmaxnreg.inc): setmaxnreg.inc can only take what the producer's setmaxnreg.dec
 * gave back from the start allocation (asking for more waits forever, as the H200 showed), shared by the computing
 * threads, at most 240.
 */
export function computeRegisters(groups: number, plan: ProducerPlan): number {
  const start = startRegisters(groups);
  const freed = (start - plan.registers) * PRODUCER_THREADS;
  return Math.min(240, start + Math.floor(freed / (groups * 128) / 8) * 8);
}

/** One array of mbarriers: `stages` of them, each completing after `arrivals` arrivals (a C++ expression). */
export interface MBarrierArray {
  readonly name: string;
  readonly stages: number;
  readonly arrivals: "PRODUCER" | "COMPUTE";
}

/** Bytes the mbarriers take in shared memory (8 each). */
export function mbarrierBytes(arrays: readonly MBarrierArray[]): number {
  return 8 * arrays.reduce((n, a) => n + a.stages, 0);
}

/**
 * Kernel statements, once `smem` is known: a pointer per array into shared memory from BAR_OFFSET, thread 0
 * initializing every mbarrier, and the block barrier that publishes them.
 */
export function mbarrierSetup(arrays: readonly MBarrierArray[]): string {
  let offset = 0;
  const pointers = arrays.map((a) => {
    const line = `  unsigned long long* ${a.name} = reinterpret_cast<unsigned long long*>(smem + BAR_OFFSET) + ${offset};`;
    offset += a.stages;
    return line;
  });
  const count = (a: MBarrierArray) => (a.arrivals === "PRODUCER" ? `${PRODUCER_THREADS}` : "COMPUTE_THREADS");
  const inits = arrays.map((a) => `    for (int i = 0; i < ${a.stages}; ++i) mbar_init(${a.name} + i, ${count(a)});`);
  return `${pointers.join("\n")}
  if (threadIdx.x == 0) {
${inits.join("\n")}
  }
  __syncthreads();`;
}

/**
 * Constants the producer kernels use, given their computing warpgroups, producer plan, where the mbarriers start and
 * how many buffers a copied tile has.
 */
export function producerConstants(groups: number, plan: ProducerPlan, barOffset: number, stages: number):
  [string, string, number][] {
  return [["int", "STAGES", stages], ["int", "BAR_OFFSET", barOffset], ["int", "COMPUTE_GROUPS", groups],
    ["int", "COMPUTE_THREADS", groups * 128],
    ["int", "PRODUCER_REGISTERS", plan.registers], ["int", "COMPUTE_REGISTERS", computeRegisters(groups, plan)]];
}

/** The primitives every producer kernel uses. */
export const PRODUCER_PRIMITIVES = ["mbar_init", "mbar_wait", "mbar_arrive", "cp_async_arrive", "named_sync",
  "setmaxnreg_inc", "setmaxnreg_dec"] as const;
