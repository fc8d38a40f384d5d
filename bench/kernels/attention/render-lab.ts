// Renders the attention lab: one self-contained .cu file with the harness (reference.cuh, harness.cuh, driver.cuh
// inlined, so it builds anywhere with one nvcc command), every generated kernel, a setup / forward / backward launcher
// per variant and the case table lab::main walks.
// Invariants: a case's first variant is the default configs; a kernel rendered for two variants (equal code, equal
// name) is emitted once; launchers pass buffers in each kernel's parameter order; a variant whose kernels need more
// shared memory than the case allows (5307: a flex block list beside the largest stages) is left out, with a warning.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  defaultBackwardConfig, defaultForwardConfig, renderAttentionBackward, renderAttentionForward,
  type AttentionConfig, type AttentionSpec,
} from "../../../backends/cuda/attention/index.ts";
import { cType } from "../../../backends/cuda/attention/source.ts";
import { TraincError } from "../../../compiler/diagnostics.ts";
import type { KernelSource } from "../../../backends/kernel.ts";
import { ATTENTION_BLOCK } from "../../../ir/ops/model.ts";
import type { LabCase } from "./cases.ts";
import { archFeatures } from "../../../backends/cuda/build.ts";
import { LAB_ARCH, labBuildArgs, type ConfigChoice } from "../lab-cli.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

function launch(k: KernelSource): string {
  const args = k.params.map((p) =>
    `static_cast<${p.access === "read" ? "const " : ""}${cType(p.dtype)}*>(b.${p.name})`);
  return `  ${k.name}<<<dim3(${k.grid.join(", ")}), dim3(${k.block.join(", ")}), ${k.sharedBytes}, s>>>(` +
    `${args.join(", ")});`;
}

function setup(k: KernelSource): string {
  return `  LAB_CHECK(cudaFuncSetAttribute(${k.name}, cudaFuncAttributeMaxDynamicSharedMemorySize, ${k.sharedBytes}));`;
}

function label(forward: AttentionConfig, backward: AttentionConfig, isDefault: boolean): string {
  const tiling = (c: AttentionConfig) =>
    `${c.Br}x${c.Bc}/${c.warps}w${c.mainloop === "wgmma" ? " wgmma" : ""}${c.producer ? " ws" : ""}` +
    `${c.keySplits !== undefined ? ` s${c.keySplits}` : ""}${c.dqBlocked ? " dqblk" : ""}` +
    `${c.queryStages !== undefined ? ` q${c.queryStages}` : ""}`;
  return `fwd ${tiling(forward)} bwd ${tiling(backward)}${isDefault ? " *" : ""}`;
}

function problem(c: LabCase): string {
  const s = c.spec;
  const docs = [c.documents?.min ?? 0, c.documents?.max ?? 0];
  return `{${[s.B, s.Tq, s.Tk, s.Hq, s.Hk, s.D, Number(s.causal), s.window, Number(s.documents), ...docs].join(", ")}, ` +
    `${Math.fround(s.scale).toPrecision(9)}f, ${s.blocks ? ATTENTION_BLOCK : 0}}`;
}

/** Forward flops as h200-baselines.md counts them: 4 * B * Tq * Tk * Hq * D, halved when causal. */
export function labForwardFlops(s: AttentionSpec): number {
  return (4 * s.B * s.Tq * s.Tk * s.Hq * s.D) / (s.causal ? 2 : 1);
}

function samples(c: LabCase): string {
  const s = c.spec;
  const all = [];
  for (let b = 0; b < s.B; b++) for (let h = 0; h < s.Hk; h++) all.push(`{${b}, ${h}}`);
  const ends = s.B * s.Hk === 1 ? ["{0, 0}"] : ["{0, 0}", `{${s.B - 1}, ${s.Hk - 1}}`];
  return (c.samples === "all" ? all : ends).join(", ");
}

/** The kernels `render` returns, or undefined (with a warning) when they need more shared memory than a block has. */
function fitting(c: LabCase, render: () => KernelSource[]): KernelSource[] | undefined {
  try {
    return render();
  } catch (e) {
    if (!(e instanceof TraincError) || e.code !== 5307) throw e;
    console.warn(`${c.name}: variant left out: ${e.message}`);
    return undefined;
  }
}

/** The lab's .cu text for `cases`, each with the variants `choice` selects. */
export function renderLab(cases: readonly LabCase[], choice: ConfigChoice): string {
  const kernels = new Map<string, string>();
  const parts: string[] = [];
  const entries: string[] = [];
  cases.forEach((c, i) => {
    const s = c.spec;
    const wgmma = archFeatures(LAB_ARCH).wgmma;
    const forward = defaultForwardConfig(s, wgmma), backward = defaultBackwardConfig(s, wgmma);
    const variants = [{ forward, backward },
      ...(choice === "all" ? c.variants : []).map((v) => ({
        forward: v.forward ?? forward, backward: v.backward ?? backward }))];
    const rows = variants.flatMap((v, j) => {
      const rendered = fitting(c, () => [renderAttentionForward(s, v.forward), ...renderAttentionBackward(s, v.backward)]);
      if (rendered === undefined) return [];
      const [forward, ...backward] = rendered as [KernelSource, ...KernelSource[]];
      for (const k of rendered) kernels.set(k.name, k.code);
      const id = `${i}_${j}`;
      parts.push(`static void setup_${id}() {\n${[forward, ...backward].map(setup).join("\n")}\n}
static void forward_${id}(lab::Buffers& b, cudaStream_t s) {\n${launch(forward)}\n}
static void backward_${id}(lab::Buffers& b, cudaStream_t s) {\n${backward.map(launch).join("\n")}\n}
static void backward_kernel_${id}(lab::Buffers& b, cudaStream_t s, int k) {
${backward.map((kernel, k) => `  if (k == ${k}) {\n${launch(kernel)}\n  }`).join("\n")}
}
`);
      return `  {"${label(v.forward, v.backward, j === 0)}", setup_${id}, forward_${id}, backward_${id}, ` +
        `backward_kernel_${id}, ${backward.length}},`;
    });
    parts.push(`static const lab::Variant variants_${i}[] = {\n${rows.join("\n")}\n};
static const lab::Sample samples_${i}[] = {${samples(c)}};
`);
    entries.push(`  {"${c.name}", ${problem(c)}, lab::Element::${s.dtype.toUpperCase()}, ${labForwardFlops(s)}.0, ` +
      `"${c.target}", ` +
      `variants_${i}, ${rows.length}, samples_${i}, sizeof(samples_${i}) / sizeof(samples_${i}[0])},`);
  });
  const harness = ["reference.cuh", "harness.cuh", "driver.cuh"]
    .map((f) => readFileSync(join(HERE, f), "utf8").replace("#pragma once\n", "")).join("\n");
  const title = `trainc attention lab, rendered by bench/kernels/attention/lab.ts: ${cases.length} cases`;
  return `// ${title}, variants: ${choice}.
// Build and run on the GPU machine:
//   nvcc ${labBuildArgs("attention_lab.cu", "attention_lab").join(" ")} && ./attention_lab
${harness}
${[...kernels.values()].join("\n")}
namespace lab_cases {

${parts.join("\n")}
static const lab::Case cases[] = {
${entries.join("\n")}
};

}  // namespace lab_cases

int main(int argc, char** argv) { return lab::main(argc, argv, lab_cases::cases, ${cases.length}); }
`;
}
