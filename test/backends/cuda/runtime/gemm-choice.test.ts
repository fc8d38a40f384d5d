// The per-GEMM choice between generated kernels and cuBLASLt (runtime/gemm-choice.h) without a GPU: against the
// stand-in libcublasLt (cpp/fake-cublaslt.cpp) and a made-up timer (cpp/choice-tool.cpp), TRAINC_GEMM=auto keeps the
// faster candidate and times each shape once, generated and cublaslt force one, cublaslt falls back per GEMM with a
// note when there is no algorithm, the library is found through TRAINC_CUBLASLT first and then by name, and every
// site computes its product (broadcast batches included) whichever backend it runs on.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, CUDA_INCLUDE, HAVE_GXX, NO_GXX, NO_NVCC, printedError, run } from "./build.ts";

const empty = mkdtempSync(join(tmpdir(), "trainc-rt-nolib-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));
const SYSTEM_CUBLASLT = /libcublasLt\.so/.test(spawnSync("sh", ["-c", "ldconfig -p 2>/dev/null"], { encoding: "utf8" }).stdout ?? "");
const skipped = !HAVE_GXX ? NO_GXX : CUDA_INCLUDE === undefined ? NO_NVCC : undefined;
let tool = "";
let fakeDir = "";

const SITES = ["g k0", "g k1", "g k2", "g k3"];

/** The tool's output for a run where every site ran on `backend`, after the start line and any notes. */
function outcome(backend: "cublaslt" | "generated", mode: string, timed: [number, number]): string[] {
  const count = backend === "cublaslt" ? "4 on cuBLASLt, 0 generated" : "0 on cuBLASLt, 4 generated";
  const ran = backend === "cublaslt" ? "cuBLASLt" : "its generated kernel";
  return [
    ...SITES.map((s) => `${s}: ${backend}`), `GEMMs: ${count} (TRAINC_GEMM=${mode}, 0 as the tuning DB chose)`, `timed: generated ${timed[0]}, cuBLASLt ${timed[1]}`,
    ...SITES.map((s) => `${s} ran on ${ran}: ok`),
  ];
}

function choose(mode: string, generatedMs: number, libraryMs: number, env: Record<string, string> = {}, tuned: number[] = []): string[] {
  const args = ["choose", mode, String(generatedMs), String(libraryMs), ...(tuned.length > 0 ? [tuned.join(",")] : [])];
  const r = run(tool, args, { env: { LD_LIBRARY_PATH: fakeDir, TRAINC_CUBLASLT: "", ...env } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.trimEnd().split("\n");
}

describe.skipIf(skipped !== undefined)(skipped === undefined ? "GEMM choice" : `GEMM choice (skipped: ${skipped})`, () => {
  beforeAll(() => {
    fakeDir = dirname(build("g++", ["fake-cublaslt.cpp"], "libcublasLt.so.13", ["-shared", "-fPIC", `-I${CUDA_INCLUDE}`]));
    tool = build("g++", ["choice-tool.cpp"], "choice-tool", [`-I${CUDA_INCLUDE}`]);
  });

  it("auto keeps cuBLASLt where it is faster, timing each shape once", () => {
    expect(choose("auto", 2, 1)).toEqual([`cuBLASLt 13.1.2: loaded ${fakeDir}/libcublasLt.so.13 (TRAINC_GEMM=auto)`, ...outcome("cublaslt", "auto", [3, 3])]);
  });

  it("auto keeps the generated kernel where it is faster, or as fast", () => {
    expect(choose("auto", 1, 2).slice(1)).toEqual(outcome("generated", "auto", [3, 3]));
    expect(choose("", 1, 1).slice(1)).toEqual(outcome("generated", "auto", [3, 3]));
  });

  it("generated and cublaslt force one backend without timing", () => {
    expect(choose("generated", 2, 1)).toEqual(["cuBLASLt: not used (TRAINC_GEMM=generated)", ...outcome("generated", "generated", [0, 0])]);
    expect(choose("cublaslt", 1, 2).slice(1)).toEqual(outcome("cublaslt", "cublaslt", [0, 0]));
  });

  it("cublaslt falls back per GEMM with a note when cuBLASLt has no algorithm; auto falls back silently", () => {
    const notes = [[3, 5, 7], [3, 5, 7], [4, 3, 6], [2, 4, 5]].map(([m, n, k], i) =>
      `GEMM g k${i} runs its generated kernel: cuBLASLt has no algorithm for a ${m}x${n}x${k} GEMM (CUBLAS_STATUS_NOT_SUPPORTED)`);
    expect(choose("cublaslt", 1, 2, { FAKE_CUBLASLT_NO_ALGO: "1" }).slice(1)).toEqual([...notes, ...outcome("generated", "cublaslt", [0, 0])]);
    expect(choose("auto", 2, 1, { FAKE_CUBLASLT_NO_ALGO: "1" }).slice(1)).toEqual(outcome("generated", "auto", [0, 0]));
  });

  it("finds the library through TRAINC_CUBLASLT first, then by name", () => {
    const file = join(fakeDir, "libcublasLt.so.13");
    expect(choose("auto", 2, 1, { LD_LIBRARY_PATH: empty, TRAINC_CUBLASLT: file })[0]).toBe(`cuBLASLt 13.1.2: loaded ${file} (TRAINC_GEMM=auto)`);
    expect(choose("auto", 2, 1, { TRAINC_CUBLASLT: join(empty, "missing.so") })[0]).toBe(`cuBLASLt 13.1.2: loaded ${file} (TRAINC_GEMM=auto)`);
  });

  it.skipIf(SYSTEM_CUBLASLT)("says why cuBLASLt did not load, and every GEMM runs its generated kernel", () => {
    const lines = choose("cublaslt", 2, 1, { LD_LIBRARY_PATH: empty, TRAINC_CUBLASLT: join(empty, "missing.so") });
    expect(lines[0]).toMatch(new RegExp(`^cuBLASLt: not loaded, every GEMM runs its generated kernel: cuBLASLt is not installed \\(${empty}/missing\\.so: ` +
      "cannot open shared object file.*libcublasLt\\.so: cannot open.*\\) \\(set TRAINC_CUBLASLT to the full path of libcublasLt\\.so to use it\\)$"));
    expect(lines.slice(1)).toEqual(outcome("generated", "cublaslt", [0, 0]));
  });

  it("auto runs what the tuning DB chose without timing; an algorithm cuBLASLt lacks falls back with a note", () => {
    expect(choose("auto", 2, 1, {}, [-1, 0, 1, 5]).slice(1)).toEqual([
      "GEMM g k3 runs its generated kernel: cuBLASLt has no algorithm 5 for a 2x4x5 GEMM (2 candidates)",
      "g k0: generated", "g k1: cublaslt", "g k2: cublaslt", "g k3: generated",
      "GEMMs: 2 on cuBLASLt, 2 generated (TRAINC_GEMM=auto, 3 as the tuning DB chose)", "timed: generated 0, cuBLASLt 0",
      "g k0 ran on its generated kernel: ok", "g k1 ran on cuBLASLt: ok", "g k2 ran on cuBLASLt: ok", "g k3 ran on its generated kernel: ok",
    ]);
    expect(choose("auto", 2, 1, {}, [-1, 0, 1, 9]).slice(1)[0]).toBe(
      "GEMM g k3 runs its generated kernel: cuBLASLt algorithm 9 (trainc asks for its first 8)");
    expect(choose("generated", 2, 1, {}, [0, 0, 0, 0]).slice(1)).toEqual(outcome("generated", "generated", [0, 0]));
  });

  it("refuses an unknown TRAINC_GEMM (6541)", () => {
    const e = printedError(run(tool, ["choose", "fastest", "1", "1"], { env: { LD_LIBRARY_PATH: fakeDir } }));
    expect(e).toEqual({ code: 6541, message: "TRAINC_GEMM is 'fastest'", fix: "set TRAINC_GEMM to auto (the default), generated or cublaslt" });
  });
});
