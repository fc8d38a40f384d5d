// Entry points of the CUDA attention kernel generators, called by backends/schedule for `attention` and
// `attention_grad` nodes: renderAttentionForward (one kernel: out and lse) and renderAttentionBackward (kernels in
// launch order: prep -> main -> [dq epilogue for bf16 / f16]), the default tile configs, and the buffers the schedule must
// provide beyond the op's operands and results (lse from forward to backward; delta and, for bf16 / f16, dq_accum scratch).
// Invariants: every kernel parameter is one of: q, k, v, ranges, blocks, out, lse, dout, delta, dq_accum, dq, dk, dv;
// specs are checked (5301-5305) and configs checked (5306-5307) before anything is rendered.

import type { KernelSource } from "../../kernel.ts";
import { renderBackwardMma } from "./backward-mma.ts";
import { renderBackwardWgmma } from "./backward-wgmma.ts";
import { dqAccumulator, dqScratchFloats, renderBackwardDq, renderBackwardPrep } from "./backward-prep.ts";
import { renderBackwardSimt } from "./backward-simt.ts";
import { renderForwardMma } from "./forward-mma.ts";
import { renderForwardWgmma } from "./forward-wgmma.ts";
import { renderForwardSimt } from "./forward-simt.ts";
import { ATTENTION_BLOCK } from "../../../ir/ops/model.ts";
import { isHalf } from "../half.ts";
import { badConfig, checkSpec, type AttentionConfig, type AttentionSpec } from "./spec.ts";

export type { AttentionConfig, AttentionSpec } from "./spec.ts";

/**
 * Default forward tiles (bf16 and f16 alike). 16-bit with wgmma (sm_90a): at D = 128, 128 query rows (two computing warpgroups) x 128 keys
 * with a producer warpgroup (the H200 lab, causal: 601 / 527 TFLOP/s at T = 16k / 4k, against 449 / 399 without the
 * producer, 377 / 350 for mma.sync, 618 / 570 for cuDNN); at D = 64, 64 x 128 on one warpgroup without a producer
 * (379 against 341 with one and 314 for mma.sync at the Llama-3.2-1B shape; 245 against 189 and 179 with documents).
 * 16-bit on mma.sync:
 * FA2's choice for head dims 64 and 128 on sm80+ and the largest that ptxas fits without spills (253 registers at
 * D = 128): 128 query rows x 64 keys on 4 warps (two m16 tiles per warp; 128 keys at D = 64, see
 * defaultBackwardConfig). f32: 64 x 64 on 8 warps (32 x 32 for D > 128).
 */
export function defaultForwardConfig(s: AttentionSpec, wgmma = false): AttentionConfig {
  if (isHalf(s.dtype) && wgmma) {
    return s.D <= 64
      ? { Br: 64, Bc: 128, warps: 4, mainloop: "wgmma" }
      : { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true };
  }
  if (isHalf(s.dtype)) return s.D <= 64 ? { Br: 128, Bc: 128, warps: 4 } : { Br: 128, Bc: 64, warps: 4 };
  return s.D > 128 ? { Br: 32, Bc: 32, warps: 4 } : { Br: 64, Bc: 64, warps: 8 };
}

/**
 * Default backward tiles (bf16 and f16 alike). 16-bit with wgmma (sm_90a): a producer warpgroup and the blocked dQ
 * accumulator (dqBlocked: one bulk reduction per warpgroup and query tile instead of f32 atomics); at D = 128, 128 keys
 * (two computing warpgroups) x 64 query rows, at D = 64, 128 x 128. The H200 lab (bench/RESULTS.md 2026-11-30),
 * fwd+bwd TFLOP/s against the 16-byte atomics (at D = 128 without a producer, which did best with them): causal
 * d = 128 250 / 350 / 419 -> 252 / 365 / 444 at T = 1k / 4k / 16k, packed documents 249 -> 263 (flex 245 -> 250),
 * Llama-3.2-1B shape 306 -> 324, 200 -> 217 with documents; without a producer the bulk reductions lose (4k: 354 ->
 * 348). 16-bit on mma.sync: 128 keys x 64 query rows on 8 warps (FA2's choice for head dim 128; 32 x 32 warp tiles for
 * the scores, 32 keys x 64 columns for dK and dV; 253 registers, no spills at D = 128), 128 x 128 at D = 64 (the
 * lab's llama1b set: backward 3.22 ms against 3.62 with 64 x 128, forward 0.93 against 1.05 ms with 128 x 128 forward
 * tiles); f32 32 x 32 on 8 warps.
 */
