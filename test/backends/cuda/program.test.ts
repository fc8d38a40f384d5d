// The whole CUDA training program of the example config: `trainc compile --target cuda` schedules, renders and
// builds it with nvcc for sm_90 (compile and link; nothing runs here), writes a report whose kernel list and memory
// figures add up, and the binary refuses to run without a GPU with a clear error.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test, vi } from "vitest";
import { main } from "../../../compiler/cli.ts";
import { HAVE_NVCC, NO_NVCC_REASON } from "./nvcc.ts";

const example = join(import.meta.dirname, "../../../examples/tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "trainc-cuda-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test.skipIf(!HAVE_NVCC)("the example compiles to a CUDA training binary", async () => {
  const config = join(tmp, "config.yml");
  writeFileSync(config, readFileSync(join(example, "config.yml"), "utf8")
    .replace("base_model: ./model", `base_model: ${join(example, "model")}`)
    .replace("tokenizer_config: ./tokenizer", `tokenizer_config: ${join(example, "tokenizer")}`)
    .replace("path: ./data/train.jsonl", `path: ${join(example, "data/train.jsonl")}`)
    .replace(/output_dir: .*/, `output_dir: ${join(tmp, "out")}`));
  process.env["TRAINC_CACHE"] = join(tmp, "cache");
  let stdout = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const code = await main(["compile", config, "--target", "cuda", "-o", join(tmp, "program")]).finally(() => {
    out.mockRestore();
    err.mockRestore();
  });
  expect(code, stdout).toBe(0);
  expect(stdout).toMatch(/compiled for cuda \(sm_90\): \d+ kernel launches per step/);
  const report = JSON.parse(readFileSync(join(tmp, "program/report.json"), "utf8"));
  const memory = report.memory;
  expect(memory.predicted_peak_bytes).toBe(memory.state_bytes + memory.activation_bytes + memory.workspace_bytes);
  expect(report.kernels.length).toBeGreaterThan(100);
  expect(report.kernels.filter((k: { kind: string }) => k.kind === "matmul").length).toBeGreaterThan(20);
  expect(report.flops_per_step).toBeGreaterThan(0);
  const run = spawnSync(report.binary, [join(tmp, "missing-run.json")], { encoding: "utf8" });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/error\[E65\d\d\]/);
}, 300_000);

if (!HAVE_NVCC) console.warn(NO_NVCC_REASON);
