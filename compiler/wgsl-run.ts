// The wgsl target's side of `trainc train`, `trainc grads` and `trainc compile`: specializes the module to the batch
// shape, builds the WebGPU program for the device's limits (backends/wgsl/program.ts), writes the bundle (program.js
// and runtime.js, backends/wgsl/host.ts), imports it and runs it through the webgpu package (Dawn). Training keeps
// parameters, accumulators and AdamW moments on the device; a step reads back only the loss, token count, lr and
// gradient norm, and a checkpoint reads the parameters.
// WGSL kernels have no error channel, so token ids and labels are checked here before they are uploaded, with the
// interpreter's error codes.
//
// Error codes defined here (the interpreter's, for the same bad data):
//   6110  a token id outside [0, vocab)
//   6111  a label outside [0, vocab) that is not the ignore index

import { pathToFileURL } from "node:url";
import { fail } from "./diagnostics.ts";
import type { Plan } from "./plan.ts";
import { batchTensors } from "./commands/inputs.ts";
import { padBatchTo } from "./data/batches.ts";
import type { StepRunner } from "./train/loop.ts";
import { openDevice } from "../backends/wgsl/device.ts";
import { writeBundle } from "../backends/wgsl/host.ts";
import { buildWgslProgram, type WgslProgram } from "../backends/wgsl/program.ts";
import type { WgslSession } from "../backends/wgsl/runtime/session.ts";
import { specializeModule } from "../backends/schedule/specialize.ts";
import type { Graph, Module } from "../ir/graph.ts";
import type { Tensor } from "../ir/tensor.ts";
import { stateName } from "../ir/train-step.ts";
import { IGNORE_INDEX } from "../ir/train-step/loss.ts";

/** A program running on the WebGPU device. */
export interface WgslRun {
  readonly program: WgslProgram;
  readonly session: WgslSession;
  /** The bundle's program.js. */
  readonly file: string;
  /** Frees the session and the device. */
  readonly close: () => void;
}

/** Builds `module` for the first WebGPU adapter, writes its bundle into `dir` and opens it on the device. */
export async function openWgsl(module: Module, dir: string, title: string, note: (m: string) => void): Promise<WgslRun> {
  const gpu = await openDevice();
  note(`WebGPU adapter: ${gpu.description || "unnamed"}`);
  const program = buildWgslProgram(module, gpu.limits);
  const file = writeBundle(dir, program, title);
  const launches = program.graphs.reduce((n, g) => n + g.kernels.reduce((m, k) => m + k.sources.length, 0), 0);
  note(`wrote ${file} (${launches} launches); compiling its kernels`);
  try {
    const bundle = await import(pathToFileURL(file).href) as { open(device: GPUDevice): Promise<WgslSession> };
    const session = await bundle.open(gpu.device);
    return { program, session, file, close: () => { session.destroy(); gpu.close(); } };
  } catch (e) {
    gpu.close();
    throw e;
  }
}

/** 6110 / 6111 unless every id is in [0, vocab) and every label is, or is the ignore index. */
export function checkBatch(batch: Readonly<Record<string, Tensor>>, vocab: number): void {
  const bad = (name: string, ok: (x: number) => boolean) => batch[name]!.data.findIndex((x) => !ok(x));
  const id = bad("input_ids", (x) => x >= 0 && x < vocab);
  if (id >= 0) {
    fail(6110, `input_ids: id ${batch["input_ids"]!.data[id]} at flat position ${id} is outside [0, ${vocab})`,
      `token ids must be below the vocabulary size ${vocab}; check the tokenizer and the model's vocab_size`);
  }
  const label = bad("labels", (x) => x === IGNORE_INDEX || (x >= 0 && x < vocab));
  if (label >= 0) {
    fail(6111, `labels: target ${batch["labels"]!.data[label]} at flat position ${label} is outside [0, ${vocab}) and is ` +
      `not ${IGNORE_INDEX}`, `labels must be token ids below the vocabulary size ${vocab} or ${IGNORE_INDEX}`);
  }
}

function vocabOf(graph: Graph): number {
  const embed = graph.inputs.find((i) => i.name === "model.embed_tokens.weight");
  return embed ? graph.types[embed.id]!.shape[0] as number : Number.MAX_SAFE_INTEGER;
}

