// The generated attention kernels, run on the CPU through the emulation in emu.ts (g++, no GPU), against the
// interpreter: out and lse of the forward kernel, then dq, dk, dv of the backward kernels fed with that forward's
// out and lse, exactly as the schedule will chain them. Each case runs three times: cp.async copies landing as late
// as allowed (catches a missing wait), and at once with the first or the last warp running ahead of the others
// (catches a copy into, or a write to, a buffer other warps still read). Cases cover every dtype, default and other
// tile configs and the defaults of an sm_90a build, GQA, causal and sliding-window masks, document ranges, prefix-LM
// ranges, block tables (flex), Tq != Tk, tails of every tile, head dims 40 to 256 and queries that see no key.
// Tolerances: 1e-5 (f32) and 1e-2 (bf16 and f16: inputs exact, outputs and P rounded to 16 bits).

import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultBackwardConfig, defaultForwardConfig, renderAttentionBackward, renderAttentionForward,
  type AttentionConfig, type AttentionSpec,
} from "../../../../backends/cuda/attention/index.ts";
import { dqAccumulatorShape } from "../../../../backends/cuda/attention/backward-prep.ts";
import type { HalfDType } from "../../../../backends/cuda/half.ts";
import { blockTable } from "../../../harness/documents.ts";
import { relativeError } from "../../../harness/numeric.ts";
import { runEmulated, type EmuCase, type EmuMode } from "./emu.ts";
import {
  decode, encode, makeInputs, rangeWidth, referenceGrads, referenceLse, referenceOut, type Inputs,
} from "./reference.ts";

const HAVE_GXX = spawnSync("g++", ["--version"]).status === 0;

interface Case {
  readonly name: string;
  readonly spec: AttentionSpec;
  readonly forward?: AttentionConfig;
  readonly backward?: AttentionConfig;
}

const half = (dtype: HalfDType) => (name: string, spec: Omit<AttentionSpec, "dtype" | "scale">,
  forward?: AttentionConfig, backward?: AttentionConfig): Case =>
  ({ name, spec: { ...spec, dtype, scale: 1 / Math.sqrt(spec.D) }, forward, backward });
const bf16 = half("bf16");
/** A bf16 case with the kernels an sm_90a build picks by default (wgmma, producers, the blocked dQ writer). */
const sm90a = (name: string, spec: Omit<AttentionSpec, "dtype" | "scale">): Case => {
  const full: AttentionSpec = { ...spec, dtype: "bf16", scale: 1 / Math.sqrt(spec.D) };
  return { name, spec: full, forward: defaultForwardConfig(full, true), backward: defaultBackwardConfig(full, true) };
};
const f16 = half("f16");
const f32 = (name: string, spec: Omit<AttentionSpec, "dtype" | "scale">, forward?: AttentionConfig,
  backward?: AttentionConfig): Case => ({ name, spec: { ...spec, dtype: "f32", scale: 0.3 }, forward, backward });

