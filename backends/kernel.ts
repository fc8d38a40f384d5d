// What every backend's kernel generator hands the host-program emitter: one launch's device source and how to launch
// it. Shapes are static (the schedule specializes B and T), so sizes are baked into the code as constants and a
// kernel's parameters are only its buffers, in launch order.
// Invariants: `name` is a C identifier unique in the program (derived from the kernel's content hash); `code` defines
// `extern "C" __global__ void <name>(...)` taking `params` in order, and puts any helper it needs in
// `namespace <name>_detail { ... }` (so kernels never clash); it may use what the backend's prelude defines.

import type { DType } from "../ir/dtype.ts";
import type { Graph } from "../ir/graph.ts";

/** A buffer a kernel reads or writes, in launch order. */
export interface KernelParam {
  readonly name: string;
  readonly dtype: DType;
  readonly access: "read" | "write" | "readwrite";
}

/** One rendered kernel: device source plus its launch configuration and cost. */
export interface KernelSource {
  readonly name: string;
  readonly code: string;
  readonly params: readonly KernelParam[];
  readonly grid: readonly [number, number, number];
  readonly block: readonly [number, number, number];
  /** Dynamic shared memory per block, in bytes (above 48 KiB the host raises the kernel's limit first). */
  readonly sharedBytes: number;
  /** Useful floating-point operations of one launch (multiply-add = 2), for the report and the roofline. */
  readonly flops: number;
  /** Bytes one launch must move at the least (each input read once, each output written once). */
  readonly bytes: number;
  /**
   * Scratch memory the kernel needs, in bytes (0 or absent: none). When present, the kernel takes one more parameter
   * after `params`, `void* workspace`, which the host zeroes (cudaMemsetAsync) before every launch.
   */
  readonly workspaceBytes?: number;
}

/**
 * The parameters of a kernel rendered from a schedule kernel (backends/schedule/partition.ts): its graph's inputs in
 * order (read), then its graph's outputs in order (written), each named by its buffer name. Every generator uses this
 * order, so the host emitter binds buffers the same way for all kernels.
 */
export function kernelParams(graph: Graph): KernelParam[] {
  return [
    ...graph.inputs.map((i) => ({ name: i.name, dtype: graph.types[i.id]!.dtype, access: "read" as const })),
    ...graph.outputs.map((o) => ({ name: o.name, dtype: graph.types[o.id]!.dtype, access: "write" as const })),
  ];
}
