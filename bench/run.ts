// Benchmarks of the cpu target (the reference interpreter): a matmul sweep and the tiny-llama train step. Each case is
// validated first (the matmul against a naive loop on a sample of entries), then timed: warm-up, repeats, median.
// Prints a table; record the figures in bench/RESULTS.md with the date, commit, machine and this command:
//   npm run bench

import { join } from "node:path";
import { cpus } from "node:os";
import { GraphBuilder } from "../ir/builder.ts";
import { interpret } from "../ir/interpret/index.ts";
import { fromArray, type Tensor } from "../ir/tensor.ts";
import { makeRandom } from "../compiler/random.ts";
import { batchStream } from "../compiler/data/batches.ts";
import { importFromConfig, makePlan } from "../compiler/plan.ts";
import { targetInfo } from "../compiler/targets.ts";
import { interpreterRunner } from "../compiler/train/interpreter-runner.ts";
import { trainLoop } from "../compiler/train/loop.ts";

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(run: () => void, repeats: number): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function matmul(m: number, k: number, n: number): string {
  const random = makeRandom(`${m}x${k}x${n}`);
  const b = new GraphBuilder("mm");
  const x = b.input("x", "f32", [m, k]);
  const w = b.input("w", "f32", [k, n]);
  b.output("y", b.op("matmul", [x, w]));
  const graph = b.build();
  const tensor = (rows: number, cols: number): Tensor => fromArray("f32", [rows, cols], Array.from({ length: rows * cols }, () => random() - 0.5));
  const inputs = { x: tensor(m, k), w: tensor(k, n) };
  const y = interpret(graph, inputs)["y"]!;
  for (let s = 0; s < 16; s++) {
    const [i, j] = [Math.floor(random() * m), Math.floor(random() * n)];
    let want = 0;
    for (let p = 0; p < k; p++) want += inputs.x.data[i * k + p]! * inputs.w.data[p * n + j]!;
    if (Math.abs(y.data[i * n + j]! - want) > 1e-4 * (1 + Math.abs(want))) throw new Error(`matmul ${m}x${k}x${n} is wrong at ${i},${j}`);
  }
  const ms = time(() => interpret(graph, inputs), 5);
  return `| matmul f32 [${m},${k}] x [${k},${n}] | ${ms.toFixed(1)} ms | ${((2 * m * k * n) / ms / 1e6).toFixed(2)} GFLOP/s |`;
}

async function tinyLlamaStep(): Promise<string> {
  const config = join(import.meta.dirname, "../examples/tiny-llama/config.yml");
  const plan = makePlan(importFromConfig(config, targetInfo("cpu")), { maxSteps: 20 });
  const batches = batchStream(plan.dataset.rows, {
    microBatchSize: plan.config.micro_batch_size, sequenceLen: plan.config.sequence_len, padId: plan.tokenizer.special.pad, seed: 1,
  });
  const samples: number[] = [];
  let tokens = 0;
  let last = performance.now();
  await trainLoop(interpreterRunner(plan.module, plan.model.parameters), {
    batches, steps: 20, accumulation: 1,
    onStep: (r) => {
      const now = performance.now();
      if (r.step > 2) samples.push(now - last);
      if (r.step > 2) tokens += r.inputTokens;
      last = now;
    },
  });
  const ms = median(samples);
  const total = samples.reduce((a, b) => a + b, 0);
  return `| tiny-llama train step (B=16, 75k params) | ${ms.toFixed(1)} ms | ${Math.round((tokens / total) * 1000).toLocaleString("en-US")} tokens/s |`;
}

console.log(`cpu target (reference interpreter), ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`);
console.log("| case | median | rate |\n|---|---|---|");
for (const [m, k, n] of [[64, 64, 64], [512, 256, 1024], [1024, 1024, 1024]] as const) console.log(matmul(m, k, n));
console.log(await tinyLlamaStep());

