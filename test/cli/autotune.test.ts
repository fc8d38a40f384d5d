// `trainc autotune` end to end on the example model on WebGPU (on CI, lavapipe): a small-budget sweep fills the
// tuning DB with a choice for every tunable kernel and prints the table; a second sweep finds them all in the DB and
// measures nothing (the file is not touched); --report prints what the DB holds without measuring; compile and train
// take the tuned configs and say so; a damaged DB is refused with E5801 and left as it was; the cpu target has
// nothing to tune (E5003), hip cannot be measured (E5804), and cuda needs a GPU (E5805 here; the H200 runs are in
// bench/RESULTS.md).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../harness/cli.ts";
import { exampleConfig } from "../harness/example.ts";
import { deviceTitle, probeWebGpu, requireAdapterTest } from "../harness/webgpu.ts";

const opened = await probeWebGpu();
opened.gpu?.close();
requireAdapterTest(opened);

const tmp = mkdtempSync(join(tmpdir(), "trainc-autotune-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const config = exampleConfig(tmp, "tiny");
const db = join(tmp, "tuning.jsonl");
const records = () => readFileSync(db, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

describe.skipIf(!opened.gpu)(deviceTitle("trainc autotune on wgsl", opened.gpu !== undefined), () => {
  test("a small-budget sweep fills the DB; a second one measures nothing", async () => {
    const first = await runCli(["autotune", config, "--target", "wgsl", "--budget", "5", "--db", db]);
    expect(first.code, first.stderr).toBe(0);
    const choices = records().filter((r) => r["record"] === "choice");
    expect(choices.length).toBeGreaterThan(5);
    expect(first.stdout).toMatch(/^kernel +launches +heuristic ms +best ms +speedup +roofline +config$/m);
    expect(first.stdout).toContain(`${choices.length} kernels searched`);
    expect(first.stderr).toMatch(/\[1\/\d+\] gemm M=\d+ N=\d+ K=\d+.*: \d+ measured \((beam|exhaustive)\)/);
    expect(records().filter((r) => r["record"] === "ceilings")).toHaveLength(1);
    expect(records().filter((r) => r["record"] === "measurement").length).toBeGreaterThanOrEqual(choices.length);

    const before = readFileSync(db, "utf8");
    const second = await runCli(["autotune", config, "--target", "wgsl", "--budget", "5", "--db", db]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`0 kernels searched (0 candidates measured), ${choices.length} found in the DB`);
    expect(readFileSync(db, "utf8")).toBe(before);

    const report = await runCli(["autotune", config, "--target", "wgsl", "--db", db, "--report"]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(`${choices.length} of ${choices.length} tunable kernels have tunings in ${db}`);
    expect(report.stdout).toMatch(/webgpu: .*\(dawn \(webgpu [\d.]+\)\)/);
  }, 300_000);

  test("compile and train take the tuned configs; compile lists them in report.json", async () => {
    const out = join(tmp, "bundle");
    const { code, stderr } = await runCli(["compile", config, "--target", "wgsl", "--db", db, "-o", out]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/(\d+) of \1 tunable kernels tuned for webgpu: /);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.tuning.db).toBe(db);
    expect(report.tuning.kernels.every((k: { tuned: boolean }) => k.tuned)).toBe(true);
    const train = await runCli(["train", config, "--target", "wgsl", "--max-steps", "2", "--db", db]);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/(\d+) of \1 tunable kernels tuned for webgpu: /);
  }, 120_000);

  test("a damaged DB is refused and left as it was", async () => {
    const damaged = join(tmp, "damaged.jsonl");
    const text = `${readFileSync(db, "utf8")}{"record":"choice","kernel":\n`;
    writeFileSync(damaged, text);
    for (const args of [["autotune", config, "--target", "wgsl", "--budget", "5"], ["compile", config, "--target", "wgsl", "-o", join(tmp, "b2")]]) {
      const { code, stderr } = await runCli([...args, "--db", damaged]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/error\[E5801\]: .*damaged\.jsonl line \d+ is damaged/);
      expect(stderr).toContain("fix: move the file aside (trainc never rewrites it) or pass --db with another path");
      expect(readFileSync(damaged, "utf8")).toBe(text);
    }
    expect(existsSync(join(tmp, "b2", "program.js"))).toBe(false);
  }, 120_000);
});

test("targets with nothing to tune or no measurer say so", async () => {
  const cpu = await runCli(["autotune", config, "--target", "cpu", "--db", db]);
  expect(cpu.code).toBe(1);
  expect(cpu.stderr).toMatch(/error\[E5003\]: .*has no kernels to tune/);
  const hip = await runCli(["autotune", config, "--target", "hip", "--db", db]);
  expect(hip.code).toBe(1);
  expect(hip.stderr).toMatch(/error\[E5804\]/);
  if (!existsSync("/proc/driver/nvidia/version")) {
    const cuda = await runCli(["autotune", config, "--target", "cuda", "--arch", "sm_90", "--db", db]);
    expect(cuda.code).toBe(1);
    expect(cuda.stderr).toMatch(/error\[E5805\]: nvidia-smi finds no NVIDIA GPU/);
  }
});
