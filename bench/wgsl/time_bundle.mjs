// Times one graph of a wgsl bundle (program.js and its runtime) in plain Node with Dawn, without trainc installed:
// fills every input of the graph with random values in [-1, 1), runs it `--warmup` times, then `--repeats` times,
// each time `--batch` runs submitted back to back and waited for together (queue.onSubmittedWorkDone: 1 by default;
// more amortize the submission and wait, which dominate a kernel of a few microseconds), and prints the median
// milliseconds per run and, given `--flops N` (the work of one run), TFLOP/s.
// Usage: node bench/wgsl/time_bundle.mjs <bundle> <webgpu package dir> --graph NAME [--repeats R] [--warmup W]
//        [--batch B] [--flops N]
// Invariant: integer inputs get zeros (ids and document segments then name valid rows; one document).

import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { openDawn } from "./dawn.mjs";

const [bundleArg, webgpuArg, ...rest] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : fallback;
};
if (!bundleArg || !webgpuArg || !option("--graph")) {
  console.error("usage: node time_bundle.mjs <bundle> <webgpu package dir> --graph NAME [--repeats R] [--warmup W] [--batch B] [--flops N]");
  process.exit(2);
}
const graph = option("--graph");
const { device, name, close } = await openDawn(webgpuArg, bundleArg);
const program = await import(pathToFileURL(join(resolve(bundleArg), "program.js")).href);
const session = await program.open(device);
for (const t of program.TENSORS[graph].inputs) {
  const n = t.shape.reduce((a, b) => a * b, 1);
  session.write(graph, t.name, Array.from({ length: n }, () => (t.dtype === "f32" ? Math.random() * 2 - 1 : 0)));
}
const batch = Number(option("--batch", 1));
const run = async () => {
  const start = performance.now();
  for (let i = 0; i < batch; i++) session.run(graph);
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - start) / batch;
};
for (let i = 0; i < Number(option("--warmup", 2)); i++) await run();
const times = [];
for (let i = 0; i < Number(option("--repeats", 10)); i++) times.push(await run());
times.sort((a, b) => a - b);
const ms = times[Math.floor(times.length / 2)];
const flops = Number(option("--flops", 0));
console.log(`${graph}: median ${ms.toFixed(3)} ms over ${times.length} x ${batch} runs${flops ? `, ${(flops / ms / 1e9).toFixed(2)} TFLOP/s` : ""}`);
session.destroy();
close();
console.log(`adapter: ${name}`);
