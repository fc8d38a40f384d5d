// The C-style fused and reduce generators on CUDA: every fused and reduce kernel of real train steps renders and
// compiles with nvcc (sm_90); representative kernels have source snapshots (UPDATE_GOLDENS=1 rewrites them).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { renderFused, renderReduce } from "../../../backends/c-style/fused.ts";
import { CUDA } from "../../../backends/cuda/language.ts";
import { CUDA_PRELUDE } from "../../../backends/cuda/prelude.ts";
import { partition, type Kernel } from "../../../backends/schedule/partition.ts";
import { HAVE_NVCC, NO_NVCC_REASON, nvccCompile } from "./nvcc.ts";
import { HF_FIXTURES, specializedTrainStep } from "../../harness/train-step.ts";

function kernels(fixture: string, dtype: "f32" | "bf16", sizes: { B: number; T: number }): Kernel[] {
  const { module } = specializedTrainStep(join(HF_FIXTURES, fixture), { dtype }, sizes);
  return module.graphs.flatMap((g) => partition(g).kernels).filter((k) => k.kind === "fused" || k.kind === "reduce");
}

const render = (k: Kernel) => (k.kind === "fused" ? renderFused(k, CUDA) : renderReduce(k, CUDA));

describe("CUDA fused and reduce kernels", () => {
  const f32 = kernels("llama_packed", "f32", { B: 2, T: 24 });
  const bf16 = kernels("qwen2_bias_tied", "bf16", { B: 4, T: 8192 });

  test.skipIf(!HAVE_NVCC)("all of them compile with nvcc for sm_90", () => {
    const sources = [...new Map([...f32, ...bf16].map((k) => render(k)).map((s) => [s.name, s.code])).values()];
    const { status, output } = nvccCompile([CUDA_PRELUDE, ...sources].join("\n\n"));
    expect(output.slice(0, 4000), "nvcc output").not.toMatch(/error/);
    expect(status).toBe(0);
  }, 120_000);

  test("launch shapes and costs are consistent", () => {
    for (const k of [...f32, ...bf16]) {
      const s = render(k);
      expect(s.block[0]).toBe(256);
      expect(s.grid[0]).toBeGreaterThan(0);
      expect(s.params.map((p) => p.name)).toEqual([...k.graph.inputs.map((i) => i.name), ...k.graph.outputs.map((o) => o.name)]);
      expect(s.code).toContain(`void __launch_bounds__(256) ${s.name}(`);
      expect(s.name).toMatch(new RegExp(`^${k.kind}_[0-9a-f]{16}$`));
    }
  });

  test("snapshots of representative kernels", () => {
    const pick = [
      f32.find((k) => k.kind === "reduce" && k.graph.nodes.some((n) => n.op === "reduce_mean"))!,
      f32.find((k) => k.kind === "fused" && k.graph.nodes.some((n) => n.op === "rsqrt"))!,
      f32.find((k) => k.kind === "fused" && k.graph.nodes.some((n) => n.op === "slice"))!,
      bf16.find((k) => k.kind === "reduce" && render(k).workspaceBytes !== undefined)!,
      bf16.find((k) => k.kind === "fused" && k.graph.nodes.some((n) => n.op === "silu"))!,
    ];
    const text = pick.map((k) => `// ===== ${k.name}\n${render(k).code}\n`).join("\n");
    const file = join(import.meta.dirname, "snapshots/fused.cu");
    if (process.env["UPDATE_GOLDENS"] === "1" || !existsSync(file)) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, "utf8"));
  });
});

if (!HAVE_NVCC) console.warn(NO_NVCC_REASON);
