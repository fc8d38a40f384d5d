// Runs generated GEMMs on the CPU: renders each case with the emulated device-instruction layer (emu/layer.inc),
// writes one C++ program holding every kernel and a check::run per case (emu/check.h), builds it with g++ and
// parses the per-case result lines. The launch uses the KernelSource's own params, grid, block and sharedBytes, so
// those are checked too.
// Invariants: the program is built in a fresh temporary folder that is removed afterwards; a missing result line is
// reported as a failure of that case with the program's output.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KernelSource } from "../../../../backends/kernel.ts";
import { gemmCType } from "../../../../backends/cuda/gemm/common.ts";
import type { GemmConfig } from "../../../../backends/cuda/gemm/config.ts";
import { gemmFlagCount, renderGemmWithLayer } from "../../../../backends/cuda/gemm/render.ts";
import type { GemmSpec } from "../../../../backends/cuda/gemm/spec.ts";

const EMU = join(dirname(fileURLToPath(import.meta.url)), "emu");

/** Whether g++ runs on this machine. */
export const HAVE_GXX = spawnSync("g++", ["--version"]).status === 0;

/** One case: a spec, a config, and for accumulation whether C_in is C itself. */
export interface EmuCase {
  readonly name: string;
  readonly spec: GemmSpec;
  readonly config: GemmConfig;
  readonly alias?: boolean;
}

/** The outcome of one case. */
export interface EmuResult {
  readonly rel: number;
  readonly flagsLeft: number;
  /** ldmatrix matrices whose rows shared a bank group (0 for a conflict-free swizzle). */
  readonly conflicts: number;
  readonly ok: boolean;
}


function caseCode(c: EmuCase, kernel: KernelSource): string {
  const s = c.spec;
  const inT = gemmCType(s.inputDtype);
  const outT = gemmCType(s.outputDtype);
  const args = kernel.params.map((p) => p.name).join(", ");
  const flags = gemmFlagCount(s, c.config);
  const desc = [s.m, s.n, s.k, s.batch, s.transposeA, s.transposeB, s.broadcastA, s.broadcastB, s.accumulate,
    c.alias === true, flags].join(", ");
  return `  ok &= check::run<${inT}, ${outT}>(check::Case{"${c.name}", ${desc}},
    [](const ${inT}* a, const ${inT}* b, const ${outT}* c_in, ${outT}* c, int* flags) {
      (void)c_in;
      (void)flags;
      ::emu::launch(${kernel.name}, uint3_emu{${kernel.grid.join(", ")}}, uint3_emu{${kernel.block.join(", ")}},
                    ${kernel.sharedBytes}, ${args});
    });`;
}

function program(cases: readonly EmuCase[]): string {
  const layer = readFileSync(join(EMU, "layer.inc"), "utf8");
  const kernels = cases.map((c) => renderGemmWithLayer(c.spec, c.config, layer));
  return `#include "check.h"
${kernels.map((k) => k.code).join("\n")}
int main(int argc, char** argv) {
  ::emu::deferred_copies = argc > 1 && std::strcmp(argv[1], "deferred") == 0;
  bool ok = true;
${cases.map((c, i) => caseCode(c, kernels[i]!)).join("\n")}
  return ok ? 0 : 1;
}
`;
}

/** Emulation results of one run: copies landing at issue (`immediate`) or at their wait (`deferred`). */
export type EmuRun = "immediate" | "deferred";

function parse(output: string, cases: readonly EmuCase[], what: string): Map<string, EmuResult> {
  const results = new Map<string, EmuResult>();
  for (const m of output.matchAll(/^case (\S+) rel (\S+) flags (\d+) conflicts (\d+) (ok|FAIL)$/gm)) {
    results.set(m[1]!, { rel: Number(m[2]), flagsLeft: Number(m[3]), conflicts: Number(m[4]), ok: m[5] === "ok" });
  }
  for (const c of cases) {
    if (!results.has(c.name)) throw new Error(`case ${c.name} printed no result (${what}):\n${output}`);
  }
  return results;
}

/** Builds every case into one program and runs it once per mode in `runs`. */
export function emulate(cases: readonly EmuCase[], runs: readonly EmuRun[]): Map<EmuRun, Map<string, EmuResult>> {
  const dir = mkdtempSync(join(tmpdir(), "trainc-gemm-emu-"));
  try {
    const source = join(dir, "emu.cpp");
    const exe = join(dir, "emu");
    writeFileSync(source, program(cases));
    const flags = ["-std=c++17", "-O1", "-w", `-I${join(EMU, "include")}`, `-I${EMU}`];
    const build = spawnSync("g++", [...flags, source, "-o", exe], { encoding: "utf8" });
    if (build.status !== 0) throw new Error(`g++ failed:\n${build.stderr}`);
    return new Map(runs.map((mode) => {
      const run = spawnSync(exe, [mode], { encoding: "utf8", maxBuffer: 1 << 24 });
      return [mode, parse(`${run.stdout}${run.stderr}`, cases, `${mode} run, exit ${run.status}`)];
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
