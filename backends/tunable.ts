// What a kernel template declares about its tunable configurations: a search space. A space belongs to one schedule
// kernel on one target; it lists every config that can run the kernel (the heuristic default first), renders any of
// them, and predicts each one's time from the device's ceilings (the cost model the autotuner prunes with). Configs
// are flat records of numbers, so one neighbourhood rule (one axis moved to its next value) serves every template.
// The autotuner (autotune/) measures spaces and keeps results in the tuning DB; renderers ask a Tuned lookup for the
// config the DB chose, and render the heuristic when it has none.
// Invariants: `candidates[0]` is `heuristic`; candidates are distinct and in a fixed order (the order breaks ties);
// every candidate renders sources computing what the kernel's graph computes; `kernelHash` depends only on what the
// kernel computes (its graph with buffers named by position), never on buffer names, so the same GEMM in every layer
// shares one entry.

import { hashText } from "../ir/hash.ts";
import { printGraph } from "../ir/print.ts";
import type { KernelSource } from "./kernel.ts";
import type { Kernel } from "./schedule/partition.ts";

/** A tunable config: named integers (tile sizes, stages, ...), fields in a fixed order. */
export type Config = Readonly<Record<string, number>>;

/** What a device can do at best, measured: the roofline the cost model and the reports use. */
export interface Ceilings {
  /** Floating-point operations per second (multiply-add = 2) of the kernels' arithmetic. */
  readonly flopsPerSecond: number;
  /** Bytes per second between device memory and the cores. */
  readonly bytesPerSecond: number;
}

export interface SearchSpace<C extends Config = Config> {
  /** The template and its space's version (`wgsl-gemm/1`): a change to either makes earlier tunings stale. */
  readonly id: string;
  /** Content hash of the kernel the space tunes (kernelContentHash). */
  readonly kernelHash: string;
  /** The problem in words for tables and progress (`512x64x64 f32`). */
  readonly problem: string;
  /** The values each config field takes, in order (fields in config order). */
  readonly axes: Readonly<Record<string, readonly number[]>>;
  /** Every config that can run the kernel, the heuristic first. */
  readonly candidates: readonly C[];
  readonly heuristic: C;
  /** Useful FLOPs and least bytes of one run of the kernel (for the roofline). */
  readonly flops: number;
  readonly bytes: number;
  /**
   * Buffers the sources use beyond the kernel graph's inputs and outputs (attention's lse and scratch), by name: their
   * elements, and whether they are scratch (state between a candidate's launches, neither input nor result).
   */
  readonly sideBuffers?: readonly { readonly name: string; readonly count: number; readonly scratch: boolean }[];
  /**
   * The graph input holding document ranges [B, T, 2] (attention with documents), which measurements fill with one
   * document per row of `tokens` positions, as random values would not partition [0, T).
   */
  readonly documentRanges?: { readonly name: string; readonly tokens: number };
  /**
   * Sources that compute side buffers the candidates read (the forward pass before attention's backward on wgsl, whose
   * reference is the interpreter's), run untimed before a candidate is checked or timed.
   */
  readonly setup?: readonly KernelSource[];
  describe(config: C): string;
  render(config: C): KernelSource[];
  /** Predicted seconds of one run on a device with `ceilings` (a roofline with the config's padding and re-reads). */
  predict(config: C, ceilings: Ceilings): number;
}

/** The config the tuning DB chose for a space on this device, or undefined (the renderer then uses the heuristic). */
export type Tuned = <C extends Config>(space: SearchSpace<C>) => C | undefined;

/** The roofline: seconds of `flops` and `bytes` on a device with `ceilings`, whichever bound is slower. */
export function rooflineSeconds(flops: number, bytes: number, ceilings: Ceilings): number {
  return Math.max(flops / ceilings.flopsPerSecond, bytes / ceilings.bytesPerSecond);
}

/** A Tuned that knows nothing tuned: every space gets its heuristic. */
export const UNTUNED: Tuned = () => undefined;

/** The config to render for `space`: what `tuned` says, else the heuristic. */
export function tunedOrHeuristic<C extends Config>(space: SearchSpace<C>, tuned: Tuned): C {
  return tuned(space) ?? space.heuristic;
}

/** Equal configs: the same value in every field. */
export function sameConfig(a: Config, b: Config): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** The config as text with its fields in order, e.g. `bm=64 bn=64 bk=16`. */
export function configText(config: Config): string {
  return Object.entries(config).map(([k, v]) => `${k}=${v}`).join(" ");
}

/**
 * Every combination of the axes' values that `valid` accepts, `first` put first (it must be among them), in the order
 * of the axes (last axis fastest).
 */
export function enumerate<C extends Config>(axes: Readonly<Record<string, readonly number[]>>, valid: (c: C) => boolean,
  first: C): C[] {
  let combos: Record<string, number>[] = [{}];
  for (const [name, values] of Object.entries(axes)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  const rest = (combos as C[]).filter((c) => valid(c) && !sameConfig(c, first));
  if (!valid(first)) throw new Error(`enumerate: the first config ${configText(first)} is not valid`);
  return [first, ...rest];
}

/**
 * Content hash of what a kernel computes: its kind and graph printed with its inputs and outputs named by position,
 * and how many side buffers it reads and writes.
 */
export function kernelContentHash(kernel: Kernel): string {
  const g = kernel.graph;
  const positional = {
    ...g, name: "kernel",
    inputs: g.inputs.map((v, i) => ({ ...v, name: `in${i}` })),
    outputs: g.outputs.map((v, i) => ({ ...v, name: `out${i}` })),
  };
  const sides = `reads ${kernel.extraReads?.length ?? 0} writes ${kernel.extraWrites?.length ?? 0}`;
  return hashText(`${kernel.kind}\n${sides}\n${printGraph(positional)}`);
}
