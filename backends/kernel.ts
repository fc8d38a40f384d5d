// What every backend's kernel generator hands the host-program emitter: one launch's device source and how to launch
// it. Shapes are static (the schedule specializes B and T), so sizes are baked into the code as constants and a
// kernel's parameters are only its buffers, in launch order.
// Invariants: `name` is a C identifier unique in the program (derived from the kernel's content hash); `code` defines
// `extern "C" __global__ void <name>(...)` taking `params` in order, and puts any helper it needs in
// `namespace <name>_detail { ... }` (so kernels never clash); it may use what the backend's prelude defines.

import type { DType } from "../ir/dtype.ts";

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
}
