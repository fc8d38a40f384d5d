// The WGSL attention kernels (backends/wgsl/templates/attention.ts) through a whole WebGPU program, forward and
// backward, against the interpreter, on shapes the model fixtures do not reach: more queries than one workgroup's 256,
// more keys than one tile (tiles shrink as the head dim grows: 64 rows at D=16, 32 at D=64, 16 at D=128), GQA,
// causal and sliding-window masks, document ranges (causal, and not causal with a window), prefix-LM ranges (with the
// cumsum and prefix_lm_ranges kernels that make them), and a non-causal case. f32 within 1e-5; an f16 case (shader-f16:
// q, k, v, dout and the results stored in f16, computed in f32) within 2e-3 of the interpreter's f16.
// Without an adapter the suite skips (test/harness/webgpu.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tileRows } from "../../../backends/wgsl/templates/attention.ts";
import { openWgsl } from "../../../compiler/wgsl-run.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { attentionCaseGraph, segmentIds, trainedFlags, type AttentionCase } from "../../harness/attention-case.ts";
import { relativeError } from "../../harness/numeric.ts";
import { randomInputs } from "../../harness/random.ts";
import { deviceTitle, probeWebGpu, requireAdapterTest } from "../../harness/webgpu.ts";

const opened = await probeWebGpu();
opened.gpu?.close();
requireAdapterTest(opened);
const work = mkdtempSync(join(tmpdir(), "trainc-wgsl-attention-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CASES: readonly AttentionCase[] = [
  { name: "two query blocks, GQA, causal, documents (D=16)", dtype: "f32", B: 1, T: 300, Hq: 4, Hk: 2, D: 16, causal: true, window: 0, documents: true },
  { name: "sliding window across tiles (D=64)", dtype: "f32", B: 2, T: 130, Hq: 2, Hk: 1, D: 64, causal: true, window: 50, documents: false },
  { name: "not causal, many tiles (D=128)", dtype: "f32", B: 1, T: 70, Hq: 2, Hk: 2, D: 128, causal: false, window: 0, documents: false },
  { name: "not causal, window, documents (D=16)", dtype: "f32", B: 2, T: 280, Hq: 2, Hk: 1, D: 16, causal: false, window: 40, documents: true },
  { name: "f16, GQA, causal, documents (D=64)", dtype: "f16", B: 2, T: 150, Hq: 4, Hk: 2, D: 64, causal: true, window: 0, documents: true },
  { name: "prefix-LM over documents, GQA (D=16)", dtype: "f32", B: 2, T: 300, Hq: 4, Hk: 2, D: 16, causal: true, window: 0, documents: true, prefix: true },
];

test("tiles fit 16 KiB of workgroup memory", () => {
  expect([16, 64, 128].map((d) => tileRows(2 * d))).toEqual([64, 32, 16]);
  expect(tileRows(2 * 128 + 2)).toBe(8);
});

describe.skipIf(!opened.gpu)(deviceTitle("WGSL attention on WebGPU", opened.gpu !== undefined), () => {
  test.each(CASES)("$name: out, dq, dk and dv match the interpreter", async (c) => {
    const g = attentionCaseGraph(c);
    const inputs = randomInputs(g, 3);
    if (c.documents) inputs["seg"] = { ...inputs["seg"]!, data: segmentIds(c, 90) };
    if (c.prefix) inputs["trained"] = { ...inputs["trained"]!, data: trainedFlags(c, inputs["seg"]!.data, 7) };
    const want = interpret(g, inputs);
    const run = await openWgsl({ graphs: [g] }, join(work, c.name.replace(/\W+/g, "-")), c.name, () => undefined);
    try {
      for (const input of g.inputs) run.session.write(g.name, input.name, inputs[input.name]!.data);
      run.session.run(g.name);
      const got = await run.session.read(g.name, ["out", "dq", "dk", "dv"]);
      const tolerance = c.dtype === "f16" ? 2e-3 : 1e-5;
      for (const name of ["out", "dq", "dk", "dv"]) expect(relativeError(got[name]!, want[name]!), name).toBeLessThan(tolerance);
    } finally {
      run.close();
    }
  }, 300_000);
});
