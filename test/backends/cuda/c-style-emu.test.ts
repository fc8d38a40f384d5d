// The C-style generators' kernels run over the CPU emulation of CUDA (templates/lab/emu.h, g++) and match the
// interpreter. Reduce: a thread per output (few reduced elements), a block per output (a row reduction), and the
// column strategy (reduced axes outermost: 32 outputs a block, rows split over blocks that combine through the zeroed
// workspace), with output counts that are no multiple of 32, a broadcast operand in the prologue, mean and max.
// Fused: every fused kernel of two real train steps (f32, and bf16 mixed precision), in the vector path (16-byte
// accesses) wherever it applies and the scalar path elsewhere, on random inputs. Configs: for each reduce case, configs
// of its search space taking every value of every axis (threads per block, split counts) match the interpreter too.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { renderFused, renderReduce } from "../../../backends/c-style/fused.ts";
import { reduceSpace } from "../../../backends/c-style/space.ts";
import type { SearchSpace } from "../../../backends/tunable.ts";
import { CUDA } from "../../../backends/cuda/language.ts";
import { CUDA_PRELUDE } from "../../../backends/cuda/prelude.ts";
import type { KernelSource } from "../../../backends/kernel.ts";
import { partition, type Kernel } from "../../../backends/schedule/partition.ts";
import { cType } from "../../../backends/cuda/templates/anchor.ts";
import type { DType } from "../../../ir/dtype.ts";
import { GraphBuilder } from "../../../ir/builder.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { fromArray, numel, type Tensor } from "../../../ir/tensor.ts";
import { relativeError } from "../../harness/numeric.ts";
import { randomInputs } from "../../harness/random.ts";
import { buildEmulated, EMU_MISSING, hostArray, runEmulated, SHOW } from "../../harness/cuda-emu.ts";
import { HF_FIXTURES, specializedTrainStep } from "../../harness/train-step.ts";

const SKIP = EMU_MISSING !== undefined;

/** One reduce kernel: x [shape] (times y [yShape] when given), reduced by `op` over `axes`. */
interface Case {
  readonly name: string;
  readonly shape: readonly number[];
  readonly yShape?: readonly number[];
  readonly op: "reduce_sum" | "reduce_mean" | "reduce_max";
  readonly axes: readonly number[];
}

const CASES: readonly Case[] = [
  { name: "column with tails", shape: [3, 700, 40], op: "reduce_sum", axes: [0, 1] },
  { name: "column, broadcast prologue", shape: [2, 300, 2, 16], yShape: [2, 300, 2, 1], op: "reduce_sum", axes: [0, 1, 2] },
  { name: "column mean", shape: [1000, 70], op: "reduce_mean", axes: [0] },
  { name: "column max", shape: [900, 33], op: "reduce_max", axes: [0] },
  { name: "rows", shape: [50, 3000], op: "reduce_sum", axes: [1] },
  { name: "few per output", shape: [12, 7, 5], op: "reduce_sum", axes: [1] },
];

/** Deterministic values in [-1, 1) that C++ computes the same way: ((i * 7919 + salt) % 2000) / 1000 - 1. */
function values(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 7919 + salt) % 2000) / 1000) - 1);
}

function kernelFor(c: Case): { kernel: Kernel; inputs: Record<string, Tensor> } {
  const b = new GraphBuilder("k_reduce");
  const x = b.input("x", "f32", c.shape);
  const y = c.yShape ? b.input("y", "f32", c.yShape) : undefined;
  b.output("out", b.op(c.op, [y ? b.op("mul", [x, y]) : x], { axes: c.axes, keepdims: true }));
  const inputs: Record<string, Tensor> = { x: fromArray("f32", [...c.shape], values(numel(c.shape), 1)) };
  if (c.yShape) inputs["y"] = fromArray("f32", [...c.yShape], values(numel(c.yShape), 7));
  return { kernel: { name: "k_reduce", kind: "reduce", graph: b.build() }, inputs };
}

