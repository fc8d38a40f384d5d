// Building and running the C++ test programs of the CUDA runtime: finds g++ and nvcc, compiles a program from
// test/backends/cuda/runtime/cpp against backends/cuda/runtime (cached by the content of every source, every header
// there and in cpp/, and the flags, so a rerun with nothing changed builds nothing), and runs it, capturing status,
// signal and output.
// Invariant: a cached binary is only ever used for exactly the sources and flags it was built from.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const RUNTIME_DIR = fileURLToPath(new URL("../../../../backends/cuda/runtime/", import.meta.url));
export const CPP_DIR = fileURLToPath(new URL("./cpp/", import.meta.url));

export { CUDA_INCLUDE, HAVE_GXX, HAVE_NVCC } from "../nvcc.ts";
export const NO_GXX = "g++ is not installed on this machine (the C++ runtime tests build their programs with it)";
export const NO_NVCC = "nvcc is not installed on this machine (the CUDA runtime headers are compiled with it)";

/** Hash of the runtime headers, the test headers, the program's sources and the command line. */
function buildKey(sources: readonly string[], command: readonly string[]): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(RUNTIME_DIR).sort()) hash.update(name).update(readFileSync(join(RUNTIME_DIR, name)));
  for (const name of readdirSync(CPP_DIR).filter((f) => f.endsWith(".h")).sort()) hash.update(name).update(readFileSync(join(CPP_DIR, name)));
  for (const source of sources) hash.update(source).update(readFileSync(source));
  hash.update(command.join("\0"));
  return hash.digest("hex").slice(0, 20);
}

/**
 * Builds `sources` (paths under cpp/, or absolute) with `compiler` into an executable (or, with `-shared` among
 * the flags, a library) named `output`, and returns its path. Throws with the compiler's output when it fails.
 */
export function build(compiler: "g++" | "nvcc", sources: readonly string[], output: string, flags: readonly string[] = []): string {
  const paths = sources.map((s) => (s.startsWith("/") ? s : join(CPP_DIR, s)));
  const base = compiler === "g++" ? ["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror"] : ["-std=c++17", "-arch=sm_90"];
  const args = [...base, `-I${RUNTIME_DIR}`, ...flags, ...paths];
  const dir = join(tmpdir(), "trainc-cuda-runtime-tests", buildKey(paths, [compiler, ...args]));
  const target = join(dir, output);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const result = spawnSync(compiler, [...args, "-o", partial], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${compiler} failed on ${sources.join(" ")}:\n${result.stdout}${result.stderr}`);
  renameSync(partial, target);
  return target;
}

/** What a run of a test program did. */
export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `exe` with `args` (and optional stdin text and environment additions). */
export function run(exe: string, args: readonly string[], options: { input?: string | Uint8Array; env?: Record<string, string> } = {}): RunResult {
  const r = spawnSync(exe, args, { encoding: "utf8", input: options.input, env: { ...process.env, ...options.env }, maxBuffer: 1 << 28 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The code and message of the `error[E<code>]: ...` a failed run printed (with its fix line). */
export function printedError(r: RunResult): { code: number; message: string; fix: string } {
  const m = /error\[E(\d+)\]: (.*)\n {2}fix: (.*)/.exec(r.stderr);
  if (m === null) throw new Error(`expected a trainc error, got status ${r.status}, stderr:\n${r.stderr}`);
  return { code: Number(m[1]), message: m[2]!, fix: m[3]! };
}
