// Snapshot tests of rendered GEMM kernels: the whole KernelSource (launch facts as a JSON comment, then the code) of
// a few representative specs is compared with snapshots/<case>.cu. After an intended change, rewrite them with
//   UPDATE_GOLDENS=1 npx vitest run test/backends/cuda/gemm
// and review the diff like code.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { GemmConfig } from "../../../../backends/cuda/gemm/config.ts";
import { defaultGemmConfig } from "../../../../backends/cuda/gemm/heuristic.ts";
import { renderGemm } from "../../../../backends/cuda/gemm/render.ts";
import { gemmSpec, type GemmSpec } from "../../../../backends/cuda/gemm/spec.ts";

const SNAPSHOTS = join(dirname(fileURLToPath(import.meta.url)), "snapshots");
const UPDATE = process.env["UPDATE_GOLDENS"] === "1";

function snapshotText(spec: GemmSpec, config: GemmConfig): string {
  const { code, ...launch } = renderGemm(spec, config);
  return `// KernelSource ${JSON.stringify(launch)}\n${code}`;
}

const llamaForward = gemmSpec({ m: 16384, n: 2048, k: 2048, transposeB: true });
const llamaWeightGrad = gemmSpec({ m: 512, n: 2048, k: 16384, transposeA: true, outputDtype: "f32", accumulate: true });
const tinyLmHead = gemmSpec({ m: 512, n: 18, k: 64, transposeB: true, inputDtype: "f32", outputDtype: "f32" });
const raggedBatch = gemmSpec({ m: 300, n: 200, k: 135, batch: 5, broadcastB: true });

const CASES: [string, GemmSpec, GemmConfig][] = [
  ["llama-forward-qo", llamaForward, defaultGemmConfig(llamaForward)],
  ["llama-wgrad-kv-splitk", llamaWeightGrad, defaultGemmConfig(llamaWeightGrad)],
  ["tiny-forward-lm-head-f32", tinyLmHead, defaultGemmConfig(tinyLmHead)],
  ["ragged-batch-broadcast", raggedBatch,
    { mainloop: "mma", bm: 64, bn: 128, bk: 32, wm: 32, wn: 64, stages: 3, splitK: 1, groupM: 4 }],
];

describe("rendered GEMM snapshots", () => {
  it.each(CASES)("%s", (name, spec, config) => {
    const file = join(SNAPSHOTS, `${name}.cu`);
    const text = snapshotText(spec, config);
    if (UPDATE) {
      mkdirSync(SNAPSHOTS, { recursive: true });
      writeFileSync(file, text);
    }
    expect(existsSync(file), `${file} is missing: write it with UPDATE_GOLDENS=1 and review it`).toBe(true);
    expect(text, `${file} differs: review the change, then UPDATE_GOLDENS=1`).toBe(readFileSync(file, "utf8"));
  });
});
