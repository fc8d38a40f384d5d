// Generated GEMMs run on the CPU under emulation (emulate.ts, emu/): every operand layout, ragged M/N/K down to
// copies of one element, batches with broadcast operands, accumulation into a separate or the same buffer, split-K,
// several tile shapes, and the default configs of the tiny example's shapes. Each case must match a double-precision
// reference (1e-5 for f32 outputs, 1e-2 for bf16 and f16), leave the split-K flags at zero and read ldmatrix rows without
// bank conflicts, both with cp.async copies landing at issue and at their wait.

import { beforeAll, describe, expect, it } from "vitest";
import type { GemmConfig, MmaConfig, SimtConfig } from "../../../../backends/cuda/gemm/config.ts";
import { defaultGemmConfig } from "../../../../backends/cuda/gemm/heuristic.ts";
import { gemmSpec, type GemmSpecFields } from "../../../../backends/cuda/gemm/spec.ts";
import { emulate, HAVE_GXX, type EmuCase, type EmuResult, type EmuRun } from "./emulate.ts";

const mma = (o: Partial<MmaConfig> = {}): GemmConfig => ({
  mainloop: "mma", bm: 64, bn: 64, bk: 32, wm: 32, wn: 32, stages: 3, splitK: 1, groupM: 2, ...o,
});
const simt = (o: Partial<SimtConfig> = {}): GemmConfig => ({
  mainloop: "simt", bm: 32, bn: 32, bk: 16, tm: 4, tn: 4, splitK: 1, groupM: 2, ...o,
});
const F32 = { inputDtype: "f32", outputDtype: "f32" } as const;
const F16 = { inputDtype: "f16", outputDtype: "f16" } as const;

function layouts(prefix: string, fields: GemmSpecFields, config: GemmConfig): EmuCase[] {
  return [false, true].flatMap((ta) => [false, true].map((tb) => ({
    name: `${prefix}_${ta ? "t" : "n"}${tb ? "t" : "n"}`,
    spec: gemmSpec({ ...fields, transposeA: ta, transposeB: tb }), config,
  })));
}

function tinyDefaults(): EmuCase[] {
  const shapes: [string, GemmSpecFields][] = [
    ["tiny_fwd_lm_head", { m: 512, n: 18, k: 64, transposeB: true }],
    ["tiny_dgrad_lm_head", { m: 512, n: 64, k: 18 }],
    ["tiny_wgrad_lm_head", { m: 18, n: 64, k: 512, transposeA: true, accumulate: true }],
    ["tiny_fwd_kv", { m: 512, n: 32, k: 64, transposeB: true }],
    ["tiny_wgrad_down", { m: 64, n: 128, k: 512, transposeA: true, accumulate: true }],
  ];
  return shapes.map(([name, fields]) => {
    const spec = gemmSpec({ ...fields, ...F32 });
    return { name, spec, config: defaultGemmConfig(spec), alias: fields.accumulate };
  });
}

