// The WGSL kernels, run on a real WebGPU device (Dawn in Node; on CI Mesa's lavapipe, a CPU Vulkan driver) against
// the interpreter: every fused, reduce, matmul and AdamW kernel of a real train step (llama_packed, f32, B=2, T=8) on
// random inputs, after the wgsl legalization (i64 made i32) and with fused kernels split to the adapter's buffer
// limit. Fused and reduce kernels come from the C-style generators in the WGSL language, matmuls from
// backends/wgsl/gemm.ts, AdamW from backends/wgsl/templates/optim.ts (step 3; two kernels, the second reading the
// first's moments). Reductions long enough for the workgroup strategies (a workgroup per row, 32 columns per
// workgroup), which that small step never reaches, have cases of their own: sums, means and maxima of f32 and i32 (not
// NaN propagation: WGSL leaves NaN behaviour to the implementation, and lavapipe's max drops NaNs in either strategy),
// each through workgroup memory alone and, where the device offers subgroups (lavapipe does), through subgroup
// operations, as are the cross-entropy kernels and softmax / logsumexp (along the last and a middle axis; softmax of
// a fully masked line gives 1/N, as the interpreter does). AdamW
// with the fp16 loss scaler's skip, both ways. A program using
// subgroups refuses a device without them (E5708). The language table's refusals are checked without a device.
// Without an adapter the device tests skip (test/harness/webgpu.ts).

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { partition, type Kernel } from "../../../backends/schedule/partition.ts";
import { GraphBuilder } from "../../../ir/builder.ts";
import { splitByBuffers } from "../../../backends/schedule/split.ts";
import { runKernel } from "../../../backends/wgsl/device.ts";
import { renderWgslKernel } from "../../../backends/wgsl/kernels.ts";
import { legalizeForWgsl } from "../../../backends/wgsl/legalize.ts";
import { WgslSession } from "../../../backends/wgsl/runtime/session.ts";
import { WGSL } from "../../../backends/wgsl/language.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { numel, type Tensor } from "../../../ir/tensor.ts";
import { relativeError } from "../../harness/numeric.ts";
import { randomInputs } from "../../harness/random.ts";
import { HF_FIXTURES, specializedTrainStep } from "../../harness/train-step.ts";
import { deviceTitle, probeWebGpu, requireAdapterTest } from "../../harness/webgpu.ts";

const opened = await probeWebGpu();
const gpu = opened.gpu;
requireAdapterTest(opened);
afterAll(() => gpu?.close());

