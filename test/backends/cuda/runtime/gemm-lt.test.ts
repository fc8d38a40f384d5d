// gemm_lt without a GPU: against a stand-in libcublasLt (cpp/fake-cublaslt.cpp) that implements the documented
// column-major semantics on host memory and refuses inconsistent layouts, every row-major case (both transposes,
// f32 and bf16 inputs and outputs, batches, alpha and beta) matches a direct row-major reference and plans are
// reused; with no algorithm or no library at all, gemm_lt returns false with the reason so the caller falls back.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, CUDA_INCLUDE, HAVE_GXX, NO_GXX, NO_NVCC, run } from "./build.ts";

const empty = mkdtempSync(join(tmpdir(), "trainc-rt-nolib-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));
const SYSTEM_CUBLASLT = /libcublasLt\.so/.test(spawnSync("sh", ["-c", "ldconfig -p 2>/dev/null"], { encoding: "utf8" }).stdout ?? "");
const skipped = !HAVE_GXX ? NO_GXX : CUDA_INCLUDE === undefined ? NO_NVCC : undefined;
let tool = "";
let fakeDir = "";

describe.skipIf(skipped !== undefined)(skipped === undefined ? "gemm_lt" : `gemm_lt (skipped: ${skipped})`, () => {
  beforeAll(() => {
    fakeDir = dirname(build("g++", ["fake-cublaslt.cpp"], "libcublasLt.so.13", ["-shared", "-fPIC", `-I${CUDA_INCLUDE}`]));
    tool = build("g++", ["gemm-tool.cpp"], "gemm-tool", [`-I${CUDA_INCLUDE}`]);
  });

  it("computes every row-major case through the column-major library", () => {
    const r = run(tool, ["check"], { env: { LD_LIBRARY_PATH: fakeDir } });
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => !l.endsWith(": ok") && !l.startsWith("plans"))).toEqual([]);
    expect(lines).toHaveLength(3 * 128 + 1);
    expect(lines.at(-1)).toBe("plans reused: yes");
    expect(r.status).toBe(0);
  });

  it("falls back with the reason when the library has no algorithm", () => {
    const r = run(tool, ["reason"], { env: { LD_LIBRARY_PATH: fakeDir, FAKE_CUBLASLT_NO_ALGO: "1" } });
    expect(r.stdout).toBe("fallback: cuBLASLt has no algorithm for a 2x2x2 GEMM (CUBLAS_STATUS_NOT_SUPPORTED)\n");
  });

  it.skipIf(SYSTEM_CUBLASLT)("falls back with the reason when cuBLASLt is not installed", () => {
    const r = run(tool, ["reason"], { env: { LD_LIBRARY_PATH: empty } });
    expect(r.stdout).toMatch(/^fallback: cuBLASLt is not installed \(libcublasLt\.so\.13: cannot open shared object file.*libcublasLt\.so: cannot open/);
  });
});
