// nvcc compile checks (no GPU here: compile and link only). One build of the lab with the default config of every
// shape we need (Llama-3.2-1B at B=4, T=4096 in bf16, the tiny example in f32, the ragged check shapes) proves the
// lab compiles and links for sm_90a (the labs' arch), and its `-Xptxas -v` report must show every GEMM kernel without
// register spills. A second, small build checks the kernels assemble for plain sm_90 too.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultGemmConfig } from "../../../../backends/cuda/gemm/heuristic.ts";
import { renderGemm } from "../../../../backends/cuda/gemm/render.ts";
import { checkCases, llamaCases, tinyCases } from "../../../../bench/kernels/gemm/cases.ts";
import { LAB_ARCH, labBuildArgs } from "../../../../bench/kernels/lab-cli.ts";
import { renderLab } from "../../../../bench/kernels/gemm/render-lab.ts";
import { HAVE_NVCC } from "../nvcc.ts";

const TITLE = "GEMM kernels and lab under nvcc";

/** Resource usage ptxas reports for one kernel. */
interface Usage {
  registers: number;
  spillStores: number;
  spillLoads: number;
}

/** Per-kernel usage from `-Xptxas -v` output. */
function parsePtxas(output: string): Map<string, Usage> {
  const usage = new Map<string, Usage>();
  const pattern = new RegExp(String.raw`Function properties for (\w+)\s+\d+ bytes stack frame, (\d+) bytes spill stores, ` +
    String.raw`(\d+) bytes spill loads\s+ptxas info\s+: Used (\d+) registers`, "g");
  for (const m of output.matchAll(pattern)) {
    usage.set(m[1]!, { spillStores: Number(m[2]), spillLoads: Number(m[3]), registers: Number(m[4]) });
  }
  return usage;
}

describe.skipIf(!HAVE_NVCC)(HAVE_NVCC ? TITLE : `${TITLE}: skipped, nvcc is not installed on this machine`, () => {
  const cases = [...llamaCases(), ...tinyCases(), ...checkCases()];
  const kernels = cases.map((c) => renderGemm(c.spec, defaultGemmConfig(c.spec)));
  let dir: string;
  let build: { status: number | null; output: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "trainc-gemm-nvcc-"));
    const cu = join(dir, "gemm_lab.cu");
    writeFileSync(cu, renderLab(cases, "default"));
    const r = spawnSync("nvcc", [...labBuildArgs(cu, join(dir, "gemm_lab")), "-Xptxas", "-v"], { encoding: "utf8" });
    build = { status: r.status, output: `${r.stdout}${r.stderr}` };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`builds (compile and link, ${LAB_ARCH}) the lab with every default config`, () => {
    expect(build.status, build.output.slice(-4000)).toBe(0);
  });

  it.each(cases.map((c, i) => [c.name, kernels[i]!.name] as const))("%s (%s): no register spills", (_, name) => {
    const usage = parsePtxas(build.output).get(name);
    expect(usage, `ptxas reported nothing for ${name}`).toBeDefined();
    expect(usage!.spillStores + usage!.spillLoads).toBe(0);
    expect(usage!.registers).toBeLessThanOrEqual(255);
  });

  it("compiles on its own (no harness around it) for sm_90: mma, mma with split-K, simt", () => {
    const source = join(dir, "sm90.cu");
    const picks = [
      kernels.find((k) => k.params[0]!.dtype === "bf16" && !k.params.some((p) => p.name === "flags"))!,
      kernels.find((k) => k.params.some((p) => p.name === "flags"))!,
      kernels.find((k) => k.params[0]!.dtype === "f32")!,
    ];
    writeFileSync(source, picks.map((k) => k.code).join("\n"));
    const r = spawnSync("nvcc", ["-arch=sm_90", "-std=c++17", "-c", source, "-o", join(dir, "sm90.o")],
      { encoding: "utf8" });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
