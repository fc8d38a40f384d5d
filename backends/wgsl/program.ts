// A WebGPU training program before it is written out: each graph of the specialized train-step (or grads) module,
// legalized for WGSL (i64 made i32), partitioned, with fused kernels cut to the device's buffers per kernel,
// attention's side and scratch buffers added; its memory plan (bool stored as u32; outputs never overwrite their
// inputs in place, since WebGPU rejects a kernel that binds one range as an input and as a writable output, so updated
// state is copied back after the graph) and every kernel rendered to WGSL. The host emitter (backends/wgsl/host.ts)
// writes this out as an ES module.
// A tensor larger than the device's storage binding size binds in parts (accessors.ts), each part counting as a
// binding; an arena larger than the device's buffer size is held as several buffers (bufferBytes each), no tensor
// crossing from one into the next.
// Invariants: every buffer a KernelSource names is in its graph's placement; no binding exceeds the device's storage
// binding size, no tensor its buffer size and no kernel its storage buffers per stage (E5705 otherwise, naming the
// limit; fused kernels are cut to fit, anchor kernels cannot be: attention's backward binds 8, WebGPU's default).
//
// Error codes defined here:
//   5705  a kernel binding more buffers, or a tensor larger, than the WebGPU device allows

import { fail } from "../../compiler/diagnostics.ts";
import { DTYPES, type DType } from "../../ir/dtype.ts";
import type { Module, TensorType } from "../../ir/graph.ts";
import { numel } from "../../ir/tensor.ts";
import type { CompiledGraph } from "../cuda/program.ts";
import { alignDown, planMemory, type MemoryPlan } from "../schedule/memory.ts";
import { partition } from "../schedule/partition.ts";
import { addScratch, addSideBuffers, rowStatsScratch } from "../schedule/side-buffers.ts";
import { splitByBuffers } from "../schedule/split.ts";
import { renderWgslKernel } from "./kernels.ts";
import { UNTUNED, type Tuned } from "../tunable.ts";
import { legalizeForWgsl } from "./legalize.ts";
import { partBytesFor, partsOf, bindAccessors } from "./accessors.ts";
import { shareViews } from "./views.ts";
import type { WgslFeature } from "./language.ts";

/** What the device allows: its limits, and whether it offers subgroups. */
export interface WgslLimits {
  /** maxStorageBuffersPerShaderStage. */
  readonly maxBuffers: number;
  /** maxStorageBufferBindingSize: the largest binding (a larger tensor binds in parts). */
  readonly maxBindingBytes: number;
  /** maxBufferSize: the largest buffer (a larger arena is several; a tensor must fit one). */
  readonly maxBufferBytes: number;
  /** The `subgroups` feature: workgroup reductions then go through subgroup operations. */
  readonly subgroups: boolean;
  /** The `shader-f16` feature: f16 tensors (an fp16 run) are stored in 16 bits. */
  readonly f16: boolean;
}

export interface WgslProgram {
  readonly graphs: readonly CompiledGraph[];
  readonly memory: MemoryPlan;
  /** Bytes of each part of a tensor that binds in parts (KernelParam.part), and of each piece of a larger copy. */
  readonly partBytes: number;
  /** The optional WebGPU features the kernels use, which the device must have been created with. */
  readonly features: readonly WgslFeature[];
}

/** Bits one element of `dtype` occupies on a WebGPU device: 16 for f16, 32 for everything else the target stores. */
export function wgslStoredBits(dtype: DType): number {
  return dtype === "f16" ? 16 : Math.max(32, DTYPES[dtype].bits);
}

function checkLimits(memory: MemoryPlan, graphs: readonly CompiledGraph[], limits: WgslLimits): void {
  const fix = "train a smaller model or a shorter sequence_len / micro_batch_size on wgsl, or use --target cuda";
  for (const g of graphs) {
    for (const source of g.kernels.flatMap((k) => k.sources)) {
      if (source.params.length > limits.maxBuffers) {
        const parted = source.params.some((p) => p.part) ? ` (tensors over ${limits.maxBindingBytes} bytes, ` +
          "maxStorageBufferBindingSize, bind in parts)" : "";
        fail(5705, `kernel ${source.name} of ${g.name} binds ${source.params.length} storage buffers${parted}, more than ` +
          `this WebGPU device's maxStorageBuffersPerShaderStage (${limits.maxBuffers})`,
          parted ? fix : "train on a device that offers more (most desktop GPUs do)");
      }
    }
  }
  for (const plan of memory.graphs) {
    for (const [name, placed] of plan.placement) {
      if (placed.bytes > memory.bufferBytes!) {
        fail(5705, `tensor ${name} of ${plan.graph} needs ${placed.bytes} bytes, more than this WebGPU device's ` +
          `maxBufferSize (${limits.maxBufferBytes} bytes)`, fix);
      }
    }
  }
}

/** Schedules, plans and renders a specialized train-step (or grads) module for WebGPU, tunable kernels as `tuned` says. */
export function buildWgslProgram(module: Module, limits: WgslLimits, tuned: Tuned = UNTUNED): WgslProgram {
  const partBytes = partBytesFor(limits.maxBindingBytes);
  const weight = (t: TensorType) => partsOf(numel(t.shape as number[]) * wgslStoredBits(t.dtype) / 8, partBytes);
  const partitions = legalizeForWgsl(module).graphs
    .map((g) => addScratch(addSideBuffers(splitByBuffers(partition(g), limits.maxBuffers, weight)), rowStatsScratch));
  const memory = planMemory(partitions, {
    storedBits: wgslStoredBits, inPlace: false, granule: 4, bufferBytes: alignDown(limits.maxBufferBytes),
  });
  const graphs = partitions.map((p, i): CompiledGraph => {
    const plan = memory.graphs[i]!;
    const parts = (param: { name: string }) => partsOf(plan.placement.get(param.name)!.bytes, partBytes);
    const kernels = p.kernels.map((kernel) => ({
      kernel, sources: renderWgslKernel(kernel, limits.subgroups, tuned)
        .map((s) => bindAccessors(shareViews(s, (param) => plan.placement.get(param.name)), parts, partBytes)),
    }));
    const flops = kernels.reduce((n, k) => n + k.sources.reduce((m, s) => m + s.flops, 0), 0);
    return { name: p.source.name, partition: p, plan, kernels, flops };
  });
  checkLimits(memory, graphs, limits);
  const codes = graphs.flatMap((g) => g.kernels.flatMap((k) => k.sources.map((s) => s.code)));
  const f16 = codes.some((code) => /\bf16\b/.test(code));
  if (f16 && !limits.f16) {
    fail(5700, "this program stores f16 tensors (fp16: true), and this WebGPU device does not offer shader-f16",
      "train with fp16: false (f32) on this device, or use one whose adapter has shader-f16");
  }
  const subgroups = codes.some((code) => code.includes("subgroupAdd("));
  const features: WgslFeature[] = [...(subgroups ? ["subgroups" as const] : []), ...(f16 ? ["shader-f16" as const] : [])];
  return { graphs, memory, partBytes, features };
}
