// The static memory plan of a compiled train step. Persistent buffers (parameters, gradient accumulators, optimizer
// state, the batch, scalar results) live in one state arena with an offset table; every other buffer lives in an
// activation arena shared by the step's graphs, placed by liveness over the kernel order so buffers whose lifetimes
// do not overlap share memory. Outputs named like an input of the same graph (acc.<name>, parameters, m.<name>,
// v.<name>) are updated in place when the kernel writing them reads the input only elementwise and last; otherwise
// they get a buffer of their own and a copy back after the graph (listed in `copies`).
// A target may store some dtypes wider than their IR width (WGSL stores bool as u32), may refuse in-place updates
// (WebGPU rejects a kernel binding one range as both an input and a writable output) and may bound its buffers' size
// (an arena is then several buffers): PlanOptions says so.
// Invariants: offsets are 256-byte aligned; two buffers of one arena overlap in memory only if their lifetimes do not
// overlap; aliases (reshapes) share their root's placement; with bufferBytes, no placement no longer than a buffer
// crosses a multiple of it (a longer one starts at one).

import { DTYPES, type DType } from "../../ir/dtype.ts";
import type { Kernel, Partition } from "./partition.ts";

export const ALIGN = 256;

export interface Placement {
  readonly arena: "state" | "activations";
  readonly offset: number;
  readonly bytes: number;
}

/** A graph's plan: where each of its buffers lives, and the outputs copied back onto their inputs afterwards. */
export interface GraphPlan {
  readonly graph: string;
  readonly placement: ReadonlyMap<string, Placement>;
  readonly copies: readonly { readonly from: string; readonly to: string; readonly bytes: number }[];
  /** Most activation bytes live at once (a lower bound on the arena). */
  readonly peakLive: number;
}

export interface MemoryPlan {
  readonly graphs: readonly GraphPlan[];
  /** Persistent tensors: graph inputs by name (shared by every graph that names them), outputs as `<graph>:<name>`. */
  readonly state: ReadonlyMap<string, Placement>;
  readonly stateBytes: number;
  readonly activationBytes: number;
  /** PlanOptions.bufferBytes: each arena is held as buffers of this size (the last shorter). */
  readonly bufferBytes?: number;
}

export function bytesOf(dtype: DType, numel: number): number {
  return Math.ceil((DTYPES[dtype].bits * numel) / 8);
}