/** A tensor as the wgsl target stores it: bool as one u32 per element, f32 and i32 as they are. */
function deviceBytes(t: Tensor): Uint8Array {
  const data = t.dtype === "bool" ? Uint32Array.from(t.data) : t.data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Values read back from a buffer of `dtype` (bool read as u32). */
function hostValues(bytes: Uint8Array, dtype: string): ArrayLike<number> {
  const buffer = bytes.slice().buffer;
  return dtype === "f32" ? new Float32Array(buffer) : dtype === "i32" ? new Int32Array(buffer) : new Uint32Array(buffer);
}

/**
 * Random inputs for `kernel` and the interpreter's outputs on them. WGSL leaves sqrt and log of negatives (and what
 * follows from them) indeterminate, so where signed inputs give non-finite outputs the float inputs are taken as
 * their absolute values (the gradient-norm kernels read sums of squares, never negative).
 */
function inDomain(kernel: Kernel, seed: number): { inputs: Record<string, Tensor>; want: Record<string, Tensor> } {
  const signed = randomInputs(kernel.graph, seed);
  for (const [n, t] of Object.entries(signed)) {
    if (t.dtype === "i32" && t.shape.length === 0) signed[n] = { ...t, data: Int32Array.of(3) };
  }
  const want = interpret(kernel.graph, signed);
  if (Object.values(want).every((t) => t.data.every(Number.isFinite))) return { inputs: signed, want };
  const inputs = Object.fromEntries(Object.entries(signed).map(([n, t]) =>
    [n, t.dtype === "f32" ? { ...t, data: t.data.map(Math.abs) } : t]));
  return { inputs, want: interpret(kernel.graph, inputs) };
}

describe.skipIf(!gpu)(deviceTitle("WGSL kernels on WebGPU", gpu !== undefined), () => {
  let kernels: Kernel[];
  beforeAll(() => {
    const { module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "f32", parameterDType: "f32" });
    kernels = legalizeForWgsl(module).graphs.flatMap((g) => splitByBuffers(partition(g), gpu!.limits.maxBuffers).kernels);
  });

  const COUNT = {
    fused: 71, reduce: 38, matmul: 45, adamw: 21, rope_tables: 1, segment_ids: 1, embedding: 1, rope: 8, concat: 3,
    cross_entropy: 1, cross_entropy_grad: 1, embedding_grad: 1, lr_schedule: 1,
  };

  const SUBGROUP_KINDS = ["cross_entropy", "cross_entropy_grad"];
  const cases = (Object.keys(COUNT) as (keyof typeof COUNT)[]).flatMap((kind) =>
    [[kind, false] as const, ...(SUBGROUP_KINDS.includes(kind) && gpu?.device.features.has("subgroups") ? [[kind, true] as const] : [])]);

  test.each(cases)("every %s kernel of the llama_packed train step (f32) matches the interpreter (subgroups: %s)",
    async (kind, subgroups) => {
    const ofKind = kernels.filter((k) => k.kind === kind);
    expect(ofKind.length).toBe(COUNT[kind]);
    for (const [i, kernel] of ofKind.entries()) {
      const { inputs, want } = inDomain(kernel, 31 + i);
      const sizes = Object.fromEntries(kernel.graph.outputs.map((o) => [o.name, 4 * numel(kernel.graph.types[o.id]!.shape as number[])]));
      // The kernel's sources in launch order: a buffer an earlier one wrote is an input of the later ones.
      const got: Record<string, Uint8Array> = Object.fromEntries(Object.entries(inputs).map(([n, t]) => [n, deviceBytes(t)]));
      for (const source of renderWgslKernel(kernel, subgroups)) {
        const reads = Object.fromEntries(source.params.filter((p) => got[p.name] !== undefined).map((p) => [p.name, got[p.name]!]));
        const writes = Object.fromEntries(source.params.filter((p) => got[p.name] === undefined).map((p) => [p.name, sizes[p.name]!]));
        Object.assign(got, await runKernel(gpu!, source, reads, writes));
      }
      for (const o of kernel.graph.outputs) {
        const dtype = kernel.graph.types[o.id]!.dtype;
        expect(relativeError(hostValues(got[o.name]!, dtype), want[o.name]!), `${kernel.name} ${o.name}`).toBeLessThan(2e-6);
      }
    }
  }, 300_000);
});

/** One reduce kernel: `op` over `axes` of x [rows, cols] of `dtype` (squared first for f32 sums, as RMSNorm does). */
function reduceKernel(op: "reduce_sum" | "reduce_mean" | "reduce_max", dtype: "f32" | "i32", shape: [number, number],
  axes: number[]): Kernel {
  const b = new GraphBuilder("reduction");
  const x = b.input("x", dtype, shape);
  const prologue = op === "reduce_sum" && dtype === "f32" ? b.op("mul", [x, x]) : x;
  b.output("y", b.op(op, [prologue], { axes, keepdims: false }));
  return partition(b.build()).kernels.find((k) => k.kind === "reduce")!;
}

/** One `softmax` or `logsumexp` kernel along `axis` of an f32 tensor of `shape`. */
function lineKernel(op: "softmax" | "logsumexp", shape: number[], axis: number): Kernel {
  const b = new GraphBuilder("lines");
  const x = b.input("x", "f32", shape);
  b.output("y", b.op(op, [x], { axis }));
  return partition(b.build()).kernels.find((k) => k.kind === op)!;
}

