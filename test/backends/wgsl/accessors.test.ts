// Tensors larger than a WebGPU binding, and f16 tensors (backends/wgsl/accessors.ts): the rewrite of a kernel's text
// (parts bound in parameter order, every read a load, every assignment a store, compound assignments both, nested
// accesses rewritten inside out; f16 converted to f32 and back), and on the device the grads of a Hugging Face fixture
// planned within a 4 KiB binding size and 32 KiB buffers, where most kernels bind a tensor in parts and each arena is
// several buffers, against transformers' float64 reference; an f16 store rounds and overflows as IEEE does.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { KernelParam, KernelSource } from "../../../backends/kernel.ts";
import { partition } from "../../../backends/schedule/partition.ts";
import { bindAccessors, partBytesFor, partsOf } from "../../../backends/wgsl/accessors.ts";
import { openDevice, runKernel } from "../../../backends/wgsl/device.ts";
import { renderWgslKernel } from "../../../backends/wgsl/kernels.ts";
import { readBatch } from "../../../compiler/commands/grads.ts";
import { importModel } from "../../../compiler/commands/inputs.ts";
import { readSafetensors } from "../../../compiler/import/safetensors.ts";
import { lowerGrads } from "../../../compiler/pipeline.ts";
import { gradsWgsl } from "../../../compiler/wgsl-run.ts";
import { GraphBuilder } from "../../../ir/builder.ts";
import { halfToFloat } from "../../../ir/half.ts";
import { roundTo } from "../../../ir/tensor.ts";
import { relativeError } from "../../harness/numeric.ts";
import { HF_FIXTURES } from "../../harness/train-step.ts";
import { deviceTitle, probeWebGpu } from "../../harness/webgpu.ts";

const KERNEL: KernelSource = {
  name: "k", grid: [1, 1, 1], block: [256, 1, 1], sharedBytes: 0, flops: 0, bytes: 0,
  params: [{ name: "a", dtype: "f32", access: "read" }, { name: "b", dtype: "i32", access: "read" }, { name: "c", dtype: "f32", access: "write" }],
  code: `@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn k(@builtin(global_invocation_id) gid: vec3u) {
  let i = i32(gid.x);
  y[i] = x[ids[i] * 4] + y[i + 1];
  y[i] += x[i];
  if (x[i] == y[i] && x[i] >= 0.0) { y[i * 2] = 1.0; }
}`,
};

