// The search spaces of the CUDA attention kernels (forward, and the backward as its launches together): tiles (Br
// query rows x Bc keys), warps, and for 16-bit on sm_90a the mainloop (wgmma or mma.sync), a producer warpgroup, and
// in the backward the blocked dQ accumulator and three query stages, flattened to integers (0 / 1 for the switches,
// 0 for an absent query-stage count). A config is a candidate when the generators accept it (their checks cover warp
// layouts, registers and shared memory, 5306-5307), so the candidates are enumerated by rendering, lazily (a compile
// with nothing tuned never needs them). The heuristic is the default config of the lowering (defaultForwardConfig,
// defaultBackwardConfig). The cost model counts the padded tiles' work against the tensor cores' rate.
// Invariants: the heuristic is a candidate, first; a flat config maps to one AttentionConfig and back.

import { TraincError } from "../../../compiler/diagnostics.ts";
import { enumerate, kernelContentHash, rooflineSeconds, type Ceilings, type SearchSpace } from "../../tunable.ts";
import type { KernelSource } from "../../kernel.ts";
import type { Kernel } from "../../schedule/partition.ts";
import { isHalf } from "../half.ts";
import { describeConfig, elementBytes, forwardFlops, type AttentionConfig, type AttentionSpec } from "./spec.ts";

/** Bumped whenever the space or the kernels its configs render change. */
const VERSION = 1;

/** An attention config as a flat record of integers (see the header). */
export type FlatAttentionConfig = {
  readonly Br: number; readonly Bc: number; readonly warps: number; readonly wgmma: number; readonly producer: number;
  readonly dqBlocked: number; readonly queryStages: number;
};

export function flatAttention(c: AttentionConfig): FlatAttentionConfig {
  return {
    Br: c.Br, Bc: c.Bc, warps: c.warps, wgmma: c.mainloop === "wgmma" ? 1 : 0, producer: c.producer ? 1 : 0,
    dqBlocked: c.dqBlocked ? 1 : 0, queryStages: c.queryStages ?? 0,
  };
}

export function attentionConfig(f: FlatAttentionConfig, half: boolean): AttentionConfig {
  return {
    Br: f.Br, Bc: f.Bc, warps: f.warps, ...(half ? { mainloop: f.wgmma ? "wgmma" as const : "mma" as const } : {}),
    ...(f.producer ? { producer: true } : {}), ...(f.dqBlocked ? { dqBlocked: true } : {}),
    ...(f.queryStages ? { queryStages: f.queryStages as 2 | 3 } : {}),
  };
}

/** The axes of a pass: the 16-bit switches only where they exist (wgmma on sm_90a, dQ and query stages backward). */
function axesOf(s: AttentionSpec, backward: boolean, wgmma: boolean): Record<keyof FlatAttentionConfig, number[]> {
  const half = isHalf(s.dtype);
  const switches = half && wgmma ? [0, 1] : [0];
  return {
    Br: half ? [32, 64, 128] : [16, 32, 64], Bc: half ? [32, 64, 128] : [16, 32, 64], warps: half ? [4, 8, 12] : [2, 4, 8, 16],
    wgmma: switches, producer: switches, dqBlocked: backward ? switches : [0], queryStages: backward && half && wgmma ? [0, 3] : [0],
  };
}

/**
 * The search space of an attention (forward) or attention_grad (backward) kernel: `render` draws a config's sources
 * (renamed to the schedule's buffers), `heuristic` is the lowering's default, `buffers` what measuring it needs to know
 * of its buffers (lse and the backward's scratch beyond the kernel's graph, the document ranges among its inputs).
 */
export function attentionSpace(kernel: Kernel, s: AttentionSpec, wgmma: boolean, heuristic: AttentionConfig,
  render: (c: AttentionConfig) => KernelSource[], buffers: Pick<SearchSpace, "sideBuffers" | "documentRanges">): SearchSpace<FlatAttentionConfig> {
  const backward = kernel.kind === "attention_grad";
  const half = isHalf(s.dtype);
  const axes = axesOf(s, backward, wgmma);
  const draw = (f: FlatAttentionConfig) => render(attentionConfig(f, half));
  const valid = (f: FlatAttentionConfig): boolean => {
    try {
      draw(f);
      return true;
    } catch (e) {
      if (e instanceof TraincError) return false;
      throw e;
    }
  };
  const flops = (backward ? 2.5 : 1) * forwardFlops(s);
  const bytes = (backward ? 2 : 1) * 4 * s.B * s.Tq * s.Hq * s.D * elementBytes(s);
  const first = flatAttention(heuristic);
  let candidates: FlatAttentionConfig[] | undefined;
  return {
    id: `cuda-attention-${backward ? "backward" : "forward"}/${VERSION}`, kernelHash: kernelContentHash(kernel),
    problem: `attention ${backward ? "backward" : "forward"} ${s.dtype} B=${s.B} T=${s.Tq} H=${s.Hq}/${s.Hk} D=${s.D}` +
      `${s.causal ? " causal" : ""}${s.documents ? " documents" : ""}`,
    axes, heuristic: first, flops, bytes, ...buffers,
    get candidates() {
      return (candidates ??= enumerate(axes, valid, first));
    },
    describe: (f) => describeConfig(attentionConfig(f, half)),
    render: draw,
    predict: (f: FlatAttentionConfig, c: Ceilings) => {
      const padding = (Math.ceil(s.Tq / f.Br) * f.Br * Math.ceil(s.Tk / f.Bc) * f.Bc) / (s.Tq * s.Tk);
      return rooflineSeconds(flops * padding, bytes, c);
    },
  };
}