/** A tensor from a device read-back of a tensor whose IR type is `like`'s. */
function tensorOf(data: Float32Array | Int32Array | Uint32Array, like: { dtype: string; shape: readonly (number | string)[] }): Tensor {
  if (like.dtype === "f32") return { dtype: "f32", shape: like.shape as number[], data: data as Float32Array };
  return { dtype: "f32", shape: like.shape as number[], data: Float32Array.from(data) };
}

/** The train step of `plan` on the WebGPU device, state kept there; the bundle goes into `dir`. */
export async function wgslRunner(plan: Plan, dir: string, note: (m: string) => void): Promise<StepRunner> {
  const sizes = { B: plan.config.micro_batch_size, T: plan.config.sequence_len };
  const module = specializeModule(plan.module, sizes);
  note(`scheduling and rendering WGSL kernels for B=${sizes.B}, T=${sizes.T}`);
  const { session, close } = await openWgsl(module, dir, `train step of ${plan.config.base_model ?? "the model"}, B=${sizes.B}, T=${sizes.T}`, note);
  const [micro, optimizer] = ["micro_step", "optimizer_step"].map((n) => module.graphs.find((g) => g.name === n)!);
  const has = (graph: Graph, name: string) => graph.inputs.some((i) => i.name === name);
  const trained = Object.keys(plan.model.parameters).filter((n) => has(optimizer!, n));
  for (const [name, t] of Object.entries(plan.model.parameters)) {
    if (has(micro!, name) || has(optimizer!, name)) session.write(has(optimizer!, name) ? "optimizer_step" : "micro_step", name, t.data);
  }
  for (const name of trained) for (const state of [stateName.m(name), stateName.v(name)]) session.clear("optimizer_step", state);
  const vocab = vocabOf(micro!);
  const scalar = async (graph: string, names: string[]) => {
    const out = await session.read(graph, names);
    return names.map((n) => out[n]![0]!);
  };
  return {
    begin: () => { for (const name of trained) session.clear("micro_step", stateName.acc(name)); },
    micro: async (batch) => {
      const padded = padBatchTo(batch, sizes.T, plan.tokenizer.special.pad ?? 0);
      checkBatch(batchTensors(padded), vocab);
      for (const name of ["input_ids", "labels", "position_ids"] as const) session.write("micro_step", name, padded[name]);
      session.run("micro_step");
      const [lossSum, tokenCount] = await scalar("micro_step", ["loss_sum", "token_count"]);
      return { lossSum: lossSum!, tokenCount: tokenCount! };
    },
    optimize: async (step, tokenCount) => {
      session.write("optimizer_step", "step", [step]);
      session.write("optimizer_step", "token_count", [tokenCount]);
      session.run("optimizer_step");
      const [lr, gradNorm] = await scalar("optimizer_step", ["lr", "grad_norm"]);
      return { lr: lr!, gradNorm: gradNorm! };
    },
    parameters: async () => {
      const read = await session.read("optimizer_step", trained, "inputs");
      const out: Record<string, Tensor> = { ...plan.model.parameters };
      for (const name of trained) out[name] = tensorOf(read[name]!, plan.model.parameters[name]!);
      return out;
    },
    close,
  };
}

/** `trainc grads --target wgsl`: the grads graph on one batch; its outputs by name (loss, logits, grad.<name>), f32. */
export async function gradsWgsl(graph: Graph, parameters: Readonly<Record<string, Tensor>>, batch: Readonly<Record<string, Tensor>>,
  dir: string, note: (m: string) => void): Promise<Record<string, Tensor>> {
  const [rows, length] = batch["input_ids"]!.shape as [number, number];
  const module = specializeModule({ graphs: [graph] }, { B: rows, T: length });
  const specialized = module.graphs[0]!;
  checkBatch(batch, vocabOf(specialized));
  const run = await openWgsl(module, dir, `grads of one ${rows}x${length} batch`, note);
  const { session } = run;
  for (const input of specialized.inputs) session.write(specialized.name, input.name, (batch[input.name] ?? parameters[input.name]!).data);
  session.run(specialized.name);
  const names = specialized.outputs.map((o) => o.name);
  const read = await session.read(specialized.name, names).finally(run.close);
  return Object.fromEntries(specialized.outputs.map((o) => [o.name, tensorOf(read[o.name]!, specialized.types[o.id]!)]));
}