const CASES: Case[] = [
  bf16("bf16-causal-gqa-d64-defaults", { B: 1, Tq: 150, Tk: 150, Hq: 4, Hk: 2, D: 64, causal: true, window: 0,
    documents: false }),
  bf16("bf16-documents-window-d128", { B: 2, Tq: 100, Tk: 100, Hq: 2, Hk: 1, D: 128, causal: true, window: 40,
    documents: true }, { Br: 64, Bc: 32, warps: 4 }, { Br: 32, Bc: 64, warps: 4 }),
  bf16("bf16-cross-d128", { B: 1, Tq: 70, Tk: 100, Hq: 4, Hk: 2, D: 128, causal: false, window: 0, documents: false },
    { Br: 128, Bc: 128, warps: 8 }, { Br: 128, Bc: 64, warps: 8 }),
  bf16("bf16-rows-seeing-nothing", { B: 1, Tq: 100, Tk: 40, Hq: 2, Hk: 2, D: 64, causal: false, window: 20,
    documents: false }),
  bf16("bf16-wgmma-causal-gqa-d128", { B: 1, Tq: 150, Tk: 150, Hq: 4, Hk: 2, D: 128, causal: true, window: 0,
    documents: false }, { Br: 128, Bc: 128, warps: 8, mainloop: "wgmma" }, { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma" }),
  bf16("bf16-wgmma-documents-window-d64", { B: 2, Tq: 100, Tk: 100, Hq: 2, Hk: 1, D: 64, causal: true, window: 40,
    documents: true }, { Br: 128, Bc: 64, warps: 8, mainloop: "wgmma" }, { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma" }),
  bf16("bf16-wgmma-128-query-rows-documents-d64", { B: 1, Tq: 300, Tk: 300, Hq: 4, Hk: 1, D: 64, causal: true,
    window: 0, documents: true }, undefined, { Br: 128, Bc: 128, warps: 8, mainloop: "wgmma" }),
  bf16("bf16-wgmma-cross-one-warpgroup-d128", { B: 1, Tq: 70, Tk: 100, Hq: 2, Hk: 1, D: 128, causal: false,
    window: 0, documents: false }, { Br: 64, Bc: 64, warps: 4, mainloop: "wgmma" }, { Br: 64, Bc: 64, warps: 4, mainloop: "wgmma" }),
  bf16("bf16-wgmma-producer-documents-gqa-d128", { B: 2, Tq: 200, Tk: 200, Hq: 4, Hk: 2, D: 128, causal: true,
    window: 0, documents: true }, { Br: 128, Bc: 64, warps: 12, mainloop: "wgmma", producer: true },
    { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true }),
  bf16("bf16-wgmma-producer-cross-window-d64", { B: 1, Tq: 150, Tk: 333, Hq: 2, Hk: 1, D: 64, causal: false,
    window: 70, documents: false }, { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma", producer: true },
    { Br: 64, Bc: 64, warps: 8, mainloop: "wgmma", producer: true }),
  bf16("bf16-flex-wgmma-producer-d128", { B: 1, Tq: 300, Tk: 300, Hq: 2, Hk: 1, D: 128, causal: true, window: 0,
    documents: true, blocks: true }, { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true },
    { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true }),
  bf16("bf16-wgmma-producer-long-walks-d128", { B: 1, Tq: 200, Tk: 600, Hq: 2, Hk: 1, D: 128, causal: false, window: 0,
    documents: false }, { Br: 128, Bc: 64, warps: 12, mainloop: "wgmma", producer: true },
    { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true }),
  bf16("bf16-wgmma-producer-128-query-rows-window-d64", { B: 1, Tq: 300, Tk: 300, Hq: 2, Hk: 2, D: 64, causal: true,
    window: 100, documents: false }, undefined, { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true }),
  bf16("bf16-wgmma-dq-blocked-documents-gqa-d128", { B: 2, Tq: 200, Tk: 200, Hq: 4, Hk: 2, D: 128, causal: true,
    window: 0, documents: true }, undefined, { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma", dqBlocked: true }),
  bf16("bf16-wgmma-dq-blocked-one-warpgroup-cross-d128", { B: 1, Tq: 70, Tk: 100, Hq: 2, Hk: 1, D: 128, causal: false,
    window: 0, documents: false }, undefined, { Br: 64, Bc: 64, warps: 4, mainloop: "wgmma", dqBlocked: true }),
  bf16("bf16-wgmma-producer-dq-blocked-three-query-stages-documents-gqa-d128", { B: 2, Tq: 300, Tk: 300, Hq: 4, Hk: 2,
    D: 128, causal: true, window: 0, documents: true }, undefined, { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma",
    producer: true, dqBlocked: true, queryStages: 3 }),
  f16("f16-wgmma-producer-dq-blocked-long-walks-d64", { B: 1, Tq: 300, Tk: 500, Hq: 2, Hk: 1, D: 64, causal: false,
    window: 0, documents: false }, undefined, { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true,
    dqBlocked: true }),
  f16("f16-documents-window-gqa-d128", { B: 2, Tq: 100, Tk: 100, Hq: 4, Hk: 2, D: 128, causal: true, window: 40,
    documents: true }),
  f16("f16-wgmma-producer-causal-d64", { B: 1, Tq: 200, Tk: 200, Hq: 2, Hk: 1, D: 64, causal: true, window: 0,
    documents: false }, { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma", producer: true },
    { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true }),
  bf16("bf16-xformers-key-splits-documents-window-d64", { B: 2, Tq: 300, Tk: 300, Hq: 4, Hk: 2, D: 64, causal: true,
    window: 100, documents: true }, { Br: 64, Bc: 64, warps: 4 }, { Br: 64, Bc: 64, warps: 4, keySplits: 2 }),
  f16("f16-xformers-one-split-cross-d128", { B: 1, Tq: 150, Tk: 200, Hq: 2, Hk: 1, D: 128, causal: false, window: 0,
    documents: false }, { Br: 64, Bc: 128, warps: 4 }, { Br: 64, Bc: 64, warps: 4, keySplits: 1 }),
  f32("f32-causal-window-documents-gqa-d40", { B: 2, Tq: 90, Tk: 90, Hq: 4, Hk: 2, D: 40, causal: true, window: 30,
    documents: true }),
  bf16("bf16-flex-documents-d128", { B: 1, Tq: 300, Tk: 300, Hq: 2, Hk: 1, D: 128, causal: true, window: 0,
    documents: true, blocks: true }),
  bf16("bf16-flex-wgmma-window-d64", { B: 1, Tq: 300, Tk: 300, Hq: 2, Hk: 1, D: 64, causal: true, window: 90,
    documents: true, blocks: true }, { Br: 128, Bc: 128, warps: 8, mainloop: "wgmma" }, { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma" }),
  f32("f32-flex-not-causal-window-d16", { B: 2, Tq: 260, Tk: 260, Hq: 2, Hk: 1, D: 16, causal: false, window: 70,
    documents: true, blocks: true }),
  bf16("bf16-prefix-lm-documents-d128", { B: 2, Tq: 150, Tk: 150, Hq: 4, Hk: 2, D: 128, causal: false, window: 0,
    documents: true, prefix: true }),
  bf16("bf16-flex-prefix-lm-wgmma-producer-d64", { B: 1, Tq: 300, Tk: 300, Hq: 2, Hk: 1, D: 64, causal: false,
    window: 0, documents: true, prefix: true, blocks: true }, { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true },
    { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true }),
  f16("f16-xformers-prefix-lm-window-d64", { B: 2, Tq: 200, Tk: 200, Hq: 2, Hk: 2, D: 64, causal: false, window: 60,
    documents: true, prefix: true }, { Br: 64, Bc: 64, warps: 4 }, { Br: 64, Bc: 64, warps: 4, keySplits: 2 }),
  f32("f32-flex-prefix-lm-d16", { B: 2, Tq: 260, Tk: 260, Hq: 2, Hk: 1, D: 16, causal: false, window: 0,
    documents: true, prefix: true, blocks: true }),
  sm90a("bf16-sm90a-defaults-flex-prefix-lm-gqa-tail-d128", { B: 1, Tq: 333, Tk: 333, Hq: 4, Hk: 2, D: 128,
    causal: false, window: 0, documents: true, prefix: true, blocks: true }),
  sm90a("bf16-sm90a-defaults-causal-documents-d128", { B: 2, Tq: 260, Tk: 260, Hq: 2, Hk: 1, D: 128, causal: true,
    window: 0, documents: true }),
  bf16("bf16-wgmma-prefix-lm-window-tail-d64", { B: 1, Tq: 333, Tk: 333, Hq: 2, Hk: 1, D: 64, causal: false, window: 90,
    documents: true, prefix: true }, { Br: 128, Bc: 64, warps: 8, mainloop: "wgmma" }, { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma" }),
  f32("f32-cross-d256", { B: 1, Tq: 33, Tk: 50, Hq: 2, Hk: 1, D: 256, causal: false, window: 0, documents: false }),
  f32("f32-small-tiles", { B: 1, Tq: 45, Tk: 45, Hq: 3, Hk: 1, D: 64, causal: true, window: 0, documents: false },
    { Br: 16, Bc: 8, warps: 2 }, { Br: 8, Bc: 8, warps: 2 }),
];

function emuCase(c: Case, x: Inputs): EmuCase {
  const s = c.spec;
  const backward = c.backward ?? defaultBackwardConfig(s);
  const dtype = s.dtype;
  const e = dtype === "f32" ? 4 : 2;
  const rows = s.B * s.Hq * s.Tq * 4;
  return {
    name: c.name,
    kernels: [renderAttentionForward(s, c.forward ?? defaultForwardConfig(s)),
      ...renderAttentionBackward(s, backward)],
    inputs: { q: encode(dtype, x.q), k: encode(dtype, x.k), v: encode(dtype, x.v), dout: encode(dtype, x.dout),
      ...(x.ranges ? { ranges: encode("i32", x.ranges) } : {}),
      ...(x.ranges && s.blocks ? { blocks: encode("i32", blockTable(x.ranges, s.B, s.Tq,
        { causal: s.causal, window: s.window }, rangeWidth(s))) } : {}) },
    outputs: { out: x.q.length * e, lse: rows, delta: rows, dq: x.q.length * e, dk: x.k.length * e, dv: x.k.length * e,
      ...(dtype !== "f32" ? { dq_accum: dqAccumulatorShape(s, backward).reduce((n, d) => n * d, 4) } : {}) },
  };
}

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "attention kernels, emulated on the CPU, against the interpreter"
  : "attention kernels, emulated: skipped, g++ is not installed on this machine", () => {
  const inputs = new Map(CASES.map((c, i) => [c.name, makeInputs(c.spec, 100 + 10 * i)]));
  const modes: EmuMode[] = ["late", "eager", "eager-reverse"];
  let results: Map<EmuMode, Map<string, Record<string, Uint8Array>>>;

  beforeAll(() => {
    results = runEmulated(CASES.map((c) => emuCase(c, inputs.get(c.name)!)), modes);
  }, 900_000);

  const runs = CASES.flatMap((c) => modes.map((mode) => [`${c.name}, ${mode}`, c, mode] as const));
  it.each(runs)("%s", (_, c, mode) => {
    const s = c.spec;
    const x = inputs.get(c.name)!;
    const r = results.get(mode)!.get(c.name)!;
    const tol = s.dtype === "f32" ? 1e-5 : 1e-2;
    expect(relativeError(decode(s.dtype, r["out"]!), referenceOut(s, x)), "out").toBeLessThan(tol);
    expect(relativeError(decode("f32", r["lse"]!), referenceLse(s, x)), "lse").toBeLessThan(1e-5);
    const [dq, dk, dv] = referenceGrads(s, x);
    expect(relativeError(decode(s.dtype, r["dq"]!), dq!), "dq").toBeLessThan(tol);
    expect(relativeError(decode(s.dtype, r["dk"]!), dk!), "dk").toBeLessThan(tol);
    expect(relativeError(decode(s.dtype, r["dv"]!), dv!), "dv").toBeLessThan(tol);
  });

  it("rows that see no key give out = 0, lse = +inf and no gradient", () => {
    const c = CASES.find((k) => k.name === "bf16-rows-seeing-nothing")!;
    const r = results.get("late")!.get(c.name)!;
    const lse = decode("f32", r["lse"]!);
    const out = decode("bf16", r["out"]!);
    const dq = decode("bf16", r["dq"]!);
    const row = 99;
    expect(lse[row]).toBe(Infinity);
    for (let d = 0; d < c.spec.D; d++) {
      expect(out[(row * c.spec.Hq) * c.spec.D + d]).toBe(0);
      expect(dq[(row * c.spec.Hq) * c.spec.D + d]).toBe(0);
    }
  });
});
