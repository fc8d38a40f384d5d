// What every backend's kernel generator hands the host-program emitter: one launch's device source and how to launch
// it. Shapes are static (the schedule specializes B and T), so sizes are baked into the code as constants and a
// kernel's parameters are only its buffers, in launch order.
// Invariants: `name` is a C identifier unique in the program (derived from the kernel's content hash); `code` defines
// `extern "C" __global__ void <name>(...)` taking `params` in order, and puts any helper it needs in
// `namespace <name>_detail { ... }` (so kernels never clash); it may use what the backend's prelude defines. A
// `libraryGemm` computes exactly what the kernel computes, on buffers among its `params`.

import { hashText } from "../ir/hash.ts";
import type { DType } from "../ir/dtype.ts";
import type { Graph } from "../ir/graph.ts";

/** A buffer a kernel reads or writes, in launch order. */
export interface KernelParam {
  readonly name: string;
  readonly dtype: DType;
  readonly access: "read" | "write" | "readwrite";
  /**
   * Where a buffer binds in parts (a WebGPU binding covers at most maxStorageBufferBindingSize bytes): this parameter
   * is bytes [index * bytes, (index + 1) * bytes) of the buffer, the last part shorter. Absent: the whole buffer.
   */
  readonly part?: { readonly index: number; readonly bytes: number };
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
  /** A vendor library GEMM that may run instead of this kernel (chosen at run time); absent: only the kernel. */
  readonly libraryGemm?: LibraryGemm;
}

/**
 * One GEMM problem, every size static: row-major C[b] = op(A)[b]·op(B)[b] with f32 accumulation, rounded once to
 * `outputDtype`. op(A) is [m,k] (stored [k,m] when `transposeA`), op(B) is [k,n] (stored [n,k] when `transposeB`, as a
 * linear layer's weight is); batch entries follow one another in each buffer, except that a broadcast operand is
 * stored once and serves every entry (batch stride 0).
 */
export interface GemmShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Number of independent products; 1 for a plain GEMM. */
  readonly batch: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly broadcastA: boolean;
  readonly broadcastB: boolean;
  /** Dtype of A and B. */
  readonly inputDtype: "bf16" | "f16" | "f32";
  /** Dtype of C: A's, or f32. */
  readonly outputDtype: "bf16" | "f16" | "f32";
}

/** A GEMM a vendor library (cuBLASLt on CUDA) can compute in place of a generated kernel, on the same buffers. */
export interface LibraryGemm extends GemmShape {
  /** Buffer names (among the kernel's params) of A, B and C. */
  readonly a: string;
  readonly b: string;
  readonly c: string;
  /** Device scratch the library may use per call, in bytes (the host's workspace arena holds at least this). */
  readonly workspaceBytes: number;
  /**
   * What the tuning DB chose, which the program runs without timing: TUNED_GENERATED (the kernel), or the index of a
   * cuBLASLt algorithm in its heuristic's list; absent: the program times both at start.
   */
  readonly tuned?: number;
}

/** LibraryGemm.tuned when the tuning DB chose the generated kernel (the runtime's kTunedGenerated). */
export const TUNED_GENERATED = -1;

/**
 * Workspace one launch of `source` needs from the host's shared workspace arena: its own scratch, or the library's
 * when a library may run it instead (the two never run at once, so the larger is enough).
 */
export function workspaceNeed(source: KernelSource): number {
  return Math.max(source.workspaceBytes ?? 0, source.libraryGemm?.workspaceBytes ?? 0);
}

/** Stands for a kernel's name in its code until namedByCode names it after that code. */
export const KERNEL_NAME = "TRAINC_KERNEL_NAME";

/**
 * Names a kernel after its code, `<kind>_<16 hex digits of sha256>` (the code writes KERNEL_NAME where the name goes):
 * equal code gets an equal name (the identical kernels of different layers are emitted once) and names never clash
 * across graphs.
 */
export function namedByCode(kind: string, source: Omit<KernelSource, "name">): KernelSource {
  const name = `${kind}_${hashText(source.code).slice(0, 16)}`;
  return { ...source, name, code: source.code.replaceAll(KERNEL_NAME, name) };
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
