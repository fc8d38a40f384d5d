// End to end in a browser: `trainc compile --target wgsl` writes the bundle of the example model (5 steps),
// `trainc serve`'s server serves it, and headless Chromium (Debian's chromium through playwright-core; WebGPU on
// SwiftShader, a CPU Vulkan) opens the page, which trains in the tab, holding out 2% of the rows and evaluating before
// step 1 and after steps 2, 4 and 5. Every step's loss and every eval loss must be within 2% of the cpu
// target's on the same config, the page must report done, and the weights it offers for download must be the cpu
// target's trained weights within 1e-3. Without chromium the suite skips, unless
// TRAINC_REQUIRE_WEBGPU is set (CI sets it and installs chromium with .ci/chromium): then it fails.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadModel } from "../../../compiler/import/hf/load.ts";
import { readSafetensors } from "../../../compiler/import/safetensors.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, test } from "vitest";
import { startServer } from "../../../compiler/commands/serve.ts";
import { runCli } from "../../harness/cli.ts";
import { exampleConfig } from "../../harness/example.ts";

const CHROMIUM = process.env["TRAINC_CHROMIUM"] ?? "/usr/bin/chromium";
/** Headless Chromium's WebGPU needs these on a machine without a GPU: SwiftShader is its CPU adapter. */
const FLAGS = ["--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-webgpu-adapter=swiftshader"];
const present = existsSync(CHROMIUM);

test("chromium is present where TRAINC_REQUIRE_WEBGPU says so (CI installs it)", () => {
  if (process.env["TRAINC_REQUIRE_WEBGPU"]) expect(present, `${CHROMIUM} is missing: run .ci/chromium`).toBe(true);
});

const tmp = mkdtempSync(join(tmpdir(), "trainc-wgsl-browser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const fiveSteps = (text: string) => text.replace("max_steps: 2000", "max_steps: 5\nval_set_size: 0.02\neval_steps: 2");

interface PageProgress { steps: { step: number; loss: number }[]; evals: { step: number; loss: number }[]; done: boolean; error?: string }

describe.skipIf(!present)(present ? "the wgsl bundle in headless Chromium" : `the wgsl bundle in headless Chromium: skipped, no ${CHROMIUM}`, () => {
  test("the page trains the example model in the tab and follows the cpu target's loss", async () => {
    const bundle = join(tmp, "bundle");
    const compiled = await runCli(["compile", exampleConfig(tmp, "wgsl", fiveSteps), "--target", "wgsl", "-o", bundle]);
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(compiled.stdout).toMatch(/compiled for wgsl: .* trainc serve /);
    const cpu = await runCli(["train", exampleConfig(tmp, "cpu", fiveSteps), "--target", "cpu"]);
    expect(cpu.code, cpu.stderr).toBe(0);
    const metrics = readFileSync(join(tmp, "cpu", "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const want = metrics.filter((m) => m.loss !== undefined).map((m) => m.loss as number);
    const wantEvals = metrics.filter((m) => m.eval_loss !== undefined).map((m) => [m.step as number, m.eval_loss as number]);

    const server = await startServer(bundle, { port: 0, host: "127.0.0.1" });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      await page.waitForFunction(() => {
        const p = (globalThis as { trainc?: PageProgress }).trainc;
        return p?.done || p?.error !== undefined;
      }, null, { timeout: 600_000 });
      const progress = await page.evaluate(() => (globalThis as { trainc?: PageProgress }).trainc!);
      expect(progress.error).toBeUndefined();
      expect(progress.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
      const worst = Math.max(...progress.steps.map((s, i) => Math.abs(s.loss - want[i]!) / want[i]!));
      console.log(`browser vs cpu loss over 5 steps: worst relative difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(0.02);
      expect(progress.evals.map((e) => e.step)).toEqual([0, 2, 4, 5]);
      expect(wantEvals.map(([step]) => step)).toEqual([0, 2, 4, 5]);
      progress.evals.forEach((e, i) => expect(Math.abs(e.loss - wantEvals[i]![1]!) / wantEvals[i]![1]!).toBeLessThan(0.02));
      expect(await page.textContent("#status")).toMatch(/^done: 5 steps/);
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      expect(download.suggestedFilename()).toBe("model.safetensors");
      await download.saveAs(join(tmp, "downloaded.safetensors"));
      const trained = readSafetensors(join(tmp, "downloaded.safetensors"));
      const reference = loadModel(join(tmp, "cpu"), { dtype: "f32" }).parameters;
      expect(Object.keys(trained).sort()).toEqual(Object.keys(reference).sort());
      for (const [name, t] of Object.entries(trained)) {
        const drift = Math.max(...Array.from(t.data, (x, i) => Math.abs(x - reference[name]!.data[i]!)));
        expect(drift, name).toBeLessThan(1e-3);
      }
    } finally {
      await browser.close();
      server.close();
    }
  }, 900_000);
});
