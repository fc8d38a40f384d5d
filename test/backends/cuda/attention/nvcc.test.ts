// nvcc checks of the attention kernels (no GPU here: compile and link only). One build of the lab with the default
// configs of the H200 benchmark case at T = 4k (1k and 16k differ only in baked-in sizes) and of every small f32 and
// bf16 check case, for both mainloops (wgmma, the lab's default on sm_90a, and mma.sync, the default on other
// archs), proves the lab compiles and links for sm_90a; its `-Xptxas -v` report gives registers and spills of
// every default kernel, printed as a table: none may spill, and the bf16 D = 128 forward must leave room for two
// blocks per SM. One measured exception: the bf16 D = 128 forward with a block table (flex) spills up to 96 bytes at
// that register budget (the H200 lab: 234.7 TFLOP/s on the packed case, against 211.7 for 128 x 32 tiles that fit),
// and its wgmma version (producer.ts) about 40 in the producer's copy addresses. Another: the wgmma backward with a
// producer warpgroup (the sm_90a default) spills 40-144 bytes (stores and loads; the most with a block table) with the
// producer at 24 registers and the computing warpgroups at 240 (the H200 lab: fwd+bwd 365 TFLOP/s at T = 4k, d = 128,
// against 349-352 for the 16-byte atomics without a producer, which fit, and 352 with the producer at 40 registers).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASE_SETS } from "../../../../bench/kernels/attention/cases.ts";
import { LAB_ARCH, labBuildArgs } from "../../../../bench/kernels/lab-cli.ts";
import { renderLab } from "../../../../bench/kernels/attention/render-lab.ts";
import type { KernelSource } from "../../../../backends/kernel.ts";
import { HAVE_NVCC } from "../nvcc.ts";
import { startRegisters } from "../../../../backends/cuda/attention/producer.ts";
import {
  defaultBackwardConfig, defaultForwardConfig, renderAttentionBackward, renderAttentionForward,
} from "../../../../backends/cuda/attention/index.ts";

const TITLE = "attention kernels and lab under nvcc";

/**
 * Bytes a default kernel may spill: none, except the bf16 D = 128 forward with a block table and the wgmma backward
 * with a producer warpgroup (see the header).
 */
function spillBudget(kernel: KernelSource): number {
  const flexForward = kernel.name.startsWith("attn_fwd") && kernel.code.includes("block table") &&
    kernel.code.includes("constexpr int D = 128;");
  const producerBackward = kernel.name.startsWith("attn_bwd_wgmma") && kernel.code.includes("and a producer");
  return flexForward ? 96 : producerBackward ? 160 : 0;
}

/** Resource usage ptxas reports for one kernel. */
interface Usage {
  readonly registers: number;
  readonly spilled: number;
}

/** Per-kernel usage from `-Xptxas -v` output. */
function parsePtxas(output: string): Map<string, Usage> {
  const usage = new Map<string, Usage>();
  const pattern = new RegExp(String.raw`Function properties for (\w+)\s+\d+ bytes stack frame, (\d+) bytes spill ` +
    String.raw`stores, (\d+) bytes spill loads\s+ptxas info\s+: Used (\d+) registers`, "g");
  for (const m of output.matchAll(pattern)) {
    usage.set(m[1]!, { spilled: Number(m[2]) + Number(m[3]), registers: Number(m[4]) });
  }
  return usage;
}

describe.skipIf(!HAVE_NVCC)(HAVE_NVCC ? TITLE : `${TITLE}: skipped, nvcc is not installed on this machine`, () => {
  const cases = [...CASE_SETS["h200"]!().filter((c) => c.spec.Tq === 4096), ...CASE_SETS["check"]!()]
    .map((c) => ({ ...c, variants: [{ forward: defaultForwardConfig(c.spec), backward: defaultBackwardConfig(c.spec) }] }));
  const kernels = cases.flatMap((c) => [renderAttentionForward(c.spec, defaultForwardConfig(c.spec, true)),
    renderAttentionForward(c.spec, defaultForwardConfig(c.spec)),
    ...renderAttentionBackward(c.spec, defaultBackwardConfig(c.spec, true)),
    ...renderAttentionBackward(c.spec, defaultBackwardConfig(c.spec))].map((k) => ({ lab: c.name, kernel: k })));
  let dir: string;
  let build: { status: number | null; output: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "trainc-attention-nvcc-"));
    const cu = join(dir, "attention_lab.cu");
    writeFileSync(cu, renderLab(cases, "all"));
    const r = spawnSync("nvcc", [...labBuildArgs(cu, join(dir, "attention_lab")), "-Xptxas", "-v"],
      { encoding: "utf8" });
    build = { status: r.status, output: `${r.stdout}${r.stderr}` };
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`builds (compile and link, ${LAB_ARCH}) the lab with every default config, without warnings`, () => {
    expect(build.status, build.output.slice(-4000)).toBe(0);
    expect(build.output).not.toMatch(/warning/);
  });

  it("reports registers and spills of every default kernel; none spills beyond its budget", () => {
    const usage = parsePtxas(build.output);
    const rows = kernels.map(({ lab, kernel }) => {
      const u = usage.get(kernel.name);
      expect(u, `ptxas reported nothing for ${kernel.name}`).toBeDefined();
      return `${lab.padEnd(22)} ${kernel.name.padEnd(26)} ${String(u!.registers).padStart(3)} registers, ` +
        `${u!.spilled} bytes spilled`;
    });
    console.log(`ptxas, ${LAB_ARCH}, default configs:\n${rows.join("\n")}`);
    for (const { kernel } of kernels) expect(usage.get(kernel.name)!.spilled, kernel.name).toBeLessThanOrEqual(spillBudget(kernel));
  });

  it("kernels with a producer warpgroup start with the registers producer.ts expects (setmaxnreg.inc relies on it)", () => {
    const usage = parsePtxas(build.output);
    const producers = kernels.filter(({ kernel }) => kernel.code.includes("and a producer"));
    expect(producers.length).toBeGreaterThan(0);
    for (const { kernel } of producers) {
      const groups = kernel.block[0] / 128 - 1;
      expect(usage.get(kernel.name)!.registers, kernel.name).toBe(startRegisters(groups));
    }
  });

  it("bf16 D = 128 forward: no spills (flex: its budget) and at most 255 registers at 128 threads (two blocks per SM)", () => {
    const usage = parsePtxas(build.output);
    const forward = kernels.filter(({ kernel }) => kernel.name.startsWith("attn_fwd") &&
      kernel.code.includes("bf16 tensor cores") && kernel.code.includes("constexpr int D = 128;"));
    expect(forward.length).toBeGreaterThan(0);
    for (const { kernel } of forward) {
      expect(kernel.block[0]).toBe(128);
      expect(usage.get(kernel.name)!.spilled).toBeLessThanOrEqual(spillBudget(kernel));
      expect(usage.get(kernel.name)!.registers).toBeLessThanOrEqual(255);
    }
  });
});
