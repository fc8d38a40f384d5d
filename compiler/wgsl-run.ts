// The wgsl target's side of `trainc compile` (a bundle a browser trains from), and of `trainc train` and
// `trainc grads` in Node: specializes the module to the batch shape,
// builds the WebGPU program for the device's limits (backends/wgsl/program.ts), writes the bundle (program.js and
// its runtime, backends/wgsl/host.ts), imports it and runs it through the webgpu package (Dawn). Training runs the
// bundle's own trainer (backends/wgsl/runtime/trainer.ts), the code a browser runs: parameters, accumulators and
// AdamW moments stay on the device, and a step reads back only the loss, token count, lr and gradient norm.
// Invariant: everything that runs on the device comes from the written bundle, so Node tests what ships.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { batchSizes, planBatches, scalerStart, type Plan } from "./plan.ts";
import { planEvaluation } from "./train/intervals.ts";
import { stepReport } from "./program-report.ts";
import { padBatchTo, take } from "./data/batches.ts";
import { writeSafetensors } from "./import/safetensors.ts";
import { writeBatchFile, writeEvalBatchFile } from "../backends/cuda/runtime/batch-file.ts";
import type { StepRunner } from "./train/loop.ts";
import { openDevice } from "../backends/wgsl/device.ts";
import type { TuningDb } from "../autotune/db.ts";
import { tuningFor, type TuningUse } from "../autotune/lookup.ts";
import { writeBundle } from "../backends/wgsl/host.ts";
import { buildWgslProgram, type WgslLimits, type WgslProgram } from "../backends/wgsl/program.ts";
import type { WgslSession } from "../backends/wgsl/runtime/session.ts";
import { checkBatch, type createTrainer, type TrainerSetup } from "../backends/wgsl/runtime/trainer.ts";
import { specializeModule } from "../backends/schedule/specialize.ts";
import type { Graph, Module } from "../ir/graph.ts";
import type { Tensor } from "../ir/tensor.ts";
import { hashText } from "../ir/hash.ts";
import { IGNORE_INDEX, stateName } from "../ir/train-step.ts";

/** A program running on the WebGPU device. */
export interface WgslRun {
  readonly program: WgslProgram;
  readonly session: WgslSession;
  /** The bundle's program.js. */
  readonly file: string;
  /** Frees the session and the device. */
  readonly close: () => void;
}

/**
 * The URL to import a bundle file by: Node caches modules by URL, and a folder may hold another program by now (a
 * second run into the same output folder), so the URL names the file's content.
 */
function bundleUrl(file: string): string {
  return `${pathToFileURL(file).href}?${hashText(readFileSync(file, "utf8")).slice(0, 16)}`;
}

/**
 * Builds `module` for the first WebGPU adapter, writes its bundle into `dir` and opens it on the device. `within`
 * lowers limits below the device's (a test of how a smaller device is planned for); tunable kernels take the configs
 * `db` holds for this device (their heuristic configs without a DB).
 */
export async function openWgsl(module: Module, dir: string, title: string, note: (m: string) => void,
  within: Partial<WgslLimits> = {}, db?: TuningDb): Promise<WgslRun> {
  const gpu = await openDevice();
  note(`WebGPU adapter: ${gpu.description || "unnamed"}`);
  try {
    const tuning = db && tuningFor(db, gpu.key, gpu.toolchain);
    const program = buildWgslProgram(module, { ...gpu.limits, ...within }, tuning?.tuned);
    if (tuning) note(tuning.summary());
    const file = writeBundle(dir, program, title);
    const launches = program.graphs.reduce((n, g) => n + g.kernels.reduce((m, k) => m + k.sources.length, 0), 0);
    note(`wrote ${file} (${launches} launches); compiling its kernels`);
    const bundle = await import(bundleUrl(file)) as { open(device: GPUDevice): Promise<WgslSession> };
    const session = await bundle.open(gpu.device);
    return { program, session, file, close: () => { session.destroy(); gpu.close(); } };
  } catch (e) {
    gpu.close();
    throw e;
  }
}

