// The HIP target's own kernels, the ones that replace CUDA's PTX (backends/hip/gemm.ts, attention.ts), run on the CPU
// emulation of the CUDA dialect (test/harness/cuda-emu.ts) and match the interpreter: every matmul of the llama_packed
// train step, and attention forward and backward (output and dq, dk, dv) on small cases with causal masks, GQA,
// sliding windows, documents, f32 and bf16. No AMD GPU exists to run them on; this is what checks their
// meaning. The rest of a HIP program is the CUDA one (its tests cover it). Representative sources have a snapshot
// (UPDATE_GOLDENS=1 rewrites it).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { CUDA_PRELUDE } from "../../../backends/cuda/prelude.ts";
import { cType } from "../../../backends/cuda/templates/anchor.ts";
import { HIP_HOOKS } from "../../../backends/hip/program.ts";
import type { KernelSource } from "../../../backends/kernel.ts";
import { partition, type Kernel, type Partition } from "../../../backends/schedule/partition.ts";
import { addScratch, addSideBuffers } from "../../../backends/schedule/side-buffers.ts";
import type { DType } from "../../../ir/dtype.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { numel, type Tensor } from "../../../ir/tensor.ts";
import { attentionCaseGraph, segmentIds, trainedFlags, type AttentionCase } from "../../harness/attention-case.ts";
import { EMU_MISSING, hostArray, runEmulated, SHOW } from "../../harness/cuda-emu.ts";
import { relativeError } from "../../harness/numeric.ts";
import { randomInputs } from "../../harness/random.ts";
import { HF_FIXTURES, specializedTrainStep } from "../../harness/train-step.ts";

