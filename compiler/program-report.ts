// What every GPU target's `trainc compile` report holds about a compiled train step: the parameter count, the FLOPs
// of one optimizer step (micro steps times gradient_accumulation_steps, plus the optimizer step), and every launch
// (graph, schedule kernel, kind, source, FLOPs, bytes, grid, block, shared memory; @eval_step's too, which the count of
// launches per step leaves out). Each target adds its own fields
// (target, arch, memory, binary) around these.
// Invariant: kernels are listed graph by graph in launch order.

import type { CompiledGraph } from "../backends/cuda/program.ts";
import { countParameters, type Plan } from "./plan.ts";

/** Kernel launches of one training step (without the evaluation graph's), from a report's kernel list. */
export function launchesPerStep(kernels: readonly { readonly graph: string }[]): number {
  return kernels.filter((k) => k.graph !== "eval_step").length;
}

/** The report fields every GPU target shares. */
export function stepReport(graphs: readonly CompiledGraph[], plan: Plan): Record<string, unknown> {
  const flops = (name: string) => graphs.find((g) => g.name === name)?.flops ?? 0;
  return {
    parameters: countParameters(plan.model.parameterTypes),
    flops_per_step: flops("micro_step") * plan.config.gradient_accumulation_steps + flops("optimizer_step"),
    kernels: graphs.flatMap((g) => g.kernels.flatMap((k) => k.sources.map((s) => ({
      graph: g.name, kernel: k.kernel.name, kind: k.kernel.kind, source: s.name, flops: s.flops, bytes: s.bytes,
      grid: s.grid, block: s.block, shared_bytes: s.sharedBytes,
    })))),
  };
}
