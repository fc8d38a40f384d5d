// The files a CUDA training run writes about itself (runtime/run-summary.h), built with g++: summary.json holds the
// steps, their wall-clock seconds, the median throughput over steps 3..N (null with fewer), device memory and the
// GEMM backends; the --profile file one object per launch; both are valid JSON with the documented keys, and a file
// that cannot be written stops the run with 6521 and leaves nothing behind.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, HAVE_GXX, NO_GXX, printedError, run } from "./build.ts";

const dir = mkdtempSync(join(tmpdir(), "trainc-rt-summary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let tool = "";

function summary(seconds: number[], tokens: number[]): Record<string, unknown> {
  const file = join(dir, `summary-${seconds.length}.json`);
  const r = run(tool, ["summary", file], { input: JSON.stringify({ seconds, tokens, memory: [6437920, 40000000, 123456789], gemms: [3, 42] }) });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(readFileSync(file, "utf8"));
}

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "run summary and profile files" : `run summary and profile files (skipped: ${NO_GXX})`, () => {
  beforeAll(() => {
    tool = build("g++", ["summary-tool.cpp"], "summary-tool");
  });

  it("summary.json: the median input tokens per second of steps 3..N, and everything else as given", () => {
    const seconds = [2.5, 0.75, 0.5, 0.25, 0.5, 1, 0.4];
    const tokens = [500, 500, 400, 500, 100, 600, 480];
    expect(summary(seconds, tokens)).toEqual({
      steps: 7, tokens_per_second: 800, step_seconds: seconds,
      device_memory: { predicted_bytes: 6437920, arena_bytes: 40000000, peak_used_bytes: 123456789 },
      gemm_backends: { generated: 3, cublaslt: 42 },
    });
    expect(summary(seconds.slice(0, 6), tokens.slice(0, 6)).tokens_per_second).toBe((600 + 800) / 2);
  });

  it("summary.json: no throughput figure without a step past the first two", () => {
    expect(summary([3, 1], [100, 100])).toMatchObject({ steps: 2, tokens_per_second: null, step_seconds: [3, 1] });
  });

  it("the profile: one object per launch with graph, kernel, source, kind, backend, ms and flops", () => {
    const file = join(dir, "profile.json");
    expect(run(tool, ["profile", file]).status).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      step_ms: 2,
      kernels: [
        { graph: "micro_step", kernel: "k0_fused", source: "fused_0123456789abcdef", kind: "fused", backend: "", ms: 0.5, flops: 16 },
        { graph: "micro_step", kernel: "k1_matmul", source: "gemm_fedcba9876543210", kind: "matmul", backend: "cublaslt", ms: 1.25, flops: 68719476736 },
        { graph: "optimizer_step", kernel: "k0_adamw", source: "adamw_00112233445566", kind: "adamw", backend: "", ms: 0.125, flops: 0 },
      ],
    });
  });

  it("a file that cannot be written stops with 6521 and leaves nothing behind", () => {
    writeFileSync(join(dir, "blocked"), "");
    const e = printedError(run(tool, ["profile", join(dir, "blocked", "profile.json")]));
    expect(e.code).toBe(6521);
    expect(e.message).toBe(`cannot write the kernel profile '${join(dir, "blocked", "profile.json")}': Not a directory`);
    mkdirSync(join(dir, "taken"));
    expect(printedError(run(tool, ["summary", join(dir, "taken")], { input: '{"seconds": [], "tokens": [], "memory": [0, 0, 0], "gemms": [0, 0]}' })))
      .toMatchObject({ code: 6521, message: `cannot write the run summary '${join(dir, "taken")}': Is a directory` });
    expect(readdirSync(dir).filter((f) => f.includes("partial"))).toEqual([]);
  });
});
