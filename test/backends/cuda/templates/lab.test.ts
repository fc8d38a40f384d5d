// The anchor-template lab end to end on this machine: lab.ts writes the folder for every case; nvcc builds and links
// it for sm_90 (what the GPU session runs, bench cases included), and g++ builds it over the CPU emulation (lab/emu.h)
// and runs the checked cases, so every generated kernel is checked against the interpreter here, device errors
// included. Both builds run at once.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { CUDA_INCLUDE, HAVE_GXX, HAVE_NVCC, NO_NVCC_REASON } from "../nvcc.ts";
import { writeLab } from "./lab.ts";
import { benchCases } from "./lab-bench.ts";
import { labCases } from "./lab-cases.ts";

function run(command: string, args: readonly string[], cwd: string): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (status) => resolve({ status: status ?? -1, output }));
  });
}

describe("anchor-template lab", () => {
  const dir = mkdtempSync(join(tmpdir(), "trainc-lab-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.skipIf(!HAVE_NVCC || !HAVE_GXX || CUDA_INCLUDE === undefined)("builds with nvcc for sm_90; on the CPU emulation every case passes", async () => {
    const cases = labCases();
    const bench = benchCases();
    writeLab(dir, [...cases, ...bench]);
    expect(readdirSync(join(dir, "data")).length).toBe(cases.length);
    const [gpu, cpu] = await Promise.all([
      run("nvcc", ["-arch=sm_90", "-O2", "-std=c++17", "-o", "lab", "lab.cu"], dir),
      run("g++", ["-std=c++20", "-O1", "-ffp-contract=off", "-w", "-x", "c++", "-include", "emu.h", `-I${CUDA_INCLUDE}`,
        "-o", "lab-emulated", "lab.cu"], dir),
    ]);
    expect(gpu.output.split("\n").filter((l) => /error/i.test(l)).slice(0, 10), "nvcc").toEqual([]);
    expect(gpu.status).toBe(0);
    expect(cpu.output.slice(0, 4000), "g++").toBe("");
    const result = await run("./lab-emulated", ["data"], dir);
    const lines = result.output.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("FAIL") || l.startsWith("emu:")), "failing cases").toEqual([]);
    expect(lines.at(-1)).toBe(`${cases.length} passed, 0 failed`);
    expect(lines.filter((l) => l.includes("host reports: error[E")).length).toBe(cases.filter((c) => c.error).length);
    expect(result.status).toBe(0);
  }, 300_000);
});

if (!HAVE_NVCC) console.warn(NO_NVCC_REASON);
