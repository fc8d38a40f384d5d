// The representative anchor kernels compile with nvcc in one translation unit after the CUDA prelude, for sm_90 and
// sm_90a, and ptxas keeps every kernel in registers (no spill stores). Compile only: this machine has no GPU; the lab
// (lab.test.ts) builds and links every case and runs them on the CPU emulation.
import { describe, expect, test } from "vitest";
import { ANCHOR_TEMPLATES, hasTemplate } from "../../../../backends/cuda/templates/index.ts";
import { CUDA_PRELUDE } from "../../../../backends/cuda/prelude.ts";
import { HAVE_NVCC, NO_NVCC_REASON, nvccCompile } from "../nvcc.ts";
import { representativeKernels } from "./representative.ts";

/** ptxas's report per compiled entry function: target and spill store bytes. */
function ptxasReport(output: string): { kernel: string; target: string; spills: number }[] {
  const out: { kernel: string; target: string; spills: number }[] = [];
  const lines = output.split("\n");
  lines.forEach((line, i) => {
    const entry = /Compiling entry function '(\w+)' for '(\w+)'/.exec(line);
    if (!entry) return;
    const spill = lines.slice(i + 1, i + 4).map((l) => /(\d+) bytes spill stores/.exec(l)).find((m) => m);
    out.push({ kernel: entry[1]!, target: entry[2]!, spills: Number(spill?.[1] ?? -1) });
  });
  return out;
}

describe("anchor templates compile", () => {
  test.skipIf(!HAVE_NVCC)("representative kernels: nvcc sm_90 and sm_90a, no register spills", () => {
    const sources = Object.values(representativeKernels()).map((k) => {
      if (!hasTemplate(k.kind)) throw new Error(`no template for ${k.kind}`);
      return ANCHOR_TEMPLATES[k.kind](k);
    });
    const { status, output } = nvccCompile([CUDA_PRELUDE, ...sources.map((s) => s.code)].join("\n\n"), [
      "-gencode=arch=compute_90,code=sm_90", "-gencode=arch=compute_90a,code=sm_90a", "-Xptxas", "-v",
    ]);
    expect(output.split("\n").filter((l) => /error/i.test(l)).slice(0, 20), "nvcc errors").toEqual([]);
    expect(status).toBe(0);
    const report = ptxasReport(output);
    for (const target of ["sm_90", "sm_90a"]) {
      expect(report.filter((r) => r.target === target).map((r) => r.kernel).sort()).toEqual(sources.map((s) => s.name).sort());
    }
    expect(report.filter((r) => r.spills !== 0)).toEqual([]);
  }, 120_000);
});

if (!HAVE_NVCC) console.warn(NO_NVCC_REASON);
