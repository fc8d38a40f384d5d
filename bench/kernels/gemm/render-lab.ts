// Renders the GEMM lab: one self-contained .cu file with the harness (backends/cuda/runtime/gemm-bench.h and the
// runtime headers it includes, inlined so the file builds anywhere with a single nvcc command), every kernel to test,
// a setup and a launch function per candidate, and the table of shapes that gemm_bench::main walks.
// Invariants: a shape's first candidate is its default config (defaultGemmConfig); a kernel rendered for two
// candidates (equal code, equal name) is emitted once.

import { join } from "node:path";
import { describeConfig, type GemmConfig } from "../../../backends/cuda/gemm/config.ts";
import { candidateConfigs, defaultGemmConfig } from "../../../backends/cuda/gemm/heuristic.ts";
import { gemmFlagCount, renderGemm } from "../../../backends/cuda/gemm/render.ts";
import { describeGemm, gemmFlops, type GemmSpec } from "../../../backends/cuda/gemm/spec.ts";
import { benchType, benchWrapper } from "../../../autotune/cuda-measure.ts";
import type { LabCase } from "./cases.ts";
import { inlineIncludes, type ConfigChoice } from "../lab-cli.ts";

const RUNTIME = join(import.meta.dirname, "../../../backends/cuda/runtime");

/** The configs tested for `spec`, default first, without repeats. */
export function labConfigs(spec: GemmSpec, choice: ConfigChoice): GemmConfig[] {
  const first = defaultGemmConfig(spec);
  if (choice === "default") return [first];
  const seen = new Set([describeConfig(first)]);
  const rest = candidateConfigs(spec).filter((c) => !seen.has(describeConfig(c)) && seen.add(describeConfig(c)));
  return [first, ...rest];
}

function shapeEntry(index: number, c: LabCase, count: number): string {
  const s = c.spec;
  const dims = [s.m, s.n, s.k, s.batch, s.transposeA, s.transposeB, s.broadcastA, s.broadcastB, s.accumulate].join(", ");
  return `  {"${c.name}", "${describeGemm(s)}", {${dims}}, ${benchType(s.inputDtype)}, ${benchType(s.outputDtype)}, ` +
    `${gemmFlops(s)}.0, candidates_${index}, ${count}},`;
}

/** The lab's .cu text for `cases`, each with the configs `choice` selects. */
export function renderLab(cases: readonly LabCase[], choice: ConfigChoice): string {
  const kernels = new Map<string, string>();
  const parts: string[] = [];
  const shapes: string[] = [];
  cases.forEach((c, i) => {
    const configs = labConfigs(c.spec, choice);
    const rows: string[] = [];
    configs.forEach((config, j) => {
      const kernel = renderGemm(c.spec, config);
      kernels.set(kernel.name, kernel.code);
      parts.push(benchWrapper(`${i}_${j}`, kernel, (p) => p.name));
      rows.push(`  {"${describeConfig(config)}", setup_${i}_${j}, launch_${i}_${j}, ${gemmFlagCount(c.spec, config)}, -1},`);
    });
    parts.push(`static const gemm_bench::Candidate candidates_${i}[] = {\n${rows.join("\n")}\n};\n`);
    shapes.push(shapeEntry(i, c, configs.length));
  });
  const harness = inlineIncludes('#include "gemm-bench.h"\n', RUNTIME);
  return `// trainc GEMM lab, rendered by bench/kernels/gemm/lab.ts: ${cases.length} shapes, configs: ${choice}.
// Build and run on the GPU machine: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -lineinfo gemm_lab.cu -o gemm_lab && ./gemm_lab
${harness}
${[...kernels.values()].join("\n")}
namespace lab_cases {

${parts.join("\n")}
static const gemm_bench::Shape shapes[] = {
${shapes.join("\n")}
};

}  // namespace lab_cases

int main(int argc, char** argv) { return gemm_bench::main(argc, argv, lab_cases::shapes, ${cases.length}); }
`;
}
