// A CUDA training program before it is written out: the schedule of each graph of the specialized train-step module
// (legalized for the CUDA kernels, then partition + side buffers + in-place results + the attention kernels' scratch), its memory plan, and every kernel rendered to CUDA.
// The host emitter (backends/cuda/host.ts) turns this into main.cu; the report (kernel list, predicted memory, FLOPs
// per step) is read off it.
// Invariants: every buffer a KernelSource names is in its graph's placement; the workspace arena is as large as the
// largest kernel scratch, or cuBLASLt's workspace beside a GEMM (kernels run one at a time, so they share it).

import type { Module } from "../../ir/graph.ts";
import { workspaceNeed, type KernelSource } from "../kernel.ts";
import { planMemory, type GraphPlan, type MemoryPlan } from "../schedule/memory.ts";
import { partition, type Kernel, type Partition } from "../schedule/partition.ts";
import { shareInPlace } from "../schedule/in-place.ts";
import { addScratch, addSideBuffers, type Scratch } from "../schedule/side-buffers.ts";
import type { ArchFeatures } from "./build.ts";
import { attentionScratch, renderKernel } from "./kernels.ts";
import { legalizeForCuda } from "./legalize.ts";
import { UNTUNED, type Tuned } from "../tunable.ts";

export interface CompiledKernel {
  readonly kernel: Kernel;
  readonly sources: readonly KernelSource[];
}

export interface CompiledGraph {
  readonly name: string;
  readonly partition: Partition;
  readonly plan: GraphPlan;
  readonly kernels: readonly CompiledKernel[];
  /** FLOPs of one run of the graph (sum over its kernels). */
  readonly flops: number;
}

export interface CudaProgram {
  readonly graphs: readonly CompiledGraph[];
  readonly memory: MemoryPlan;
  readonly workspaceBytes: number;
}

/**
 * How a kernel becomes device code: its sources in launch order, and the scratch buffers they pass between them. The
 * HIP target builds the same program with other hooks for the kernels CUDA writes in PTX (backends/hip/program.ts).
 */
export interface KernelHooks {
  readonly render: (kernel: Kernel) => KernelSource[];
  readonly scratchOf: (kernel: Kernel) => readonly Scratch[];
  /** Whether flex attention gets a block table (the CUDA kernels walk one; HIP's run flex as flash). */
  readonly blockTables: boolean;
}

/**
 * The CUDA target's hooks for an arch with `features`: backends/cuda/kernels.ts (tunable kernels as `tuned` says),
 * FlashAttention's backward scratch.
 */
export function cudaHooks(features: ArchFeatures, tuned: Tuned = UNTUNED): KernelHooks {
  return {
    render: (k) => renderKernel(k, features, tuned),
    scratchOf: (k) => (k.kind === "attention_grad" ? attentionScratch(k) : []),
    blockTables: true,
  };
}

/** Schedules, plans and renders a specialized train-step (or grads) module for CUDA (or, with its hooks, HIP). */
export function buildCudaProgram(module: Module, hooks: KernelHooks): CudaProgram {
  const partitions = legalizeForCuda(module, hooks.blockTables).graphs.map((g) => addScratch(shareInPlace(addSideBuffers(partition(g))), hooks.scratchOf));
  const memory = planMemory(partitions);
  const graphs = partitions.map((p, i): CompiledGraph => {
    const kernels = p.kernels.map((kernel) => ({ kernel, sources: hooks.render(kernel) }));
    const flops = kernels.reduce((n, k) => n + k.sources.reduce((m, s) => m + s.flops, 0), 0);
    return { name: p.source.name, partition: p, plan: memory.graphs[i]!, kernels, flops };
  });
  const workspaceBytes = Math.max(0, ...graphs.flatMap((g) => g.kernels.flatMap((k) => k.sources.map(workspaceNeed))));
  return { graphs, memory, workspaceBytes };
}
