// Acceptance of the wgsl target against the Hugging Face oracle (test/fixtures/hf, float64 references written by
// make_hf_fixtures.py): `trainc grads --target wgsl` on every case of the manifest, in f32 on WebGPU (CI: Mesa's
// lavapipe), must give the loss, the logits and every parameter gradient within 1e-4 of the reference by
// ||a - b|| / ||b||. Prints each case's worst ratio. Without an adapter the suite skips (test/harness/webgpu.ts).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { grads } from "../../../compiler/commands/grads.ts";
import { readSafetensors } from "../../../compiler/import/safetensors.ts";
import { relativeError } from "../../harness/numeric.ts";
import { HF_FIXTURES } from "../../harness/train-step.ts";
import { deviceTitle, probeWebGpu, requireAdapterTest } from "../../harness/webgpu.ts";

const opened = await probeWebGpu();
opened.gpu?.close();
requireAdapterTest(opened);

const manifest = JSON.parse(readFileSync(join(HF_FIXTURES, "manifest.json"), "utf8")) as { cases: { name: string }[] };
const TOLERANCE = 1e-4;
const work = mkdtempSync(join(tmpdir(), "trainc-wgsl-grads-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!opened.gpu)(deviceTitle("trainc grads --target wgsl on the Hugging Face fixtures (f32)", opened.gpu !== undefined), () => {
  it.each(manifest.cases.map((c) => c.name))("%s: loss, logits and every gradient within 1e-4 of transformers", async (name) => {
    const dir = join(HF_FIXTURES, name);
    const out = join(work, `${name}.safetensors`);
    await grads(dir, { batch: join(dir, "batch.safetensors"), out, target: "wgsl" });
    const got = readSafetensors(out);
    const reference = readSafetensors(join(dir, "reference.safetensors"), "f64");
    const errors = Object.entries(reference).map(([key, want]) => [key, got[key] ? relativeError(got[key]!, want) : Infinity] as const);
    const worst = errors.reduce((a, b) => (b[1] > a[1] ? b : a));
    console.log(`${name}: ${errors.length} tensors, worst ${worst[0]} ${worst[1].toExponential(2)}`);
    expect(Object.keys(got).sort()).toEqual(Object.keys(reference).sort());
    for (const [key, error] of errors) expect(error, key).toBeLessThanOrEqual(TOLERANCE);
  }, 600_000);
});
