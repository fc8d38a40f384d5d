// A HIP training program: the CUDA target's program (backends/cuda/program.ts: schedule, memory plan, host code and
// runtime) with other hooks for the kernels CUDA writes in PTX: matmul (backends/hip/gemm.ts) and attention
// (backends/hip/attention.ts, with the row-statistics scratch). Every other kernel is the CUDA one; the build
// compiles it as HIP through the CUDA-name table (backends/hip/cuda-shim, backends/hip/toolchain.ts).
// Invariant: no kernel of a HIP program holds PTX, and none offers a vendor-library GEMM (no cuBLASLt on AMD GPUs).

import type { Module } from "../../ir/graph.ts";
import { buildCudaProgram, type CudaProgram, type KernelHooks } from "../cuda/program.ts";
import { archFeatures } from "../cuda/build.ts";
import { renderKernel } from "../cuda/kernels.ts";
import type { Kernel } from "../schedule/partition.ts";
import { rowStatsScratch } from "../schedule/side-buffers.ts";
import { renderPortableAttention, renderPortableAttentionGrad } from "./attention.ts";
import { renderPortableMatmul } from "./gemm.ts";

function render(kernel: Kernel) {
  switch (kernel.kind) {
    case "matmul": return [renderPortableMatmul(kernel)];
    case "attention": return renderPortableAttention(kernel);
    case "attention_grad": return renderPortableAttentionGrad(kernel);
    default: return renderKernel(kernel, archFeatures("gfx90a"));
  }
}

export const HIP_HOOKS: KernelHooks = {
  render,
  scratchOf: rowStatsScratch,
  blockTables: false,
};

/** Schedules, plans and renders a specialized train-step (or grads) module for HIP. */
export function buildHipProgram(module: Module): CudaProgram {
  return buildCudaProgram(module, HIP_HOOKS);
}
