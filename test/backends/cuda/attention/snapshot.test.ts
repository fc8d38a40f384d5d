// Snapshot tests of rendered attention kernels: each KernelSource (launch facts as a JSON comment, then the code) of
// a few representative specs (bf16 ones with both mainloops) is compared with snapshots/<case>-<kernel>.cu. After an intended change, rewrite them
// with
//   UPDATE_GOLDENS=1 npx vitest run test/backends/cuda/attention
// and review the diff like code.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  defaultBackwardConfig, defaultForwardConfig, renderAttentionBackward, renderAttentionForward,
} from "../../../../backends/cuda/attention/index.ts";
import type { AttentionSpec } from "../../../../backends/cuda/attention/spec.ts";
import type { KernelSource } from "../../../../backends/kernel.ts";

const SNAPSHOTS = join(dirname(fileURLToPath(import.meta.url)), "snapshots");
const UPDATE = process.env["UPDATE_GOLDENS"] === "1";

function snapshotText(kernel: KernelSource): string {
  const { code, ...launch } = kernel;
  return `// KernelSource ${JSON.stringify(launch)}\n${code}`;
}

const llama: AttentionSpec = {
  dtype: "bf16", B: 4, Tq: 4096, Tk: 4096, Hq: 32, Hk: 8, D: 128, causal: true, scale: 1 / Math.sqrt(128), window: 0,
  documents: false,
};
const packedWindow: AttentionSpec = { ...llama, D: 64, Hk: 32, documents: true, window: 1024 };
const tiny: AttentionSpec = {
  dtype: "f32", B: 16, Tq: 32, Tk: 32, Hq: 4, Hk: 2, D: 16, causal: true, scale: 0.25, window: 0, documents: true,
};

const SPECS: [string, AttentionSpec][] = [
  ["llama-bf16-gqa-causal", llama],
  ["bf16-d64-documents-window", packedWindow],
  ["tiny-f32-gqa-documents", tiny],
  ["llama-bf16-flex", { ...llama, documents: true, blocks: true }],
];

const CASES = SPECS.flatMap(([name, spec]) => {
  const wgmma = spec.dtype === "bf16"
    ? [renderAttentionForward(spec, defaultForwardConfig(spec, true)),
      renderAttentionBackward(spec, defaultBackwardConfig(spec, true))[1]!]
    : [];
  const kernels = [renderAttentionForward(spec), ...renderAttentionBackward(spec), ...wgmma];
  return kernels.map((k) => [`${name}-${k.name.replace(/_[0-9a-f]{12}$/, "").replaceAll("_", "-")}`, k] as const);
});

describe("rendered attention snapshots", () => {
  it.each(CASES)("%s", (name, kernel) => {
    const file = join(SNAPSHOTS, `${name}.cu`);
    const text = snapshotText(kernel);
    if (UPDATE) {
      mkdirSync(SNAPSHOTS, { recursive: true });
      writeFileSync(file, text);
    }
    expect(existsSync(file), `${file} is missing: write it with UPDATE_GOLDENS=1 and review it`).toBe(true);
    expect(text, `${file} differs: review the change, then UPDATE_GOLDENS=1`).toBe(readFileSync(file, "utf8"));
  });
});
