// Builds a generated CUDA program with nvcc into one folder per content hash: the folder's name is the sha256 of
// main.cu, the runtime headers, the arch and nvcc's version, so building an unchanged program again is instant.
// Builds happen in a `.tmp-<pid>` folder renamed into place; when two processes build the same program at once, the
// first rename wins and the other keeps the winner's build.
// Writes main.cu and the runtime headers beside it, then `nvcc -O3 -std=c++17` for the arch (sm_90 by default; sm_90a
// with -gencode for wgmma-class kernels).
//
// Error codes defined here:
//   5010  nvcc is not installed (or does not run)
//   5011  nvcc failed on the generated program (a bug in trainc: the log is kept in the build folder)
//   5012  an arch trainc cannot build for

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fail } from "../../compiler/diagnostics.ts";
import { hashText } from "../../ir/hash.ts";

const RUNTIME = join(import.meta.dirname, "runtime");

/** The archs trainc builds for, and the nvcc flags of each. */
const ARCHS: Readonly<Record<string, readonly string[]>> = {
  sm_80: ["-arch=sm_80"],
  sm_89: ["-arch=sm_89"],
  sm_90: ["-arch=sm_90"],
  sm_90a: ["-gencode=arch=compute_90a,code=sm_90a"],
};

/** The folder trainc keeps builds in: $TRAINC_CACHE, else $XDG_CACHE_HOME/trainc, else ~/.cache/trainc. */
export function cacheRoot(): string {
  return process.env["TRAINC_CACHE"] ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "trainc");
}

function nvccVersion(): string {
  const r = spawnSync("nvcc", ["--version"], { encoding: "utf8" });
  if (r.status !== 0) {
    fail(5010, "nvcc (the CUDA compiler) was not found or did not run", "install the CUDA toolkit (nvcc on PATH), or use --target cpu");
  }
  return r.stdout.trim().split("\n").at(-1) ?? "";
}

function runtimeHeaders(): string[] {
  return readdirSync(RUNTIME).filter((f) => f.endsWith(".h")).sort();
}

export interface Built {
  readonly dir: string;
  readonly binary: string;
  /** Whether this call compiled (false: the cached build was reused). */
  readonly compiled: boolean;
  readonly seconds: number;
}

/** Builds `main` (the text of main.cu) for `arch`; `name` names the binary. */
export function buildProgram(main: string, arch: string, name: string): Built {
  const flags = ARCHS[arch];
  if (!flags) fail(5012, `--arch ${arch}: trainc builds CUDA for ${Object.keys(ARCHS).join(", ")}`, "pick one of those archs");
  const headers = runtimeHeaders();
  const key = hashText([main, arch, nvccVersion(), ...headers.map((h) => readFileSync(join(RUNTIME, h), "utf8"))].join("\0"));
  const dir = join(cacheRoot(), "cuda", key.slice(0, 32));
  const binary = join(dir, name);
  if (existsSync(binary)) return { dir, binary, compiled: false, seconds: 0 };
  const work = `${dir}.tmp-${process.pid}`;
  mkdirSync(join(work, "runtime"), { recursive: true });
  writeFileSync(join(work, "main.cu"), main);
  for (const h of headers) copyFileSync(join(RUNTIME, h), join(work, "runtime", h));
  const start = performance.now();
  const r = spawnSync("nvcc", [...flags, "-O3", "-std=c++17", "-lineinfo", "-I", join(work, "runtime"), join(work, "main.cu"),
    "-o", join(work, name), "-ldl"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(join(work, "nvcc.log"), `${r.stdout}${r.stderr}`);
  if (r.status !== 0) {
    fail(5011, `nvcc failed on the generated program (${join(work, "nvcc.log")}):\n${`${r.stderr}`.slice(0, 2000)}`,
      "this is a bug in trainc's CUDA backend; please report it with the log");
  }
  try {
    renameSync(work, dir);
  } catch (e) {
    if (!existsSync(binary)) throw e;
    rmSync(work, { recursive: true, force: true });
  }
  return { dir, binary, compiled: true, seconds: (performance.now() - start) / 1000 };
}