const REDUCTIONS: [string, Kernel][] = [
  ["row sum of squares, 1000 per row", reduceKernel("reduce_sum", "f32", [37, 1000], [1])],
  ["row max, 300 per row", reduceKernel("reduce_max", "f32", [9, 300], [1])],
  ["row sum of i32, 999 per row", reduceKernel("reduce_sum", "i32", [5, 999], [1])],
  ["column mean over 700 rows, 40 columns (a partial workgroup)", reduceKernel("reduce_mean", "f32", [700, 40], [0])],
  ["column max over 129 rows, 70 columns", reduceKernel("reduce_max", "f32", [129, 70], [0])],
  ["row softmax, 700 per row (attention's scores)", lineKernel("softmax", [2, 3, 700], -1)],
  ["row softmax along a middle axis, 300 long", lineKernel("softmax", [4, 300, 5], 1)],
  ["row logsumexp, 513 per row", lineKernel("logsumexp", [6, 513], 1)],
];

describe.skipIf(!gpu)(deviceTitle("WGSL workgroup reductions on WebGPU", gpu !== undefined), () => {
  // Column reductions combine rows through workgroup memory of their own; row reductions use the block reduction.
  const cases = REDUCTIONS.flatMap(([title, kernel]) => [[title, false, kernel] as const,
    ...(gpu?.device.features.has("subgroups") && title.startsWith("row") ? [[title, true, kernel] as const] : [])]);
  test.each(cases)("%s (subgroups: %s)", async (_, subgroups, kernel) => {
    const [source] = renderWgslKernel(kernel, subgroups);
    expect(source!.code).toContain("workgroupBarrier();");
    expect(source!.code.includes("subgroupAdd(")).toBe(subgroups);
    const x = randomInputs(kernel.graph, 7)[kernel.graph.inputs[0]!.name]!;
    const want = interpret(kernel.graph, { [kernel.graph.inputs[0]!.name]: x });
    const out = kernel.graph.outputs[0]!;
    const got = await runKernel(gpu!, source!, { [kernel.graph.inputs[0]!.name]: deviceBytes(x) },
      { [out.name]: 4 * numel(kernel.graph.types[out.id]!.shape as number[]) });
    expect(relativeError(hostValues(got[out.name]!, kernel.graph.types[out.id]!.dtype), want[out.name]!)).toBeLessThan(2e-6);
  }, 60_000);
});

describe.skipIf(!gpu)(deviceTitle("softmax of a fully masked line on WebGPU", gpu !== undefined), () => {
  test("a line of f32's lowest values (every score masked) gives 1/N each, as the interpreter does", async () => {
    const kernel = lineKernel("softmax", [2, 300], -1);
    const x: Tensor = { dtype: "f32", shape: [2, 300], data: Float32Array.from({ length: 600 }, (_, i) => (i < 300 ? -3.4028234663852886e38 : i % 7)) };
    const [input, output] = [kernel.graph.inputs[0]!.name, kernel.graph.outputs[0]!.name];
    const want = interpret(kernel.graph, { [input]: x });
    const [source] = renderWgslKernel(kernel);
    const got = await runKernel(gpu!, source!, { [input]: deviceBytes(x) }, { [output]: 4 * 600 });
    const y = hostValues(got[output]!, "f32");
    expect(Array.from(y).slice(0, 300).every((v) => Math.abs(v - 1 / 300) < 1e-9)).toBe(true);
    expect(relativeError(y, want[output]!)).toBeLessThan(2e-6);
  });
});

/** adamw over 300 f32 parameters with the loss scaler's skip operand. */
function skippingAdamw(): Kernel {
  const b = new GraphBuilder("skipping");
  const [p, g, m, v] = ["p", "g", "m", "v"].map((n) => b.input(n, "f32", [300]));
  const [lr, step, scale, skip] = [b.input("lr", "f32", []), b.input("step", "i32", []), b.input("scale", "f32", []),
    b.input("skip", "bool", [])];
  b.ops("adamw", [p!, g!, m!, v!, lr, step, scale, skip], { weight_decay: 0.1 }).forEach((r, i) => b.output(`y${i}`, r));
  return partition(b.build()).kernels.find((k) => k.kind === "adamw")!;
}

