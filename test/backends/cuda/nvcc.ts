// Compiling generated CUDA in tests: finds nvcc, compiles sources (compile only: no GPU here), and says why a test is
// skipped when nvcc is missing.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether nvcc runs on this machine. */
export const HAVE_NVCC = spawnSync("nvcc", ["--version"], { encoding: "utf8" }).status === 0;
export const NO_NVCC_REASON = "nvcc is not installed on this machine (the CUDA compile checks need it)";

/** Compiles `source` with nvcc `-c` and the given flags; returns nvcc's exit status and output. */
export function nvccCompile(source: string, flags: readonly string[] = ["-arch=sm_90"]): { status: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "trainc-nvcc-"));
  try {
    const file = join(dir, "kernels.cu");
    writeFileSync(file, source);
    const r = spawnSync("nvcc", [...flags, "-std=c++17", "-c", file, "-o", join(dir, "kernels.o")], { encoding: "utf8" });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