/** main() for one case: fill the inputs, then per source zero the workspace, launch, print the outputs. */
function harness(sources: readonly KernelSource[], c: Case, outputs: number): string {
  const fill = (name: string, count: number, salt: number) =>
    `  std::vector<float> ${name}(${count});\n  for (long long i = 0; i < ${count}; ++i) ${name}[i] = ((i * 7919 + ${salt}) % 2000) / 1000.0 - 1;`;
  const lines = [fill("x", numel(c.shape), 1)];
  if (c.yShape) lines.push(fill("y", numel(c.yShape), 7));
  lines.push(`  std::vector<float> out(${outputs});`);
  const workspace = Math.max(1, ...sources.map((s) => s.workspaceBytes ?? 0));
  lines.push(`  std::vector<unsigned char> workspace(${workspace});`);
  for (const source of sources) {
    const args = [...source.params.map((p) => `${p.name}.data()`), ...(source.workspaceBytes ? ["workspace.data()"] : [])];
    lines.push("  std::fill(out.begin(), out.end(), -12345.0f);", "  std::fill(workspace.begin(), workspace.end(), 0);",
      `  TRAINC_LAUNCH(${source.name}, dim3(${source.grid.join(", ")}), dim3(${source.block.join(", ")}), ${args.join(", ")});`,
      `  for (int i = 0; i < ${outputs}; ++i) std::printf("%.9g\\n", out[i]);`);
  }
  const codes = [...new Map(sources.map((s) => [s.name, s.code])).values()];
  return `${CUDA_PRELUDE}\n${codes.join("\n")}\n#include <algorithm>\n#include <vector>\nint main() {\n${lines.join("\n")}\n  return 0;\n}\n`;
}

/** Configs of `space` that together take every value of every axis (the heuristic first). */
function everyValue<C extends Record<string, number>>(space: SearchSpace<C>): C[] {
  const picked: C[] = [space.heuristic];
  for (const [field, values] of Object.entries(space.axes)) {
    for (const v of values) {
      const c = space.candidates.find((x) => x[field] === v);
      if (c && !picked.includes(c)) picked.push(c);
    }
  }
  return picked;
}

/** The fused kernels of the micro and optimizer steps of `fixture` at B=2, T=8. */
function fusedKernels(fixture: string, dtype: DType): Kernel[] {
  const { module } = specializedTrainStep(join(HF_FIXTURES, fixture), { dtype, parameterDType: "f32" });
  return module.graphs.flatMap((g) => partition(g).kernels).filter((k) => k.kind === "fused");
}

/** One fused kernel's launch in main(): its inputs from arrays, its outputs printed one value per line. */
function fusedCall(source: KernelSource, kernel: Kernel, inputs: Record<string, Tensor>, k: number): string {
  const lines: string[] = [];
  const args = source.params.map((p, j) => {
    const name = `k${k}_${j}`;
    const input = inputs[p.name];
    const count = input ? input.data.length : numel(kernel.graph.types[kernel.graph.outputs.find((o) => o.name === p.name)!.id]!.shape as number[]);
    if (input) lines.push(hostArray(name, input));
    else lines.push(`  static ${cType(p.dtype, name)} ${name}[${count}];`);
    return `reinterpret_cast<${cType(p.dtype, name)}*>(${name})`;
  });
  lines.push(`  TRAINC_LAUNCH(${source.name}, dim3(${source.grid.join(", ")}), dim3(${source.block.join(", ")}), ${args.join(", ")});`);
  source.params.forEach((p, j) => {
    if (inputs[p.name]) return;
    const count = numel(kernel.graph.types[kernel.graph.outputs.find((o) => o.name === p.name)!.id]!.shape as number[]);
    lines.push(`  std::printf("== ${k} ${p.name}\\n"); for (int i = 0; i < ${count}; ++i) std::printf("%.9g\\n", (double)show(k${k}_${j}[i]));`);
  });
  return lines.join("\n");
}