/** Rows of the embedding table the graph's `embedding` reads: token ids must be below it (unbounded without one). */
export function vocabOf(graph: Graph): number {
  const embedding = graph.nodes.find((n) => n.op === "embedding");
  return embedding ? graph.types[embedding.args[0]!]!.shape[0] as number : Number.MAX_SAFE_INTEGER;
}

/**
 * What the trainer needs besides the parameters: which are trained, the names of their optimizer state, and the fp16
 * loss scaler's first state (`scaler`, plan.ts scalerStart).
 */
function trainSetup(module: Module, scaler: Readonly<Record<string, number>>): Omit<TrainerSetup, "parameters"> {
  const optimizer = module.graphs.find((g) => g.name === "optimizer_step")!;
  const micro = module.graphs.find((g) => g.name === "micro_step")!;
  const trained = optimizer.inputs.map((i) => i.name).filter((n) => micro.inputs.some((i) => i.name === n) &&
    optimizer.inputs.some((i) => i.name === stateName.m(n)));
  return {
    trained, accumulators: trained.map(stateName.acc), moments: trained.flatMap((n) => [stateName.m(n), stateName.v(n)]),
    scalars: { ...scaler }, vocab: vocabOf(micro), ignoreIndex: IGNORE_INDEX,
  };
}

/** The train step of `plan` specialized to its micro-batch size and sequence length. */
export function specializedStep(plan: Plan): { module: Module; sizes: { B: number; T: number } } {
  const sizes = batchSizes(plan);
  return { module: specializeModule(plan.module, sizes), sizes };
}

/** The train step of `plan` on the WebGPU device, state kept there, kernels tuned as `db` says; the bundle goes into `dir`. */
export async function wgslRunner(plan: Plan, dir: string, note: (m: string) => void, db: TuningDb | undefined): Promise<StepRunner> {
  const { module, sizes } = specializedStep(plan);
  note(`scheduling and rendering WGSL kernels for B=${sizes.B}, T=${sizes.T}`);
  const run = await openWgsl(module, dir, `train step of ${plan.model.path}, B=${sizes.B}, T=${sizes.T}`, note, {}, db);
  try {
    const trainer = await import(bundleUrl(join(dirname(run.file), "trainer.js"))) as { createTrainer: typeof createTrainer };
    const runner = trainer.createTrainer(run.session, { ...trainSetup(module, scalerStart(plan)), parameters: plan.model.parameters }, run.close);
    const pad = plan.tokenizer.special.pad ?? 0;
    return {
      ...runner, micro: (batch) => runner.micro(padBatchTo(batch, sizes.T, pad)),
      evaluate: (batch) => runner.evaluate(padBatchTo(batch, sizes.T, pad)),
    };
  } catch (e) {
    run.close();
    throw e;
  }
}

/** `trainc grads --target wgsl`: the grads graph on one batch; its outputs by name (loss, logits, grad.<name>), f32. */
export async function gradsWgsl(graph: Graph, parameters: Readonly<Record<string, Tensor>>, batch: Readonly<Record<string, Tensor>>,
  dir: string, note: (m: string) => void, within: Partial<WgslLimits> = {}): Promise<Record<string, Tensor>> {
  const [rows, length] = batch["input_ids"]!.shape as [number, number];
  const module = specializeModule({ graphs: [graph] }, { B: rows, T: length });
  const specialized = module.graphs[0]!;
  checkBatch({ input_ids: batch["input_ids"]!.data, labels: batch["labels"]!.data }, vocabOf(specialized), IGNORE_INDEX);
  const run = await openWgsl(module, dir, `grads of one ${rows}x${length} batch`, note, within);
  const { session } = run;
  try {
    for (const input of specialized.inputs) session.write(specialized.name, input.name, (batch[input.name] ?? parameters[input.name]!).data);
    session.run(specialized.name);
    const read = await session.read(specialized.name, specialized.outputs.map((o) => o.name));
    return Object.fromEntries(specialized.outputs.map((o) => {
      const { shape } = specialized.types[o.id]!;
      return [o.name, { dtype: "f32", shape: shape as number[], data: Float32Array.from(read[o.name]!) }];
    }));
  } finally {
    run.close();
  }
}

