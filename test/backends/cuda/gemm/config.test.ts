// GEMM specs, configs and their checks: every error code, the geometry a config implies, the default heuristic on
// the shapes we need (Llama-3.2-1B at B=4, T=4096 and the tiny example), and the KernelSource facts renderGemm
// reports (params per mode, grid, flops, bytes, content-derived names).

import { describe, expect, it } from "vitest";
import {
  MAX_SHARED_BYTES, describeConfig, gemmConfigProblems, gemmGeometry, type GemmConfig, type MmaConfig, type SimtConfig,
} from "../../../../backends/cuda/gemm/config.ts";
import { candidateConfigs, defaultGemmConfig } from "../../../../backends/cuda/gemm/heuristic.ts";
import { gemmFlagCount, renderGemm } from "../../../../backends/cuda/gemm/render.ts";
import { gemmBytes, gemmFlops, gemmSpec, type GemmSpec } from "../../../../backends/cuda/gemm/spec.ts";
import { codeOf } from "../../../harness/errors.ts";
import { checkCases, llamaCases, tinyCases } from "../../../../bench/kernels/gemm/cases.ts";

const mma = (o: Partial<MmaConfig> = {}): MmaConfig => ({
  mainloop: "mma", bm: 128, bn: 128, bk: 32, wm: 64, wn: 64, stages: 4, splitK: 1, groupM: 8, ...o,
});
const simt = (o: Partial<SimtConfig> = {}): SimtConfig => ({
  mainloop: "simt", bm: 64, bn: 64, bk: 16, tm: 4, tn: 4, splitK: 1, groupM: 8, ...o,
});
const bf16 = gemmSpec({ m: 1024, n: 1024, k: 1024 });
const f32 = gemmSpec({ m: 1024, n: 1024, k: 1024, inputDtype: "f32", outputDtype: "f32" });
const codes = (spec: GemmSpec, config: GemmConfig): number[] => gemmConfigProblems(spec, config).map((p) => p.code);

describe("gemmSpec", () => {
  it("fills defaults", () => {
    expect(gemmSpec({ m: 2, n: 3, k: 4 })).toEqual({
      m: 2, n: 3, k: 4, batch: 1, transposeA: false, transposeB: false, broadcastA: false, broadcastB: false,
      inputDtype: "bf16", outputDtype: "bf16", accumulate: false,
    });
  });

  it("rejects sizes that are not positive integers (5400), naming the field", () => {
    expect(codeOf(() => gemmSpec({ m: 0, n: 3, k: 4 }))).toBe(5400);
    expect(codeOf(() => gemmSpec({ m: 2, n: 3.5, k: 4 }))).toBe(5400);
    expect(() => gemmSpec({ m: 2, n: 3, k: 4, batch: -1 })).toThrow(/batch = -1/);
  });

  it("rejects f32 inputs with a bf16 output and unknown dtypes (5401)", () => {
    expect(codeOf(() => gemmSpec({ m: 2, n: 3, k: 4, inputDtype: "f32", outputDtype: "bf16" }))).toBe(5401);
    expect(codeOf(() => gemmSpec({ m: 2, n: 3, k: 4, outputDtype: "f16" as "f32" }))).toBe(5401);
  });

  it("rejects a batch beyond the grid limit (5402)", () => {
    expect(codeOf(() => gemmSpec({ m: 2, n: 3, k: 4, batch: 70000 }))).toBe(5402);
  });

  it("counts flops and bytes (broadcast operands once, C_in read when accumulating)", () => {
    const s = gemmSpec({ m: 3, n: 5, k: 7, batch: 2, broadcastB: true, accumulate: true, outputDtype: "f32" });
    expect(gemmFlops(s)).toBe(2 * (2 * 3 * 5 * 7 + 3 * 5));
    expect(gemmBytes(s)).toBe(2 * 3 * 7 * 2 + 7 * 5 * 2 + 2 * 3 * 5 * 4 * 2);
  });
});

describe("gemmConfigProblems", () => {
  it("accepts good configs", () => {
    expect(gemmConfigProblems(bf16, mma())).toEqual([]);
    expect(gemmConfigProblems(f32, simt())).toEqual([]);
  });

  it.each([
    ["mma on f32 inputs", f32, mma(), 5410],
    ["simt on bf16 inputs", bf16, simt(), 5410],
    ["warp tile not a multiple of 16", bf16, mma({ wm: 24, bm: 96 }), 5411],
    ["block tile not a multiple of the warp tile", bf16, mma({ bm: 96 }), 5411],
    ["simt thread tile not a multiple of 4", f32, simt({ tm: 2 }), 5411],
    ["too many threads", bf16, mma({ bm: 256, bn: 256, wm: 32, wn: 32, stages: 2 }), 5412],
    ["too much shared memory", bf16, mma({ bm: 256, bn: 256, bk: 64, stages: 4 }), 5413],
    ["too many registers", bf16, mma({ wm: 128, wn: 64, bm: 128 }), 5414],
    ["no conflict-free swizzle", gemmSpec({ m: 64, n: 64, k: 64, transposeA: true }), mma({ bm: 96, wm: 48 }), 5415],
    ["one stage", bf16, mma({ stages: 1 }), 5416],
    ["split-K into bf16", bf16, mma({ splitK: 2 }), 5417],
    ["a split without K tiles", gemmSpec({ m: 64, n: 64, k: 9 * 32, outputDtype: "f32" }), mma({ splitK: 4 }), 5418],
    ["a field that is not a positive integer", bf16, mma({ groupM: 0 }), 5419],
  ] as const)("%s -> %i", (_, spec, config, code) => {
    expect(codes(spec, config)).toContain(code);
  });

  it("renderGemm throws the first problem as a TraincError naming the spec and config", () => {
    expect(codeOf(() => renderGemm(bf16, mma({ stages: 1 })))).toBe(5416);
    expect(() => renderGemm(bf16, mma({ stages: 1 }))).toThrow(/M=1024 N=1024 K=1024.*mma 128x128x32 w64x64 s1/);
  });

  it("derives geometry: threads, tiles, K tiles per split, shared memory", () => {
    const s = gemmSpec({ m: 300, n: 200, k: 1000, outputDtype: "f32" });
    const g = gemmGeometry(s, mma({ splitK: 3 }));
    expect(g).toMatchObject({ threads: 128, tilesM: 3, tilesN: 2, kTiles: 32, kTilesPerSplit: 11, sharedBytes: 4 * 256 * 32 * 2 });
    expect(gemmGeometry(f32, simt()).sharedBytes).toBe(2 * 16 * (64 + 64 + 8) * 4);
  });
});

