// The toolchain probes CUDA tests share (nvcc, g++, the CUDA include folder), compiling generated CUDA (compile only:
// no GPU here), and why a test is skipped when nvcc is missing.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether nvcc runs on this machine. */
export const HAVE_NVCC = spawnSync("nvcc", ["--version"], { encoding: "utf8" }).status === 0;

/** Whether g++ runs on this machine (host builds, and CUDA sources over the CPU emulation in templates/lab/emu.h). */
export const HAVE_GXX = spawnSync("g++", ["--version"], { encoding: "utf8" }).status === 0;

/** The CUDA toolkit's include folder as nvcc reports it (for host-only C++ using CUDA types); undefined without. */
export const CUDA_INCLUDE: string | undefined = (() => {
  if (!HAVE_NVCC) return undefined;
  const dry = spawnSync("nvcc", ["--dryrun", "-c", "-x", "cu", "/dev/null", "-o", "/dev/null"], { encoding: "utf8" });
  const include = /INCLUDES="-I([^"]+)"/.exec(`${dry.stdout}${dry.stderr}`)?.[1]?.trim();
  return include !== undefined && existsSync(join(include, "library_types.h")) ? include : undefined;
})();
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
