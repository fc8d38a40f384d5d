// How AMD archs build: the CUDA backend's generated program compiled as HIP, with the CUDA-name table
// (backends/hip/cuda-shim) first on the include path. gfx90a (MI200) builds with Debian's hipcc (HIP 5.2, clang 15;
// HIP_PLATFORM=amd, or hipcc would look for nvcc); gfx942 (MI300), which clang 15 predates, with Debian's clang-19
// and HIP 5.2's device libraries, which lack the one-constant oclc_isa_version_942.bc: it is made from the gfx90a one
// with the ISA number changed (../shared/reference/toolchain.md, section 2), into a folder of the cache with links to
// the rest.
// Invariant: a build never writes outside its own folder and the cache; the bitcode folder is made once, atomically.
//
// Error codes defined here:
//   5013  the HIP compiler for the arch is not installed

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail } from "../../compiler/diagnostics.ts";
import { cacheRoot } from "../cache.ts";
import type { Toolchain } from "../cuda/build.ts";

const SHIM = join(import.meta.dirname, "cuda-shim");
const DEVICE_LIBS = "/usr/lib/x86_64-linux-gnu/amdgcn/bitcode";
const HIP_ENV = { HIP_PLATFORM: "amd" };

function versionOf(program: string, install: string): string {
  const r = spawnSync(program, ["--version"], { encoding: "utf8", env: { ...process.env, ...HIP_ENV } });
  if (r.status !== 0) fail(5013, `${program} (the HIP compiler for this arch) was not found or did not run`, `install it: ${install}`);
  return r.stdout.trim().split("\n").slice(0, 2).join(" ");
}

const FLAGS = ["-O3", "-std=c++17", "-Wno-unused-result", "-I", SHIM];

/** The CUDA-name headers every HIP build reads (part of its cache key). */
const SHIM_FILES = readdirSync(SHIM).filter((f) => f.endsWith(".h")).sort().map((f) => join(SHIM, f));

/** The device-library folder for gfx942: HIP 5.2's bitcode plus the ISA-version file it lacks. */
function gfx942DeviceLibs(): string {
  const dir = join(cacheRoot(), "hip", "bitcode-gfx942");
  if (existsSync(join(dir, "oclc_isa_version_942.bc"))) return dir;
  const work = `${dir}.tmp-${process.pid}`;
  mkdirSync(work, { recursive: true });
  for (const f of readdirSync(DEVICE_LIBS).filter((f) => f.endsWith(".bc"))) symlinkSync(join(DEVICE_LIBS, f), join(work, f));
  const text = spawnSync("llvm-dis-19", ["-o", "-", join(DEVICE_LIBS, "oclc_isa_version_90a.bc")], { encoding: "utf8" });
  if (text.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    fail(5013, "llvm-dis-19 was not found or did not run", "install it: apt-get install llvm-19");
  }
  if (!text.stdout.includes("constant i32 9010")) {
    rmSync(work, { recursive: true, force: true });
    fail(5013, `${DEVICE_LIBS}/oclc_isa_version_90a.bc does not hold the gfx90a ISA version 9010 this build rewrites`,
      "install Debian's HIP 5.2 device libraries (rocm-device-libs), which the gfx942 workaround is made for");
  }
  writeFileSync(join(work, "isa942.ll"), text.stdout.replace("constant i32 9010", "constant i32 9402"));
  const as = spawnSync("llvm-as-19", ["-o", join(work, "oclc_isa_version_942.bc"), join(work, "isa942.ll")], { encoding: "utf8" });
  if (as.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    fail(5013, `llvm-as-19 failed: ${as.stderr}`, "install it: apt-get install llvm-19");
  }
  try {
    renameSync(work, dir);
  } catch (e) {
    if (!existsSync(join(dir, "oclc_isa_version_942.bc"))) throw e;
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** The AMD archs trainc builds for. */
export const HIP_TOOLCHAINS: Readonly<Record<string, Toolchain>> = {
  gfx90a: {
    source: "main.hip", env: HIP_ENV, inputs: SHIM_FILES,
    version: () => versionOf("hipcc", "apt-get install hipcc libamdhip64-dev"),
    command: (main, runtime, binary) => ["hipcc", ["--offload-arch=gfx90a", ...FLAGS, "-I", runtime, main, "-o", binary, "-ldl"]],
  },
  gfx942: {
    source: "main.hip", inputs: SHIM_FILES,
    version: () => versionOf("clang++-19", "apt-get install clang-19 lld-19 llvm-19 libamdhip64-dev"),
    command: (main, runtime, binary) => ["clang++-19", ["-x", "hip", "--offload-arch=gfx942", "--rocm-path=/usr",
      `--rocm-device-lib-path=${gfx942DeviceLibs()}`, ...FLAGS, "-I", runtime, main, "-o", binary, "-lamdhip64", "-ldl"]],
  },
};