describe("bindAccessors", () => {
  test("parts are the largest multiple of 256 bytes a binding holds", () => {
    expect(partBytesFor(1000)).toBe(768);
    expect(partsOf(768, 768)).toBe(1);
    expect(partsOf(769, 768)).toBe(2);
    expect(partsOf(0, 768)).toBe(1);
  });

  test("a kernel whose tensors fit is unchanged", () => {
    expect(bindAccessors(KERNEL, () => 1, 256)).toBe(KERNEL);
  });

  test("split tensors bind as parts in parameter order and every access goes through their load and store", () => {
    const parts = (p: KernelParam) => (p.name === "a" ? 3 : p.name === "c" ? 2 : 1);
    const split = bindAccessors(KERNEL, parts, 1024);
    expect(split.params.map((p) => `${p.name}${p.part ? `.${p.part.index}/${p.part.bytes}` : ""}`))
      .toEqual(["a.0/1024", "a.1/1024", "a.2/1024", "b", "c.0/1024", "c.1/1024"]);
    const bindings = [...split.code.matchAll(/@binding\((\d+)\) var<storage, read_write> (\w+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(bindings).toEqual(["0 x_part0", "1 x_part1", "2 x_part2", "3 ids", "4 y_part0", "5 y_part1"]);
    const body = split.code.slice(split.code.indexOf("fn k("));
    expect(body).toContain("y_store(i32(i), x_load(i32(ids[i] * 4)) + y_load(i32(i + 1)));");
    expect(body).toContain("y_store(i32(i), y_load(i32(i)) + (x_load(i32(i))));");
    expect(body).toContain("if (x_load(i32(i)) == y_load(i32(i)) && x_load(i32(i)) >= 0.0) { y_store(i32(i * 2), 1.0); }");
    expect(body).not.toMatch(/\b[xy]\[/);
    expect(split.code).toContain(`fn x_load(i: i32) -> f32 {
  let p = i / 256;
  let j = i - p * 256;
  if (p == 0) { return x_part0[j]; }
  if (p == 1) { return x_part1[j]; }
  return x_part2[j];
}`);
  });

  test("an f16 tensor binds whole as array<f16>, read as f32 and written rounded to f16", () => {
    const source = { ...KERNEL, params: KERNEL.params.map((p) => (p.name === "c" ? { ...p, dtype: "f16" as const } : p)),
      code: KERNEL.code.replace("y: array<f32>", "y: array<f16>") };
    const split = bindAccessors(source, () => 1, 1024);
    expect(split.params).toEqual(source.params);
    expect(split.code).toContain("@group(0) @binding(2) var<storage, read_write> y_part0: array<f16>;");
    expect(split.code).toContain("fn y_load(i: i32) -> f32 {\n  let p = i / 512;\n  let j = i - p * 512;\n  return f32(y_part0[j]);\n}");
    expect(split.code).toContain("  y_part0[j] = trainc_to_f16(v); return;");
    expect(split.code).toContain("y_store(i32(i), x[ids[i] * 4] + y_load(i32(i + 1)));");
  });
});

const opened = await probeWebGpu();
const f16 = opened.gpu?.device.features.has("shader-f16") ?? false;
opened.gpu?.close();
const work = mkdtempSync(join(tmpdir(), "trainc-wgsl-split-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!f16)(deviceTitle("f16 stores on WebGPU (shader-f16)", f16), () => {
  test("round to nearest even and overflow to infinity, as IEEE and the interpreter do", async () => {
    const b = new GraphBuilder("to_f16");
    b.output("y", b.op("cast", [b.input("x", "f32", [8])], { dtype: "f16" }));
    const kernel = partition(b.build()).kernels.find((k) => k.kind === "fused")!;
    const source = bindAccessors(renderWgslKernel(kernel)[0]!, () => 1, 1024);
    const x = [1, 65504, 65519, 65520, 70000, -1e6, 1 + 2 ** -11, 2 ** -24];
    const gpu = await openDevice();
    try {
      const [input, output] = [kernel.graph.inputs[0]!.name, kernel.graph.outputs[0]!.name];
      const out = await runKernel(gpu, source, { [input]: new Uint8Array(Float32Array.from(x).buffer) }, { [output]: 16 });
      const got = Array.from(new Uint16Array(out[output]!.slice().buffer), halfToFloat);
      expect(got).toEqual(x.map((v) => roundTo("f16", v)));
      expect(got.slice(3, 6)).toEqual([Infinity, Infinity, -Infinity]);
    } finally {
      gpu.close();
    }
  });
});

describe.skipIf(!opened.gpu)(deviceTitle("tensors bound in parts on WebGPU", opened.gpu !== undefined), () => {
  test("grads of llama_packed planned within a 4 KiB binding size and 32 KiB buffers (each arena several) match " +
    "transformers within 1e-4", async () => {
    const dir = join(HF_FIXTURES, "llama_packed");
    const model = importModel(dir, { precision: { compute: "f32", parameters: "f32" } });
    const module = { graphs: [lowerGrads(model.forward, Object.keys(model.parameters))] };
    const got = await gradsWgsl(module.graphs[0]!, model.parameters, readBatch(join(dir, "batch.safetensors")), work,
      () => undefined, { maxBindingBytes: 4096, maxBufferBytes: 32768 });
    const program = readFileSync(join(work, "program.js"), "utf8");
    expect((program.match(/fn \w+_load\(/g) ?? []).length).toBeGreaterThan(20);
    const arenas = JSON.parse(/ARENAS = (\[[^\]]*\])/.exec(program)![1]!) as number[];
    expect(Math.min(...arenas)).toBeGreaterThan(32768);
    expect(program).toMatch(/BUFFER_BYTES = 32768;/);
    const reference = readSafetensors(join(dir, "reference.safetensors"), "f64");
    for (const [key, want] of Object.entries(reference)) expect(relativeError(got[key]!, want), key).toBeLessThanOrEqual(1e-4);
  }, 600_000);
});
