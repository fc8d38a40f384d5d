// Writes wgsl bundles of attention forward + backward (one graph, f32, causal, GQA-free) at the benchmark's shapes,
// for bench/wgsl/time_bundle.mjs to time on a GPU: `npx tsx bench/wgsl/attention_bundles.ts <out dir>` writes
// <out>/<case>/ (program.js and its runtime) and <out>/cases.json (case, folder, FLOPs of one forward + backward:
// 4·T²·D·H/2 forward, 2.5x that backward, the causal half counted as FlashAttention's benchmarks count it).

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeBundle } from "../../backends/wgsl/host.ts";
import { buildWgslProgram } from "../../backends/wgsl/program.ts";
import { GraphBuilder } from "../../ir/builder.ts";

const CASES = [
  { name: "T1024-D64-H8", T: 1024, D: 64, H: 8 },
  { name: "T1024-D128-H8", T: 1024, D: 128, H: 8 },
  { name: "T4096-D128-H8", T: 4096, D: 128, H: 8 },
];
const LIMITS = { maxBuffers: 10, maxBindingBytes: 2 ** 31, maxBufferBytes: 2 ** 34, subgroups: false, f16: false };

const out = resolve(process.argv[2] ?? "out/wgsl-attention");
const index = CASES.map((c) => {
  const b = new GraphBuilder("attention_case");
  const [q, k, v, dout] = ["q", "k", "v", "dout"].map((n) => b.input(n, "f32", [1, c.T, c.H, c.D]));
  const attrs = { causal: true, scale: 1 / Math.sqrt(c.D), window: 0 };
  b.output("out", b.op("attention", [q!, k!, v!], attrs));
  const [dq, dk, dv] = b.ops("attention_grad", [q!, k!, v!, dout!], attrs);
  b.output("dq", dq!);
  b.output("dk", dk!);
  b.output("dv", dv!);
  const dir = join(out, c.name);
  mkdirSync(dir, { recursive: true });
  writeBundle(dir, buildWgslProgram({ graphs: [b.build()] }, LIMITS), `attention ${c.name}`);
  const forward = 2 * c.T * c.T * c.D * c.H;
  return { ...c, folder: c.name, flops: forward * 3.5 };
});
writeFileSync(join(out, "cases.json"), `${JSON.stringify(index, null, 1)}\n`);
console.log(`wrote ${index.length} bundles to ${out}`);