/**
 * What a bundle for any browser is planned within: WebGPU's default limits, so it runs on every WebGPU device: binding
 * and buffer sizes of 128 and 256 MiB (larger tensors bind in parts, larger arenas are several buffers), 8 storage
 * buffers per kernel (attention's backward kernels bind 8 at most, AdamW 7, 8 with fp16's skip; fused kernels are cut
 * to fit), and no optional feature (no subgroups; shader-f16 only for an fp16 run).
 */
export const BUNDLE_LIMITS: WgslLimits = {
  maxBuffers: 8, maxBindingBytes: 128 * 2 ** 20, maxBufferBytes: 256 * 2 ** 20, subgroups: false, f16: true,
};

/**
 * `trainc compile --target wgsl`: the bundle (program.js, its runtime, index.html) plus the run files its page trains
 * from (parameters.safetensors in f32, batches.bin with the run's batches padded to sequence_len, run.json); returns
 * the report. Tunable kernels take the configs `tuning` gives (a tuned bundle still fits WebGPU's default limits).
 */
export function compileWgsl(plan: Plan, out: string, limits: WgslLimits, note: (m: string) => void,
  tuning?: TuningUse): Record<string, unknown> {
  const { module, sizes } = specializedStep(plan);
  note(`scheduling and rendering WGSL kernels for B=${sizes.B}, T=${sizes.T} within ${limits.maxBuffers} storage buffers ` +
    `per kernel${limits.subgroups ? ", reductions through subgroups" : ""}`);
  const program = buildWgslProgram(module, limits, tuning?.tuned);
  if (tuning) note(tuning.summary());
  const title = `trainc: ${plan.model.path}, B=${sizes.B}, T=${sizes.T}, ${plan.totalSteps} steps`;
  writeBundle(out, program, title);
  note(`writing the run files (parameters, ${plan.totalSteps * plan.config.gradient_accumulation_steps} batches)`);
  writeSafetensors(join(out, "parameters.safetensors"), plan.model.parameters, { dtype: "f32" });
  const pad = plan.tokenizer.special.pad ?? 0;
  writeBatchFile(join(out, "batches.bin"), take(planBatches(plan), plan.totalSteps * plan.config.gradient_accumulation_steps), { length: sizes.T, padId: pad });
  const evaluation = planEvaluation(plan);
  if (evaluation) {
    writeEvalBatchFile(join(out, "eval_batches.bin"), evaluation.batches, { length: sizes.T, padId: pad });
  }
  writeFileSync(join(out, "run.json"), `${JSON.stringify({
    title, steps: plan.totalSteps, accumulation: plan.config.gradient_accumulation_steps, ...trainSetup(module, scalerStart(plan)),
    ...(evaluation ? { eval_every: evaluation.every } : {}),
  }, null, 1)}\n`);
  return { ...wgslReport(program, plan, sizes), ...(tuning ? { tuning: tuning.report() } : {}) };
}

/** The report `trainc compile --target wgsl` prints and writes: kernels, FLOPs per step, device memory. */
function wgslReport(program: WgslProgram, plan: Plan, sizes: { B: number; T: number }): Record<string, unknown> {
  const { stateBytes, activationBytes } = program.memory;
  return {
    target: "wgsl", micro_batch_size: sizes.B, sequence_len: sizes.T, dtype: plan.precision.compute,
    parameter_dtype: plan.precision.parameters,
    features: program.features,
    ...stepReport(program.graphs, plan),
    memory: { state_bytes: stateBytes, activation_bytes: activationBytes, predicted_peak_bytes: stateBytes + activationBytes },
  };
}