export function defaultBackwardConfig(s: AttentionSpec, wgmma = false): AttentionConfig {
  if (isHalf(s.dtype) && wgmma) {
    return s.D <= 64
      ? { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true, dqBlocked: true }
      : { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true, dqBlocked: true };
  }
  if (isHalf(s.dtype)) return s.D <= 64 ? { Br: 128, Bc: 128, warps: 8 } : { Br: 64, Bc: 128, warps: 8 };
  return { Br: 32, Bc: 32, warps: 8 };
}

/**
 * xformers' tiles and walk, for the xformers lowering (its CUTLASS memory-efficient kernels run their sm80 versions on
 * Hopper too, so never wgmma; kernel_forward.h and kernel_backward.h's sm80 configs). Forward: 64 query rows x 64
 * keys at D <= 64, 64 x 128 at D = 128 (4 warps of 16 rows here, where xformers tiles 32 x 32 per warp). Backward:
 * 64 x 64 on 4 warps (its tile at D <= 64, and its fallback at D = 128, whose 128 x 128 on 16 warps this kernel's
 * 8-warp layout lacks), walking keys as xformers does: a split per key tile, except one split walking every key tile
 * of its head when B x Hq >= 256 and Tk <= 2 x 64 (attention_backward_generic.cu's num_splits_key). f32: the f32
 * kernels' defaults.
 */
export function xformersConfigs(s: AttentionSpec): { forward: AttentionConfig; backward: AttentionConfig } {
  if (!isHalf(s.dtype)) return { forward: defaultForwardConfig(s), backward: defaultBackwardConfig(s) };
  const keyTiles = Math.ceil(s.Tk / XFORMERS_KEYS);
  const keySplits = s.B * s.Hq >= 256 && keyTiles <= 2 ? 1 : keyTiles;
  return {
    forward: { Br: 64, Bc: s.D <= 64 ? 64 : 128, warps: 4 },
    backward: { Br: 64, Bc: XFORMERS_KEYS, warps: 4, keySplits },
  };
}

/** Keys per backward tile of xformers' walk. */
const XFORMERS_KEYS = 64;

/** The tiles of an attention of a lowering (passes/attention-lowering.ts): xformers' own, else the defaults. */
export function loweringConfigs(s: AttentionSpec, lowering: unknown, wgmma: boolean):
  { forward: AttentionConfig; backward: AttentionConfig } {
  if (lowering === "xformers") return xformersConfigs(s);
  return { forward: defaultForwardConfig(s, wgmma), backward: defaultBackwardConfig(s, wgmma) };
}

/** With a block table, every tile must lie inside one block: tile sizes dividing ATTENTION_BLOCK (5306). */
function checkBlockTiles(kernel: string, s: AttentionSpec, c: AttentionConfig): void {
  if (s.blocks && (ATTENTION_BLOCK % c.Br !== 0 || ATTENTION_BLOCK % c.Bc !== 0)) {
    badConfig(kernel, c, `with a block table (flex) Br and Bc must divide its block of ${ATTENTION_BLOCK}`);
  }
}

/** A producer warpgroup exists only in the wgmma kernels (5306). */
function checkProducer(kernel: string, s: AttentionSpec, c: AttentionConfig): void {
  if (c.producer && (!isHalf(s.dtype) || c.mainloop !== "wgmma")) {
    badConfig(kernel, c, "a producer warpgroup needs the 16-bit wgmma kernels (mainloop wgmma)");
  }
}

