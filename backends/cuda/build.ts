// Builds a generated program into one folder per content hash: the folder's name is the sha256 of the main file, the
// runtime headers, the arch and the compiler's version, so building an unchanged program again is instant. Builds
// happen in a `.tmp-<pid>` folder renamed into place; when two processes build the same program at once, the first
// rename wins and the other keeps the winner's build.
// The arch picks the toolchain (TOOLCHAINS): NVIDIA archs build main.cu with `nvcc -O3 -std=c++17` (sm_90 by
// default; sm_90a with -gencode for wgmma-class kernels); AMD archs build the same program as HIP
// (backends/hip/toolchain.ts), with the CUDA-name table (backends/hip/cuda-shim) first on the include path.
//
// Error codes defined here:
//   5010  nvcc is not installed (or does not run)
//   5011  the compiler failed on the generated program (a bug in trainc: the log is kept in the build folder)
//   5012  an arch trainc cannot build for

import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail } from "../../compiler/diagnostics.ts";
import { hashText } from "../../ir/hash.ts";
import { cacheRoot } from "../cache.ts";
import { HIP_TOOLCHAINS } from "../hip/toolchain.ts";

const RUNTIME = join(import.meta.dirname, "runtime");

/** How one arch's programs are built: the main file's name, the compiler's version line, and the command. */
export interface Toolchain {
  readonly source: string;
  readonly version: () => string;
  /** [program, args] compiling `main` with the runtime headers in `runtime` into `binary`. */
  readonly command: (main: string, runtime: string, binary: string) => readonly [string, readonly string[]];
  /** Extra environment for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Files the build reads besides the main file and the runtime headers (hashed into the build's key). */
  readonly inputs?: readonly string[];
}

function nvcc(flags: readonly string[]): Toolchain {
  return {
    source: "main.cu", version: nvccVersion,
    command: (main, runtime, binary) => ["nvcc", [...flags, "-O3", "-std=c++17", "-lineinfo", "-I", runtime, main, "-o", binary, "-ldl"]],
  };
}

/** The archs trainc builds for. */
const TOOLCHAINS: Readonly<Record<string, Toolchain>> = {
  sm_80: nvcc(["-arch=sm_80"]),
  sm_89: nvcc(["-arch=sm_89"]),
  sm_90: nvcc(["-arch=sm_90"]),
  sm_90a: nvcc(["-gencode=arch=compute_90a,code=sm_90a"]),
  ...HIP_TOOLCHAINS,
};

/** What an arch's kernels may use beyond sm_80's instructions. */
export interface ArchFeatures {
  /** Hopper's warpgroup MMA (sm_90a only: the `a` archs are the ones that keep wgmma). */
  readonly wgmma: boolean;
}

/** The features of `arch` (any arch trainc builds for; AMD archs have none of these). */
export function archFeatures(arch: string): ArchFeatures {
  return { wgmma: arch === "sm_90a" };
}

/** The NVIDIA archs trainc builds for. */
export const CUDA_ARCHS = Object.keys(TOOLCHAINS).filter((a) => a.startsWith("sm_"));

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

/** A build about to run: where it goes, and the compiler command (absent when the cached build is reused). */
interface PendingBuild {
  readonly dir: string;
  readonly binary: string;
  readonly work: string;
  readonly toolchain: Toolchain;
}

/** The cached build of `main` for `arch`, or the folder and files a new build needs (written here). */
function prepareBuild(main: string, arch: string, name: string): Built | PendingBuild {
  const toolchain = TOOLCHAINS[arch];
  if (!toolchain) fail(5012, `--arch ${arch}: trainc builds for ${Object.keys(TOOLCHAINS).join(", ")}`, "pick one of those archs");
  const headers = runtimeHeaders();
  const read = (file: string) => readFileSync(file, "utf8");
  const key = hashText([main, arch, toolchain.version(), ...headers.map((h) => read(join(RUNTIME, h))),
    ...(toolchain.inputs ?? []).map(read)].join("\0"));
  const dir = join(cacheRoot(), arch.startsWith("sm_") ? "cuda" : "hip", key.slice(0, 32));
  const binary = join(dir, name);
  if (existsSync(binary)) return { dir, binary, compiled: false, seconds: 0 };
  const work = `${dir}.tmp-${process.pid}-${pending++}`;
  mkdirSync(join(work, "runtime"), { recursive: true });
  writeFileSync(join(work, toolchain.source), main);
  for (const h of headers) copyFileSync(join(RUNTIME, h), join(work, "runtime", h));
  return { dir, binary, work, toolchain };
}

