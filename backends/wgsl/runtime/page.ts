// The browser page of a wgsl bundle (index.html loads it): opens WebGPU in the tab, loads the bundle's run files
// (run.json, parameters.safetensors, batches.bin, and eval_batches.bin with a validation split), trains with the
// bundle's trainer and the shared training loop (evaluating every eval_every steps), and draws the loss as it goes;
// when training ends, the trained weights are offered for download as model.safetensors (f32, the names of the
// model's own file). Progress is also published on `window.trainc` ({ steps, evals, done, error }) for a headless
// browser to read.
// Invariants: the page requests the adapter's own limits (session.ts requestDevice: the program's kernels may bind
// more than WebGPU's default 8 buffers); any failure is shown on the page and stored
// in window.trainc.error, never swallowed.

import type { EvalResult, Evaluation, StepResult } from "../../../compiler/train/loop.ts";
import { trainLoop } from "../../../compiler/train/loop.ts";
import { readBatchFile, readF32Safetensors, writeF32Safetensors } from "./files.ts";
import { requestDevice, type WgslSession } from "./session.ts";
import { createTrainer, type TrainerSetup } from "./trainer.ts";

/** run.json: what the compiler wrote beside the program for the page. */
interface RunFile extends Omit<TrainerSetup, "parameters"> {
  readonly title: string;
  readonly steps: number;
  readonly accumulation: number;
  /** Steps between evaluations, when the bundle has eval_batches.bin. */
  readonly eval_every?: number;
}

interface Progress {
  steps: StepResult[];
  evals: EvalResult[];
  done: boolean;
  error?: string;
}

const progress: Progress = { steps: [], evals: [], done: false };
(globalThis as { trainc?: Progress }).trainc = progress;

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function say(text: string): void {
  element("status").textContent = text;
}

/** Redraws the loss curve: steps on x, loss on y, on the page's canvas. */
function plot(steps: readonly StepResult[], total: number): void {
  const canvas = element<HTMLCanvasElement>("loss");
  const g = canvas.getContext("2d")!;
  const [w, h, pad] = [canvas.width, canvas.height, 30];
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#888";
  g.strokeRect(pad, 5, w - pad - 5, h - pad - 5);
  if (steps.length === 0) return;
  const top = Math.max(...steps.map((s) => s.loss));
  g.fillStyle = "#333";
  g.fillText(top.toFixed(2), 2, 12);
  g.fillText("0", 2, h - pad);
  g.fillText(`step ${total}`, w - 60, h - 10);
  g.strokeStyle = "#c33";
  g.beginPath();
  steps.forEach((s, i) => {
    const x = pad + ((w - pad - 5) * s.step) / total;
    const y = 5 + (h - pad - 5) * (1 - s.loss / top);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
}

async function fetchBytes(name: string): Promise<ArrayBuffer> {
  const response = await fetch(name);
  if (!response.ok) throw new Error(`cannot fetch ${name}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function openDevice(): Promise<GPUDevice> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error("this browser gives no WebGPU adapter (enable WebGPU, or use `trainc train --target wgsl` in Node)");
  return requestDevice(adapter);
}

async function main(): Promise<void> {
  const run = JSON.parse(new TextDecoder().decode(await fetchBytes("run.json"))) as RunFile;
  element("title").textContent = run.title;
  say("opening WebGPU and compiling the kernels");
  const device = await openDevice();
  const programUrl = "./program.js";
  const program = await import(programUrl) as { open(device: GPUDevice): Promise<WgslSession> };
  const session = await program.open(device);
  say("loading the parameters and the batches");
  const parameters = readF32Safetensors(await fetchBytes("parameters.safetensors"));
  const batches = readBatchFile(await fetchBytes("batches.bin"));
  const trainer = createTrainer(session, { ...run, parameters }, () => session.destroy());
  const evaluation: Evaluation | undefined = run.eval_every === undefined ? undefined : {
    every: run.eval_every,
    batches: [...readBatchFile(await fetchBytes("eval_batches.bin"))].map((b) => b.batch),
    onEval: (result) => {
      progress.evals.push(result);
      say(`eval at step ${result.step}/${run.steps} | eval loss ${result.loss.toFixed(4)}`);
    },
  };
  const started = performance.now();
  let tokens = 0;
  await trainLoop(trainer, {
    batches, steps: run.steps, accumulation: run.accumulation, evaluation,
    onStep: (result) => {
      progress.steps.push(result);
      tokens += result.inputTokens;
      const rate = tokens / ((performance.now() - started) / 1000);
      say(`step ${result.step}/${run.steps} | loss ${result.loss.toFixed(4)} | lr ${result.lr.toExponential(2)} | ` +
        `${Math.round(rate)} tok/s`);
      plot(progress.steps, run.steps);
    },
  });
  const weights = writeF32Safetensors(await trainer.parameters());
  trainer.close();
  const link = element<HTMLAnchorElement>("download");
  link.href = URL.createObjectURL(new Blob([weights], { type: "application/octet-stream" }));
  link.hidden = false;
  progress.done = true;
  const evalLoss = progress.evals.at(-1);
  say(`done: ${run.steps} steps, final loss ${progress.steps.at(-1)?.loss.toFixed(4)}` +
    (evalLoss === undefined ? "" : `, eval loss ${evalLoss.loss.toFixed(4)}`));
}

main().catch((e: unknown) => {
  progress.error = e instanceof Error ? e.message : String(e);
  say(`error: ${progress.error}`);
});