/** The blocked dQ accumulator exists only in the 16-bit wgmma backward (5306). */
function checkDqBlocked(kernel: string, s: AttentionSpec, c: AttentionConfig, backward: boolean): void {
  if (c.dqBlocked && (!backward || !isHalf(s.dtype) || c.mainloop !== "wgmma")) {
    badConfig(kernel, c, "the blocked dQ accumulator exists only in the 16-bit wgmma backward (mainloop wgmma)");
  }
}

/** Query stages other than two exist only in the 16-bit wgmma backward with a producer (5306). */
function checkQueryStages(kernel: string, c: AttentionConfig, backward: boolean): void {
  if (c.queryStages !== undefined && (!backward || !c.producer)) {
    badConfig(kernel, c, "query stages are set only in the wgmma backward with a producer warpgroup");
  }
}

/** Key splits exist only in the mma.sync backward (5306). */
function checkKeySplits(kernel: string, s: AttentionSpec, c: AttentionConfig, backward: boolean): void {
  if (c.keySplits !== undefined && (!backward || !isHalf(s.dtype) || c.mainloop === "wgmma")) {
    badConfig(kernel, c, "key splits exist only in the 16-bit mma.sync backward (mainloop mma)");
  }
}

/** The forward kernel: out [B,Tq,Hq,D] in the spec's dtype and lse f32 [B,Hq,Tq]. */
export function renderAttentionForward(s: AttentionSpec, config: AttentionConfig = defaultForwardConfig(s)):
  KernelSource {
  checkSpec(s);
  checkBlockTiles("attention forward", s, config);
  checkProducer("attention forward", s, config);
  checkKeySplits("attention forward", s, config, false);
  checkDqBlocked("attention forward", s, config, false);
  checkQueryStages("attention forward", config, false);
  if (s.dtype === "f32") return renderForwardSimt(s, config);
  return config.mainloop === "wgmma" ? renderForwardWgmma(s, config) : renderForwardMma(s, config);
}

/** The backward kernels in launch order; dq, dk, dv come out in the spec's dtype. */
export function renderAttentionBackward(s: AttentionSpec, config: AttentionConfig = defaultBackwardConfig(s)):
  KernelSource[] {
  checkSpec(s);
  checkBlockTiles("attention backward", s, config);
  checkProducer("attention backward", s, config);
  checkKeySplits("attention backward", s, config, true);
  checkDqBlocked("attention backward", s, config, true);
  checkQueryStages("attention backward", config, true);
  if (s.dtype === "f32") return [renderBackwardPrep(s, config), renderBackwardSimt(s, config)];
  const main = config.mainloop === "wgmma" ? renderBackwardWgmma(s, config) : renderBackwardMma(s, config);
  return [renderBackwardPrep(s, config), main, renderBackwardDq(s, config)];
}

/** A buffer the kernels use that is neither an operand nor a result of the IR node. */
export interface AttentionBuffer {
  readonly name: string;
  readonly dtype: "f32";
  readonly shape: readonly number[];
  /** `forward-output`: written by the forward kernel, read by the backward kernels; `scratch`: backward only. */
  readonly role: "forward-output" | "scratch";
}

/**
 * The extra buffers of the forward and backward kernels of a spec (lse; delta; dq_accum for bf16 / f16, flat, with
 * room for the accumulator layout of any backward config).
 */
export function attentionBuffers(s: AttentionSpec): AttentionBuffer[] {
  const rows = [s.B, s.Hq, s.Tq];
  const buffers: AttentionBuffer[] = [
    { name: "lse", dtype: "f32", shape: rows, role: "forward-output" },
    { name: "delta", dtype: "f32", shape: rows, role: "scratch" },
  ];
  if (dqAccumulator(s) === "dq_accum") {
    buffers.push({ name: "dq_accum", dtype: "f32", shape: [dqScratchFloats(s)], role: "scratch" });
  }
  return buffers;
}