/** Builds in flight in this process (each gets its own work folder). */
let pending = 0;

function commandOf(b: PendingBuild, name: string): readonly [string, readonly string[]] {
  return b.toolchain.command(join(b.work, b.toolchain.source), join(b.work, "runtime"), join(b.work, name));
}

/** Keeps the log, fails with 5011 on a compiler error, and moves the build into place. */
function finishBuild(b: PendingBuild, name: string, status: number | null, output: string, seconds: number): Built {
  const [program, args] = commandOf(b, name);
  writeFileSync(join(b.work, "build.log"), `${program} ${args.join(" ")}\n${output}`);
  if (status !== 0) {
    fail(5011, `${program} failed on the generated program (${join(b.work, "build.log")}):\n${output.slice(0, 2000)}`,
      "this is a bug in trainc's code generation; please report it with the log");
  }
  try {
    renameSync(b.work, b.dir);
  } catch (e) {
    if (!existsSync(b.binary)) throw e;
    rmSync(b.work, { recursive: true, force: true });
  }
  return { dir: b.dir, binary: b.binary, compiled: true, seconds };
}

/** Builds `main` (the program's text) for `arch`; `name` names the binary. */
export function buildProgram(main: string, arch: string, name: string): Built {
  const b = prepareBuild(main, arch, name);
  if ("compiled" in b) return b;
  const start = performance.now();
  const [program, args] = commandOf(b, name);
  const r = spawnSync(program, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...b.toolchain.env } });
  return finishBuild(b, name, r.status, `${r.stdout ?? ""}${r.stderr ?? r.error ?? ""}`, (performance.now() - start) / 1000);
}

/** buildProgram without blocking: several builds (the autotuner's) then run at once. */
export async function buildProgramAsync(main: string, arch: string, name: string): Promise<Built> {
  const b = prepareBuild(main, arch, name);
  if ("compiled" in b) return b;
  const start = performance.now();
  const [program, args] = commandOf(b, name);
  const { status, output } = await new Promise<{ status: number | null; output: string }>((done) => {
    let output = "";
    const child = spawn(program, args, { env: { ...process.env, ...b.toolchain.env } });
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (e) => done({ status: null, output: `${output}${e.message}` }));
    child.on("close", (code) => done({ status: code, output }));
  });
  return finishBuild(b, name, status, output, (performance.now() - start) / 1000);
}

/**
 * The GPU programs run on as the tuning DB keys it (`cuda: NVIDIA H200 (cc 9.0, driver 580.95.05)`), or undefined
 * without one: the first of $CUDA_VISIBLE_DEVICES when set, else nvidia-smi's first (on a machine of mixed GPUs, set
 * CUDA_VISIBLE_DEVICES: CUDA's own first device is the fastest, nvidia-smi's the first on the bus).
 */
export function cudaDeviceKey(): string | undefined {
  const visible = process.env["CUDA_VISIBLE_DEVICES"]?.split(",")[0]?.trim();
  const r = spawnSync("nvidia-smi", ["--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader", ...(visible ? ["-i", visible] : [])],
    { encoding: "utf8", timeout: 10_000 });
  const [name, cc, driver] = (r.status === 0 ? r.stdout.trim().split("\n")[0] ?? "" : "").split(",").map((x) => x.trim());
  return name && cc && driver ? `cuda: ${name} (cc ${cc}, driver ${driver})` : undefined;
}

/** The toolchain as the tuning DB keys it: the compiler's version line and the arch. */
export function toolchainKey(arch: string): string {
  const toolchain = TOOLCHAINS[arch] ?? fail(5012, `--arch ${arch}: trainc builds for ${Object.keys(TOOLCHAINS).join(", ")}`,
    "pick one of those archs");
  return `${toolchain.version()} (${arch})`;
}
