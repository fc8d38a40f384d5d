// The search spaces of the C-style generators' kernels (fused.ts) in one language: a fused kernel's threads per
// block, vector lanes and cap on blocks; a reduce kernel's threads per block and split count (its strategy follows
// from the shapes). Thread counts run from 64 to the language's maximum; lanes are the powers of two up to the widest
// vector the kernel can use; caps above what a kernel needs are one config (the smallest of them); splits are powers
// of two up to a pass of rows per split and four blocks per job for a full GPU (MAX_BLOCKS), and only where the
// reduction may split (sums and means with float atomics).
// These kernels are memory-bound and their configs move the same bytes, so the cost model predicts every config at
// the roofline: it prunes nothing, and the search orders candidates by the space's order and their measured
// neighbours.
// Invariants: the heuristic (fusedHeuristic, reduceHeuristic) is a candidate, first; the space's id carries the
// language's name (wgsl and wgsl+subgroups render different reductions).

import { enumerate, kernelContentHash, rooflineSeconds, type SearchSpace } from "../tunable.ts";
import type { Kernel } from "../schedule/partition.ts";
import {
  BLOCK_CAPS, MAX_BLOCKS, fusedBlocksNeeded, fusedHeuristic, fusedLimits, reduceHeuristic, reducePlan, renderFused, renderReduce,
  rowsPerPass, type FusedConfig, type ReduceConfig,
} from "./fused.ts";
import type { Language } from "./language.ts";

/** Each space's version, bumped whenever it or the kernels its configs render change (a bump re-searches its kernels). */
const FUSED_VERSION = 2;
const REDUCE_VERSION = 2;

const powersOfTwo = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to; v *= 2) out.push(v);
  return out;
};

/** `fused 12x2048 bf16, f32 -> bf16, 7 ops`: the output's shape, the dtypes read and written, the op count. */
function problemOf(kernel: Kernel): string {
  const g = kernel.graph;
  const dtypes = (vs: readonly { id: number }[]) => [...new Set(vs.map((v) => g.types[v.id]!.dtype))].join(", ");
  const shape = (g.types[g.outputs[0]!.id]!.shape as number[]).join("x");
  const reads = g.inputs.length > 0 ? `${dtypes(g.inputs)} ` : "";
  return `${kernel.kind} ${shape || "scalar"} ${reads}-> ${dtypes(g.outputs)}, ${g.nodes.length} ops`;
}

/** The search space of a `fused` kernel in `lang`. */
export function fusedSpace(kernel: Kernel, lang: Language): SearchSpace<FusedConfig> {
  const limits = fusedLimits(kernel, lang);
  const axes = {
    threads: powersOfTwo(64, lang.maxThreads),
    lanes: powersOfTwo(1, limits.lanes),
    blocks: BLOCK_CAPS,
  };
  const valid = (c: FusedConfig) => {
    const needed = fusedBlocksNeeded(limits.n, c);
    return c.blocks < needed || c.blocks === BLOCK_CAPS.find((b) => b >= needed);
  };
  const heuristic = fusedHeuristic(kernel, lang);
  return {
    id: `${lang.name}-fused/${FUSED_VERSION}`, kernelHash: kernelContentHash(kernel), problem: problemOf(kernel), axes,
    candidates: enumerate(axes, valid, heuristic), heuristic, flops: limits.flops, bytes: limits.bytes,
    describe: (c) => `${c.threads} threads x ${c.lanes} lanes, <= ${c.blocks} blocks`,
    render: (c) => [renderFused(kernel, lang, c)],
    predict: (_c, ceilings) => rooflineSeconds(limits.flops, limits.bytes, ceilings),
  };
}

/** The search space of a `reduce` kernel in `lang`. */
export function reduceSpace(kernel: Kernel, lang: Language): SearchSpace<ReduceConfig> {
  const plan = reducePlan(kernel, lang);
  const axes = { threads: powersOfTwo(64, lang.maxThreads), splits: plan.splittable ? powersOfTwo(1, 4096) : [1] };
  const valid = (c: ReduceConfig) => c.splits === 1 ||
    (c.splits <= Math.ceil(plan.count / rowsPerPass(plan, c.threads)) && plan.jobs * c.splits <= 4 * MAX_BLOCKS);
  const heuristic = reduceHeuristic(kernel, lang);
  return {
    id: `${lang.name}-reduce/${REDUCE_VERSION}`, kernelHash: kernelContentHash(kernel),
    problem: `${problemOf(kernel)} (${plan.strategy} strategy, ${plan.count} per output)`, axes,
    candidates: enumerate(axes, valid, heuristic), heuristic, flops: plan.flops, bytes: plan.bytes,
    describe: (c) => `${c.threads} threads${c.splits > 1 ? `, ${c.splits} blocks per ${plan.strategy === "column" ? "32 outputs" : "output"}` : ""}`,
    render: (c) => [renderReduce(kernel, lang, c)],
    predict: (_c, ceilings) => rooflineSeconds(plan.flops, plan.bytes, ceilings),
  };
}