describe.skipIf(!gpu)(deviceTitle("AdamW's skip on WebGPU", gpu !== undefined), () => {
  test.each([[true], [false]])("skip %s: the interpreter's param, m and v (unchanged when skipped)", async (skip) => {
    const kernel = skippingAdamw();
    const inputs = randomInputs(kernel.graph, 5);
    for (const input of kernel.graph.inputs) {
      const t = kernel.graph.types[input.id]!;
      if (t.dtype === "i32") inputs[input.name] = { ...inputs[input.name]!, data: Int32Array.of(3) };
      if (t.dtype === "bool") inputs[input.name] = { ...inputs[input.name]!, data: Uint8Array.of(skip ? 1 : 0) };
      if (t.dtype === "f32" && t.shape.length === 1) inputs[input.name] = { ...inputs[input.name]!, data: inputs[input.name]!.data.map(Math.abs) };
    }
    const want = interpret(kernel.graph, inputs);
    const got: Record<string, Uint8Array> = Object.fromEntries(Object.entries(inputs).map(([n, t]) => [n, deviceBytes(t)]));
    for (const source of renderWgslKernel(kernel)) {
      const reads = Object.fromEntries(source.params.filter((p) => got[p.name] !== undefined).map((p) => [p.name, got[p.name]!]));
      const writes = Object.fromEntries(source.params.filter((p) => got[p.name] === undefined).map((p) => [p.name, 4 * 300]));
      Object.assign(got, await runKernel(gpu!, source, reads, writes));
    }
    for (const [k, o] of kernel.graph.outputs.entries()) {
      expect(relativeError(hostValues(got[o.name]!, "f32"), want[o.name]!), o.name).toBeLessThan(2e-6);
      if (skip) expect(Array.from(hostValues(got[o.name]!, "f32")), o.name).toEqual(Array.from(inputs[["p", "m", "v"][k]!]!.data));
    }
  });
});

describe.skipIf(!gpu)(deviceTitle("a program using subgroups on a device without them", gpu !== undefined), () => {
  test("is refused with E5708 naming the feature", async () => {
    const adapter = await gpu!.instance.requestAdapter();
    const device = await adapter!.requestDevice();
    const program = { PRELUDE: "", FEATURES: ["subgroups"], KERNELS: [], ARENAS: [0, 0] as const, BUFFER_BYTES: 256, TENSORS: {}, GRAPHS: {} };
    await expect(WgslSession.create(device, program)).rejects.toMatchObject({ code: 5708, message: expect.stringMatching(/use subgroups/) });
    device.destroy();
  });
});

describe("the WGSL language table", () => {
  test("stores f16 as f16 (shader-f16) and refuses what WGSL cannot hold, with E5700", () => {
    expect(WGSL.storageType("f16")).toBe("f16");
    expect(WGSL.round("x", "f16")).toBe("f32(trainc_to_f16(x))");
    for (const dtype of ["bf16", "i64", "f64", "u8"] as const) {
      expect(() => WGSL.storageType(dtype), dtype).toThrow(expect.objectContaining({ code: 5700 }));
    }
    expect(() => WGSL.computeType("double")).toThrow(expect.objectContaining({ code: 5700 }));
  });

  test("inf and NaN come from private variables (WGSL rejects them as constants); where is select", () => {
    expect(WGSL.literal(-Infinity, "float")).toBe("(-trainc_inf())");
    expect(WGSL.literal(NaN, "float")).toBe("trainc_nan()");
    expect(WGSL.literal(0.5, "float")).toBe("5e-1f");
    expect(WGSL.expr("where", ["c", "a", "b"], "float")).toBe("select(b, a, c)");
    expect(WGSL.gridLoop("i", 100, 1, 256)).toBe("for (var i: i32 = i32(gid.x); i < 100; i += i32(groups.x) * 256) {");
  });
});