const dir = mkdtempSync(join(tmpdir(), "trainc-hip-emu-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Launches of `sources` in order over named buffers: inputs from `inputs`, every other buffer zeroed; prints `show`. */
function program(sources: readonly KernelSource[], inputs: Readonly<Record<string, Tensor>>, sizes: ReadonlyMap<string, number>,
  show: readonly string[]): string {
  const ids = new Map<string, string>();
  const lines: string[] = [];
  const declare = (name: string, dtype: DType) => {
    if (ids.has(name)) return ids.get(name)!;
    const id = `b${ids.size}`;
    ids.set(name, id);
    const input = inputs[name];
    lines.push(input ? hostArray(id, input) : `  static ${cType(dtype, name)} ${id}[${sizes.get(name) ?? 1}];`);
    return id;
  };
  for (const s of sources) {
    const args = s.params.map((p) => `reinterpret_cast<${cType(p.dtype, p.name)}*>(${declare(p.name, p.dtype)})`);
    lines.push(`  TRAINC_LAUNCH(${s.name}, dim3(${s.grid.join(", ")}), dim3(${s.block.join(", ")}), ${args.join(", ")});`);
  }
  for (const name of show) {
    lines.push(`  std::printf("== ${name}\\n"); for (int i = 0; i < ${sizes.get(name)}; ++i) std::printf("%.9g\\n", show(${ids.get(name)}[i]));`);
  }
  const unique = [...new Map(sources.map((s) => [s.name, s.code])).values()];
  return `${CUDA_PRELUDE}\n${unique.join("\n\n")}\n${SHOW}\nint main() {\n${lines.join("\n")}\n  return 0;\n}\n`;
}

/** Element counts of every buffer of a partition (side and scratch buffers included). */
function bufferSizes(p: Partition): Map<string, number> {
  return new Map([...p.buffers].map(([name, b]) => [name, numel(b.type.shape as number[])]));
}

const CASES: readonly AttentionCase[] = [
  { name: "causal GQA with documents, f32", dtype: "f32", B: 2, T: 9, Hq: 4, Hk: 2, D: 8, causal: true, window: 0, documents: true },
  { name: "sliding window, f32", dtype: "f32", B: 1, T: 12, Hq: 2, Hk: 1, D: 16, causal: true, window: 4, documents: false },
  { name: "not causal, bf16", dtype: "bf16", B: 1, T: 7, Hq: 2, Hk: 2, D: 8, causal: false, window: 0, documents: false },
  { name: "not causal, window, documents, f32", dtype: "f32", B: 2, T: 11, Hq: 2, Hk: 1, D: 8, causal: false, window: 3, documents: true },
  { name: "not causal, f32", dtype: "f32", B: 1, T: 7, Hq: 2, Hk: 2, D: 8, causal: false, window: 0, documents: false },
  { name: "prefix-LM over documents, GQA, f32", dtype: "f32", B: 2, T: 40, Hq: 4, Hk: 2, D: 8, causal: true, window: 0, documents: true, prefix: true },
];

/** attention and attention_grad of one case, partitioned with the HIP target's side and scratch buffers. */
function attentionGraph(c: AttentionCase): Partition {
  return addScratch(addSideBuffers(partition(attentionCaseGraph(c))), HIP_HOOKS.scratchOf);
}

describe.skipIf(EMU_MISSING !== undefined)(`HIP kernels on the CPU emulation${EMU_MISSING ? `: skipped, ${EMU_MISSING}` : ""}`, () => {
  test("every distinct matmul of the llama_packed train step (f32) matches the interpreter, with no PTX", () => {
    const { module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "f32", parameterDType: "f32" });
    const all = module.graphs.flatMap((g) => partition(g).kernels).filter((k) => k.kind === "matmul");
    expect(all.length).toBeGreaterThan(40);
    const kernels = [...new Map(all.map((k) => [HIP_HOOKS.render(k)[0]!.name, k])).values()];
    kernels.forEach((kernel: Kernel, i) => {
      const [source] = HIP_HOOKS.render(kernel);
      expect(source!.code).not.toMatch(/asm|mma|ldmatrix/);
      expect(source!.libraryGemm).toBeUndefined();
      const inputs = randomInputs(kernel.graph, 40 + i);
      const want = interpret(kernel.graph, inputs);
      const output = kernel.graph.outputs[0]!;
      const sizes = new Map([...kernel.graph.inputs, output].map((v) => [v.name, numel(kernel.graph.types[v.id]!.shape as number[])]));
      const { outputs, error } = runEmulated(join(dir, `matmul-${i}.cu`), program([source!], inputs, sizes, [output.name]));
      expect(error, kernel.name).toBe("");
      expect(relativeError(outputs.get(output.name)!, want[output.name]!), kernel.name).toBeLessThan(1e-6);
    });
  }, 600_000);

  test.each(CASES)("attention forward and backward: $name", (c) => {
    const p = attentionGraph(c);
    const sources = p.kernels.flatMap((k) => HIP_HOOKS.render(k));
    expect(sources.map((s) => s.name.replace(/_[0-9a-f]{12,16}$/, ""))).toEqual([...(c.documents ? ["document_ranges"] : []),
      ...(c.prefix ? ["cumsum", "prefix_lm_ranges"] : []), "attention", "attention_grad_stats", "attention_grad_dq",
      "attention_grad_dkv"]);
    const inputs = randomInputs(p.source, 7);
    if (c.documents) inputs["seg"] = { ...inputs["seg"]!, data: segmentIds(c, c.prefix ? 15 : 4) };
    if (c.prefix) inputs["trained"] = { ...inputs["trained"]!, data: trainedFlags(c, inputs["seg"]!.data, 3) };
    const want = interpret(p.source, inputs);
    const outputs = ["out", "dq", "dk", "dv"].map((o) => p.outputs.get(o)!);
    const run = runEmulated(join(dir, `attention-${c.name.replace(/\W+/g, "-")}.cu`), program(sources, inputs, bufferSizes(p), outputs));
    expect(run.error).toBe("");
    const tolerance = c.dtype === "f32" ? 2e-6 : 2e-2;
    console.log(`${c.name}: out, dq, dk, dv within ${["out", "dq", "dk", "dv"].map((o, i) =>
      relativeError(run.outputs.get(outputs[i]!)!, want[o]!).toExponential(2)).join(", ")} of the interpreter`);
    ["out", "dq", "dk", "dv"].forEach((o, i) => {
      expect(relativeError(run.outputs.get(outputs[i]!)!, want[o]!), o).toBeLessThan(tolerance);
    });
  }, 300_000);
});

test("the HIP GEMM and attention sources match their snapshot", () => {
  const { module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "bf16", parameterDType: "f32" });
  const kernels = partition(module.graphs[0]!).kernels;
  const gemm = HIP_HOOKS.render(kernels.find((k) => k.kind === "matmul")!);
  const attention = attentionGraph(CASES[0]!).kernels.flatMap((k) => HIP_HOOKS.render(k));
  const text = [...gemm, ...attention].map((s) => `// ===== ${s.name}\n${s.code}\n`).join("\n");
  const file = join(import.meta.dirname, "snapshots/kernels.hip");
  if (process.env["UPDATE_GOLDENS"] === "1" || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, "utf8"));
});
