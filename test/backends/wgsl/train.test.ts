// Acceptance of `trainc train --target wgsl`: 50 steps of the example model (examples/tiny-llama, f32) on WebGPU (CI:
// Mesa's lavapipe) give a loss curve within 2% of the cpu target's at every step, the same progress line, and a final
// checkpoint that loads; with fp16: true, 30 steps follow the cpu target's fp16 curve, the loss scaler skipping the
// same steps (none, from the scale this model starts at: kernels.test.ts runs AdamW's skip on the device). Without an
// adapter the suite skips (test/harness/webgpu.ts).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadModel } from "../../../compiler/import/hf/load.ts";
import { runCli } from "../../harness/cli.ts";
import { exampleConfig } from "../../harness/example.ts";
import { deviceTitle, probeWebGpu, requireAdapterTest } from "../../harness/webgpu.ts";

const opened = await probeWebGpu();
opened.gpu?.close();
requireAdapterTest(opened);

const tmp = mkdtempSync(join(tmpdir(), "trainc-wgsl-train-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


function losses(out: string): number[] {
  return readFileSync(join(tmp, out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).loss as number);
}

describe.skipIf(!opened.gpu)(deviceTitle("trainc train --target wgsl", opened.gpu !== undefined), () => {
  test("50 steps of the example model follow the cpu target's loss curve within 2% at every step", async () => {
    const wgsl = await runCli(["train", exampleConfig(tmp, "wgsl"), "--max-steps", "50", "--target", "wgsl"]);
    expect(wgsl.code, wgsl.stderr).toBe(0);
    expect(wgsl.stderr).toMatch(/WebGPU adapter: /);
    expect(wgsl.stderr).toMatch(/step 50\/50 \| loss [\d.]+ \| lr .* tok\/s .* ETA/);
    const cpu = await runCli(["train", exampleConfig(tmp, "cpu"), "--max-steps", "50", "--target", "cpu"]);
    expect(cpu.code, cpu.stderr).toBe(0);
    const [got, want] = [losses("wgsl"), losses("cpu")];
    expect(got.length).toBe(50);
    const worst = Math.max(...got.map((l, i) => Math.abs(l - want[i]!) / want[i]!));
    console.log(`wgsl vs cpu loss over 50 steps: worst relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(0.02);
    expect(want.at(-1)!).toBeLessThan(want[0]! - 0.5);
    const trained = loadModel(join(tmp, "wgsl"), { dtype: "f32" });
    const reference = loadModel(join(tmp, "cpu"), { dtype: "f32" });
    const name = "model.layers.0.mlp.up_proj.weight";
    const [a, b] = [trained.parameters[name]!.data, reference.parameters[name]!.data];
    const drift = Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));
    expect(drift).toBeLessThan(1e-3);
  }, 900_000);

  test("fp16 (f16 kernels through shader-f16, loss scaling): 30 steps follow the cpu target's fp16 curve within 2%, " +
    "skipping the same steps", async () => {
    const fp16 = (t: string) => t.replace("bf16: false", "fp16: true");
    const wgsl = await runCli(["train", exampleConfig(tmp, "wgsl16", fp16), "--max-steps", "30", "--target", "wgsl"]);
    expect(wgsl.code, wgsl.stderr).toBe(0);
    expect(wgsl.stderr).toMatch(/on wgsl \(f16 compute, f32 parameters\)/);
    const cpu = await runCli(["train", exampleConfig(tmp, "cpu16", fp16), "--max-steps", "30", "--target", "cpu"]);
    expect(cpu.code, cpu.stderr).toBe(0);
    const [got, want] = [losses("wgsl16"), losses("cpu16")];
    const worst = Math.max(...got.map((l, i) => Math.abs(l - want[i]!) / want[i]!));
    console.log(`wgsl vs cpu fp16 loss over 30 steps: worst relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(0.02);
    const skipped = (out: string) => readFileSync(join(tmp, out, "metrics.jsonl"), "utf8").trim().split("\n")
      .map((l) => JSON.parse(l).grad_norm).map((g) => typeof g !== "number" || !Number.isFinite(g));
    expect(skipped("wgsl16")).toEqual(skipped("cpu16"));
    expect(want.at(-1)!).toBeLessThan(want[0]! - 0.5);
  }, 900_000);
});
