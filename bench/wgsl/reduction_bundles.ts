// Writes wgsl bundles of reduction-bound graphs, each twice: with workgroup reductions through subgroup operations
// and through workgroup memory alone, for bench/wgsl/time_bundle.mjs to time side by side on a GPU (graph `rows`):
// `npx tsx bench/wgsl/reduction_bundles.ts <out dir>` writes <out>/<case>-<subgroups|tree>/ and <out>/cases.json
// (case, folders, the bytes one run must read and write at the least). Cases: an RMSNorm's row sum of squares and a
// row max over 2048-wide rows, and the cross-entropy forward and gradient over a 32k vocabulary.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeBundle } from "../../backends/wgsl/host.ts";
import { buildWgslProgram } from "../../backends/wgsl/program.ts";
import { GraphBuilder } from "../../ir/builder.ts";

const ROWS = 16384;
const WIDTH = 2048;
const TOKENS = 1024;
const VOCAB = 32000;

/** One graph named `rows` per case, and the bytes it moves at the least. */
const CASES: { name: string; bytes: number; build: (b: GraphBuilder) => void }[] = [
  {
    name: "sum-squares-16384x2048", bytes: 4 * ROWS * (WIDTH + 1), build: (b) => {
      const x = b.input("x", "f32", [ROWS, WIDTH]);
      b.output("y", b.op("reduce_sum", [b.op("mul", [x, x])], { axes: [1], keepdims: false }));
    },
  },
  {
    name: "max-16384x2048", bytes: 4 * ROWS * (WIDTH + 1), build: (b) => {
      b.output("y", b.op("reduce_max", [b.input("x", "f32", [ROWS, WIDTH])], { axes: [1], keepdims: false }));
    },
  },
  {
    name: "cross-entropy-1024x32000", bytes: 4 * TOKENS * (2 * VOCAB + 3), build: (b) => {
      const logits = b.input("logits", "f32", [TOKENS, VOCAB]);
      const targets = b.input("targets", "i32", [TOKENS]);
      const dloss = b.input("dloss", "f32", [TOKENS]);
      b.output("loss", b.op("cross_entropy", [logits, targets]));
      b.output("dlogits", b.op("cross_entropy_grad", [logits, targets, dloss]));
    },
  },
];
const LIMITS = { maxBuffers: 10, maxBindingBytes: 2 ** 31, maxBufferBytes: 2 ** 34, f16: false };

const out = resolve(process.argv[2] ?? "out/wgsl-reductions");
const index = CASES.map((c) => {
  const folders = (["subgroups", "tree"] as const).map((mode) => {
    const b = new GraphBuilder("rows");
    c.build(b);
    const folder = `${c.name}-${mode}`;
    mkdirSync(join(out, folder), { recursive: true });
    writeBundle(join(out, folder), buildWgslProgram({ graphs: [b.build()] }, { ...LIMITS, subgroups: mode === "subgroups" }), folder);
    return folder;
  });
  return { case: c.name, folders, bytes: c.bytes };
});
writeFileSync(join(out, "cases.json"), `${JSON.stringify(index, null, 1)}\n`);
console.log(`wrote ${index.length * 2} bundles to ${out}`);