/** How a target stores buffers. */
export interface PlanOptions {
  /** Bits one element of a dtype occupies on the device (default: the IR width). */
  readonly storedBits?: (dtype: DType) => number;
  /** Whether outputs may overwrite their input's placement (default true); false: each gets its own and a copy. */
  readonly inPlace?: boolean;
  /** Bytes every buffer's size is a multiple of (default 1; WebGPU binds and copies whole 4-byte words). */
  readonly granule?: number;
  /**
   * The largest device buffer, a multiple of 256 (default: unbounded): an arena longer than this is held as several
   * buffers of this size, so a placement must not cross from one into the next.
   */
  readonly bufferBytes?: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** The largest multiple of ALIGN not above n: the most bytes a device limit of n allows a buffer or a binding. */
export const alignDown = (n: number) => Math.floor(n / ALIGN) * ALIGN;

/** The first offset at or after `offset` where `bytes` fit without crossing a multiple of `buffer`. */
function fitting(offset: number, bytes: number, buffer: number | undefined): number {
  if (buffer === undefined || Math.floor(offset / buffer) === Math.floor((offset + Math.max(1, bytes) - 1) / buffer)) return offset;
  return offset % buffer === 0 ? offset : Math.ceil(offset / buffer) * buffer;
}

function numelOf(shape: readonly (number | string)[]): number {
  return shape.reduce<number>((a, d) => a * (d as number), 1);
}

/** Plans memory for the graphs of one train step, run one after another. */
export function planMemory(partitions: readonly Partition[], options: PlanOptions = {}): MemoryPlan {
  const state = new Map<string, Placement>();
  let stateBytes = 0;
  const slot = (name: string, bytes: number): Placement => {
    const known = state.get(name);
    if (known) return known;
    const placed: Placement = { arena: "state", offset: fitting(stateBytes, bytes, options.bufferBytes), bytes };
    stateBytes = placed.offset + align(bytes);
    state.set(name, placed);
    return placed;
  };
  const graphs = partitions.map((p) => planGraph(p, slot, options));
  return { graphs, state, stateBytes, activationBytes: Math.max(0, ...graphs.map(arenaSize)), bufferBytes: options.bufferBytes };
}

function arenaSize(plan: GraphPlan): number {
  let end = 0;
  for (const p of plan.placement.values()) if (p.arena === "activations") end = Math.max(end, p.offset + align(p.bytes));
  return end;
}

/** Every buffer a kernel reads: its graph's inputs and its extra reads (side buffers). */
export function reads(kernel: Kernel): string[] {
  return [...kernel.graph.inputs.map((i) => i.name), ...(kernel.extraReads ?? [])];
}

/** Every buffer a kernel writes: its graph's outputs and its extra writes. */
export function writes(kernel: Kernel): string[] {
  return [...kernel.graph.outputs.map((o) => o.name), ...(kernel.extraWrites ?? [])];
}

/** Kernel index of each buffer root's first write and last read (inputs are written at -1, outputs read at the end). */
function lifetimes(p: Partition): Map<string, [number, number]> {
  const life = new Map<string, [number, number]>();
  const touch = (name: string, k: number) => {
    const root = p.buffers.get(name)?.root ?? name;
    const span = life.get(root);
    life.set(root, span ? [Math.min(span[0], k), Math.max(span[1], k)] : [k, k]);
  };
  for (const i of p.source.inputs) touch(i.name, -1);
  p.kernels.forEach((kernel, k) => {
    for (const name of [...reads(kernel), ...writes(kernel)]) touch(name, k);
  });
  for (const buffer of p.outputs.values()) touch(buffer, p.kernels.length);
  return life;
}

/** Whether output buffer `out` can overwrite input `input` in place (see the file header). */
function inPlace(p: Partition, input: string, out: string): boolean {
  const writer = p.kernels.findIndex((k) => writes(k).includes(out));
  if (writer < 0) return false;
  const kernel = p.kernels[writer]!;
  if (kernel.kind !== "fused" && kernel.kind !== "adamw") return false;
  const readers = p.kernels.flatMap((k, i) => (reads(k).some((x) => (p.buffers.get(x)?.root ?? x) === input) ? [i] : []));
  if (readers.some((i) => i > writer)) return false;
  const direct = kernel.graph.inputs.find((x) => x.name === input);
  if (!direct) return readers.length === 0;
  return kernel.graph.nodes.every((n) => !n.args.includes(direct.id) || !["broadcast", "transpose", "slice", "reshape"].includes(n.op));
}

function planGraph(p: Partition, slot: (name: string, bytes: number) => Placement, options: PlanOptions): GraphPlan {
  const bits = options.storedBits ?? ((dtype: DType) => DTYPES[dtype].bits);
  const placement = new Map<string, Placement>();
  const copies: { from: string; to: string; bytes: number }[] = [];
  const sizeOf = (name: string) => {
    const t = p.buffers.get(name)?.type ?? p.source.types[p.source.inputs.find((i) => i.name === name)!.id]!;
    const granule = options.granule ?? 1;
    return Math.ceil((bits(t.dtype) * numelOf(t.shape)) / 8 / granule) * granule;
  };
  for (const input of p.source.inputs) placement.set(input.name, slot(input.name, sizeOf(input.name)));
  const inputNames = new Set(p.source.inputs.map((i) => i.name));
  for (const [output, buffer] of p.outputs) {
    const root = p.buffers.get(buffer)?.root ?? buffer;
    if (placement.has(root)) continue;
    if (inputNames.has(output) && options.inPlace !== false && inPlace(p, output, root)) {
      placement.set(root, placement.get(output)!);
    } else if (inputNames.has(output)) {
      placement.set(root, slot(`${p.source.name}:${output}:next`, sizeOf(root)));
      copies.push({ from: root, to: output, bytes: sizeOf(root) });
    } else {
      placement.set(root, slot(`${p.source.name}:${output}`, sizeOf(root)));
    }
  }
  const life = lifetimes(p);
  const free = [...life.keys()].filter((root) => !placement.has(root));
  const placed: { offset: number; bytes: number; span: [number, number] }[] = [];
  free.sort((a, b) => sizeOf(b) - sizeOf(a) || life.get(a)![0] - life.get(b)![0]);
  for (const root of free) {
    const span = life.get(root)!;
    const bytes = sizeOf(root);
    const clashes = placed.filter((q) => q.span[0] <= span[1] && span[0] <= q.span[1]).sort((x, y) => x.offset - y.offset);
    let offset = 0;
    for (const q of clashes) {
      if (offset + align(bytes) <= q.offset) break;
      offset = fitting(Math.max(offset, q.offset + align(q.bytes)), bytes, options.bufferBytes);
    }
    placed.push({ offset, bytes, span });
    placement.set(root, { arena: "activations", offset, bytes });
  }
  for (const [name, buffer] of p.buffers) if (buffer.root !== name) placement.set(name, placement.get(buffer.root)!);
  return { graph: p.source.name, placement, copies, peakLive: peakLive(free.map((r) => ({ span: life.get(r)!, bytes: sizeOf(r) })), p.kernels.length) };
}

function peakLive(items: readonly { span: [number, number]; bytes: number }[], kernels: number): number {
  let peak = 0;
  for (let k = 0; k < kernels; k++) {
    peak = Math.max(peak, items.reduce((sum, it) => sum + (it.span[0] <= k && k <= it.span[1] ? it.bytes : 0), 0));
  }
  return peak;
}
