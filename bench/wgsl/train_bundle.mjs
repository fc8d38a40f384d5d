// Trains from a wgsl bundle (trainc compile --target wgsl) in plain Node, without trainc installed: for machines that
// have Node and Dawn but not the toolchain (the H200 machine; see bench/wgsl/README.md). Uses the bundle's own runtime
// (program.js, trainer.js, loop.js, files.js) exactly as the page does, on the first WebGPU adapter, and prints the
// loss of every step, then tokens/s over the timed steps (all but the first `--warmup`) and the adapter's name.
// Usage: node bench/wgsl/train_bundle.mjs <bundle> <webgpu package dir> [--steps N] [--warmup W] [--out file.json]
// Invariant: tokens/s counts real (non-padding) input tokens, as trainc's progress line does; the clock stops after
// each step's read-back (the trainer reads the loss), so every timed step's GPU work is included.

import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { openDawn } from "./dawn.mjs";

const [bundleArg, webgpuArg, ...rest] = process.argv.slice(2);
if (!bundleArg || !webgpuArg) {
  console.error("usage: node train_bundle.mjs <bundle> <webgpu package dir> [--steps N] [--warmup W] [--out file.json]");
  process.exit(2);
}
const option = (name, fallback) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : fallback;
};
const bundle = resolve(bundleArg);
const load = (file) => import(pathToFileURL(join(bundle, file)).href);
const { device, name, close } = await openDawn(webgpuArg, bundle);
console.log(`adapter: ${name}`);

const run = JSON.parse(readFileSync(join(bundle, "run.json"), "utf8"));
const steps = Number(option("--steps", run.steps));
const warmup = Number(option("--warmup", 5));
const [{ open }, { createTrainer }, { trainLoop }, { readBatchFile, readF32Safetensors }] =
  await Promise.all(["program.js", "trainer.js", "loop.js", "files.js"].map(load));
const compileStart = performance.now();
const session = await open(device);
console.log(`kernels compiled and graphs recorded in ${((performance.now() - compileStart) / 1000).toFixed(1)} s`);
const bytes = (file) => { const b = readFileSync(join(bundle, file)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
const trainer = createTrainer(session, { ...run, parameters: readF32Safetensors(bytes("parameters.safetensors")) }, () => session.destroy());
const results = [];
let start = 0;
let tokens = 0;
await trainLoop(trainer, {
  batches: readBatchFile(bytes("batches.bin")), steps, accumulation: run.accumulation,
  onStep: (r) => {
    results.push(r);
    if (r.step === warmup) start = performance.now();
    else if (r.step > warmup) tokens += r.inputTokens;
    if (r.step === 1 || r.step % 10 === 0) console.log(`step ${r.step} loss ${r.loss.toFixed(6)} lr ${r.lr.toExponential(3)}`);
  },
});
const seconds = (performance.now() - start) / 1000;
const summary = { adapter: name, steps, warmup, tokens_per_second: tokens / seconds, ms_per_step: (1000 * seconds) / (steps - warmup),
  losses: results.map((r) => r.loss) };
console.log(`${summary.tokens_per_second.toFixed(0)} tokens/s, ${summary.ms_per_step.toFixed(2)} ms per step over steps ${warmup + 1}-${steps}`);
if (option("--out")) writeFileSync(option("--out"), JSON.stringify(summary, null, 1));
trainer.close();
close();