describe("C-style kernels on the CPU emulation", () => {
  const dir = mkdtempSync(join(tmpdir(), "trainc-reduce-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.skipIf(SKIP).each(CASES)("$name matches the interpreter", (c) => {
    const { kernel, inputs } = kernelFor(c);
    const source = renderReduce(kernel, CUDA);
    const want = interpret(kernel.graph, inputs)["out"]!;
    const file = join(dir, `${c.name.replace(/\W+/g, "-")}.cu`);
    writeFileSync(file, harness([source], c, want.data.length));
    expect(buildEmulated(file).slice(0, 3000), "g++").toBe("");
    const run = spawnSync(`${file}.exe`, [], { encoding: "utf8", maxBuffer: 1 << 26 });
    expect(run.stderr, "emulated run").toBe("");
    const got = run.stdout.trim().split("\n").map(Number);
    expect(relativeError(got, want)).toBeLessThan(1e-6);
  }, 120_000);

  test.skipIf(SKIP).each([["llama_packed", "f32"], ["qwen3_qk_norm", "bf16"]] as const)(
    "every fused kernel of the %s train step in %s matches the interpreter", (fixture, dtype) => {
      const kernels = fusedKernels(fixture, dtype);
      const sources = kernels.map((k) => renderFused(k, CUDA));
      expect(sources.filter((s) => s.code.includes("trainc_vec<")).length, "vector-path kernels").toBeGreaterThan(kernels.length / 4);
      const inputs = kernels.map((k, i) => randomInputs(k.graph, 11 + i));
      const unique = [...new Map(sources.map((s) => [s.name, s.code])).values()];
      const main = sources.map((s, k) => fusedCall(s, kernels[k]!, inputs[k]!, k)).join("\n");
      const { outputs: printed, error } = runEmulated(join(dir, `fused-${fixture}.cu`), `${CUDA_PRELUDE}\n${unique.join("\n\n")}
${SHOW}
int main() {
${main}
  return 0;
}
`);
      expect(error, "emulated run").toBe("");
      kernels.forEach((k, i) => {
        const want = interpret(k.graph, inputs[i]!);
        for (const [name, t] of Object.entries(want)) {
          expect(relativeError(printed.get(`${i} ${name}`)!, t), `${k.name} ${name}`).toBeLessThan(1e-6);
        }
      });
    }, 300_000);

  test.skipIf(SKIP).each(CASES)("$name: configs taking every value of every axis match the interpreter", (c) => {
    const { kernel, inputs } = kernelFor(c);
    const space = reduceSpace(kernel, CUDA);
    const configs = everyValue(space);
    const want = interpret(kernel.graph, inputs)["out"]!;
    const file = join(dir, `configs-${c.name.replace(/\W+/g, "-")}.cu`);
    writeFileSync(file, harness(configs.map((config) => renderReduce(kernel, CUDA, config)), c, want.data.length));
    expect(buildEmulated(file).slice(0, 3000), "g++").toBe("");
    const run = spawnSync(`${file}.exe`, [], { encoding: "utf8", maxBuffer: 1 << 26 });
    expect(run.stderr, "emulated run").toBe("");
    const got = run.stdout.trim().split("\n").map(Number);
    configs.forEach((config, i) => {
      const slice = got.slice(i * want.data.length, (i + 1) * want.data.length);
      expect(relativeError(slice, want), space.describe(config)).toBeLessThan(1e-5);  // splits add in another order
    });
  }, 300_000);

  test("the column strategy is what the column cases get", () => {
    const column = (c: Case) => renderReduce(kernelFor(c).kernel, CUDA).code.includes("partial[8][33]");
    expect(CASES.map((c) => [c.name, column(c)])).toEqual(CASES.map((c) => [c.name, c.name.startsWith("column")]));
  });
});