describe("default configs", () => {
  const all = [...llamaCases(), ...tinyCases(), ...checkCases()];

  it.each(all.map((c) => [c.name, c.spec] as const))("%s: default and candidates are valid", (_, spec) => {
    const config = defaultGemmConfig(spec);
    expect(gemmConfigProblems(spec, config)).toEqual([]);
    expect(gemmGeometry(spec, config).sharedBytes).toBeLessThanOrEqual(MAX_SHARED_BYTES);
    expect(config.mainloop).toBe(spec.inputDtype === "f32" ? "simt" : "mma");
    const candidates = candidateConfigs(spec);
    expect(candidates.length).toBeGreaterThan(1);
    for (const c of candidates) expect(gemmConfigProblems(spec, c)).toEqual([]);
    expect(candidates.map(describeConfig)).toContain(describeConfig(config));
  });

  it("fills the GPU with big tiles for the 1B forward GEMMs", () => {
    const spec = gemmSpec({ m: 16384, n: 2048, k: 2048, transposeB: true });
    const config = defaultGemmConfig(spec);
    const g = gemmGeometry(spec, config);
    expect(config.bm * config.bn).toBeGreaterThanOrEqual(128 * 128);
    expect(g.tilesM * g.tilesN).toBeGreaterThan(132);
  });

  it("splits K for the k/v weight gradient (few output tiles, K = 16384), never for a bf16 output", () => {
    const wgrad = gemmSpec({ m: 512, n: 2048, k: 16384, transposeA: true, outputDtype: "f32", accumulate: true });
    expect(defaultGemmConfig(wgrad).splitK).toBeGreaterThan(1);
    const bf16Out = gemmSpec({ m: 512, n: 2048, k: 16384, transposeA: true });
    expect(defaultGemmConfig(bf16Out).splitK).toBe(1);
  });
});

describe("renderGemm launch facts", () => {
  it("lists params per mode: c_in only when accumulating, flags only with split-K", () => {
    const store = renderGemm(bf16, mma());
    expect(store.params.map((p) => `${p.name}:${p.dtype}:${p.access}`)).toEqual(["a:bf16:read", "b:bf16:read", "c:bf16:write"]);
    const acc = gemmSpec({ m: 256, n: 256, k: 4096, outputDtype: "f32", accumulate: true });
    const split = renderGemm(acc, mma({ splitK: 4 }));
    expect(split.params.map((p) => `${p.name}:${p.dtype}:${p.access}`))
      .toEqual(["a:bf16:read", "b:bf16:read", "c_in:f32:read", "c:f32:readwrite", "flags:i32:readwrite"]);
    expect(split.grid).toEqual([4, 4, 1]);
    expect(gemmFlagCount(acc, mma({ splitK: 4 }))).toBe(4);
    expect(gemmFlagCount(acc, mma())).toBe(0);
  });

  it("reports grid, block, shared memory, flops and bytes", () => {
    const s = gemmSpec({ m: 1000, n: 300, k: 64, batch: 3 });
    const k = renderGemm(s, mma());
    expect(k.grid).toEqual([8 * 3, 1, 3]);
    expect(k.block).toEqual([128, 1, 1]);
    expect(k.sharedBytes).toBe(4 * 256 * 32 * 2);
    expect(k.flops).toBe(gemmFlops(s));
    expect(k.bytes).toBe(gemmBytes(s));
  });

  it("names kernels by content: same inputs, same name; another config, another name", () => {
    const a = renderGemm(bf16, mma());
    expect(renderGemm(bf16, mma()).name).toBe(a.name);
    expect(renderGemm(bf16, mma({ groupM: 4 })).name).not.toBe(a.name);
    expect(a.name).toMatch(/^gemm_[0-9a-f]{16}$/);
    expect(a.code).toContain(`extern "C" __global__ void __launch_bounds__(${a.name}_detail::THREADS, 1)\n${a.name}(`);
    expect(a.code).not.toContain("GEMM_KERNEL_NAME");
  });
});