const CASES: EmuCase[] = [
  ...layouts("mma_tail", { m: 100, n: 72, k: 88 }, mma()),
  ...layouts("mma_copy1", { m: 37, n: 29, k: 45, outputDtype: "f32" }, mma()),
  ...layouts("simt_tail", { m: 50, n: 38, k: 70, ...F32 }, simt()),
  ...layouts("simt_odd", { m: 33, n: 17, k: 21, ...F32 }, simt()),
  { name: "mma_copy4", spec: gemmSpec({ m: 48, n: 40, k: 36, transposeB: true }), config: mma() },
  { name: "mma_copy2", spec: gemmSpec({ m: 48, n: 34, k: 34 }), config: mma() },
  { name: "mma_split_alias", spec: gemmSpec({ m: 64, n: 64, k: 256, transposeA: true, outputDtype: "f32", accumulate: true }),
    config: mma({ splitK: 3 }), alias: true },
  { name: "mma_split_batch", spec: gemmSpec({ m: 70, n: 64, k: 200, batch: 2, outputDtype: "f32", accumulate: true }),
    config: mma({ splitK: 2 }) },
  { name: "mma_split_store", spec: gemmSpec({ m: 30, n: 20, k: 300, outputDtype: "f32" }), config: mma({ splitK: 4 }) },
  { name: "mma_broadcast_b", spec: gemmSpec({ m: 40, n: 48, k: 64, batch: 3, broadcastB: true, transposeB: true }), config: mma() },
  { name: "mma_broadcast_a_alias", spec: gemmSpec({ m: 40, n: 48, k: 64, batch: 2, broadcastA: true, accumulate: true }),
    config: mma(), alias: true },
  { name: "mma_accumulate_bf16", spec: gemmSpec({ m: 50, n: 66, k: 40, transposeB: true, accumulate: true }), config: mma() },
  { name: "mma_f16", spec: gemmSpec({ m: 70, n: 48, k: 56, transposeB: true, ...F16 }), config: mma() },
  { name: "mma_f16_split_f32", spec: gemmSpec({ m: 64, n: 40, k: 256, transposeA: true, inputDtype: "f16", outputDtype: "f32",
    accumulate: true }), config: mma({ splitK: 2 }) },
  { name: "mma_warp64", spec: gemmSpec({ m: 130, n: 140, k: 64, transposeB: true }),
    config: mma({ bm: 128, bn: 128, wm: 64, wn: 64, stages: 4 }) },
  { name: "mma_8warps", spec: gemmSpec({ m: 130, n: 250, k: 200, transposeA: true }),
    config: mma({ bm: 128, bn: 256, wm: 64, wn: 64, stages: 4 }) },
  { name: "mma_8warps_bk64", spec: gemmSpec({ m: 100, n: 256, k: 330, transposeB: true, outputDtype: "f32" }),
    config: mma({ bm: 128, bn: 256, bk: 64, wm: 64, wn: 64, stages: 3 }) },
  { name: "mma_bk64", spec: gemmSpec({ m: 64, n: 64, k: 200, transposeA: true }), config: mma({ bk: 64, stages: 2 }) },
  { name: "mma_raster", spec: gemmSpec({ m: 300, n: 130, k: 32 }), config: mma({ groupM: 3 }) },
  { name: "simt_split_alias", spec: gemmSpec({ m: 40, n: 40, k: 130, transposeA: true, accumulate: true, ...F32 }),
    config: simt({ splitK: 3 }), alias: true },
  { name: "simt_tile128", spec: gemmSpec({ m: 130, n: 130, k: 40, transposeB: true, ...F32 }),
    config: simt({ bm: 128, bn: 128, tm: 8, tn: 8 }) },
  { name: "simt_broadcast_a", spec: gemmSpec({ m: 20, n: 36, k: 24, batch: 3, broadcastA: true, ...F32 }), config: simt() },
  ...tinyDefaults(),
];

const TITLE = "generated GEMMs under host emulation";
describe.skipIf(!HAVE_GXX)(HAVE_GXX ? TITLE : `${TITLE}: skipped, g++ is not installed on this machine`, () => {
  let results: Map<EmuRun, Map<string, EmuResult>>;
  beforeAll(() => {
    results = emulate(CASES, ["immediate", "deferred"]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", (name, c) => {
    for (const mode of ["immediate", "deferred"] as const) {
      const r = results.get(mode)!.get(name)!;
      expect(r.rel, `${mode}: relative error`).toBeLessThanOrEqual(c.spec.outputDtype === "f32" ? 1e-5 : 1e-2);
      expect(r.flagsLeft, `${mode}: split-K flags left set`).toBe(0);
      expect(r.conflicts, `${mode}: ldmatrix bank conflicts`).toBe(0);
      expect(r.ok).toBe(true);
    }
  });
});
