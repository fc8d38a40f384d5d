// The cuda and hip targets' side of `trainc compile`, `trainc train` and `trainc grads` (one program, two toolchains:
// backends/hip/program.ts): specializes the lowered train step to the plan's batch layout (B rows of T tokens:
// micro_batch_size x sequence_len, or one packed row), schedules and renders it (backends/cuda/program.ts), emits
// main.cu and builds it (cached per content hash), writes the report; for a run it also writes the run folder the
// binary reads — initial parameters, the batch file (and with a validation split the eval batch file), config.json's
// text and run.json (paths relative to run.json) — and starts the binary.
//
// Error codes defined here:
//   5014  --arch of another target (an AMD arch for cuda, an NVIDIA one for hip)
//   5020  the binary could not be started

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fail } from "./diagnostics.ts";
import { take, type Batch } from "./data/batches.ts";
import { writeSafetensors } from "./import/safetensors.ts";
import { batchSizes, planBatches, scalerStart, type Plan } from "./plan.ts";
import { stepReport } from "./program-report.ts";
import { archFeatures, buildProgram, type Built } from "../backends/cuda/build.ts";
import { gradsMain, trainMain } from "../backends/cuda/host-main.ts";
import { buildCudaProgram, cudaHooks, type CudaProgram } from "../backends/cuda/program.ts";
import { buildHipProgram } from "../backends/hip/program.ts";
import { writeBatchFile, writeEvalBatchFile } from "../backends/cuda/runtime/batch-file.ts";
import { specializeModule } from "../backends/schedule/specialize.ts";
import type { Graph, Module } from "../ir/graph.ts";
import type { Tensor } from "../ir/tensor.ts";
import type { TuningUse } from "../autotune/lookup.ts";

export interface CudaBuild {
  readonly module: Module;
  readonly program: CudaProgram;
  readonly built: Built | undefined;
  readonly sizes: { readonly B: number; readonly T: number };
}

/** The program of `module` for `arch`: CUDA for NVIDIA archs (sm_*, tunable kernels as `tuning` says), HIP for AMD ones (gfx*). */
function programFor(module: Module, arch: string, tuning: TuningUse | undefined): CudaProgram {
  return arch.startsWith("gfx") ? buildHipProgram(module) : buildCudaProgram(module, cudaHooks(archFeatures(arch), tuning?.tuned));
}

/** Compute capability of the machine's first NVIDIA GPU ("9.0"), or undefined when nvidia-smi finds none. */
function localComputeCapability(): string | undefined {
  const r = spawnSync("nvidia-smi", ["--query-gpu=compute_cap", "--format=csv,noheader"], { encoding: "utf8", timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim().split("\n")[0]?.trim() || undefined : undefined;
}

/**
 * The arch the cuda or hip target builds for: `arch` (--arch) when given, checked against the target (5014); else
 * gfx90a (MI200) for hip, and for cuda sm_90a when this machine's GPU is compute capability 9.0 (H100, H200: the wgmma
 * kernels; such a binary runs on those GPUs only), else sm_90, said through `note`.
 */
export function chooseArch(target: string, arch: string | undefined, note: (message: string) => void): string {
  if (arch !== undefined) {
    if (arch.startsWith("gfx") !== (target === "hip")) {
      fail(5014, `--arch ${arch} is not an arch of the ${target} target`,
        target === "hip" ? "use an AMD arch (gfx90a, gfx942)" : "use an NVIDIA arch (sm_80, sm_89, sm_90, sm_90a)");
    }
    return arch;
  }
  if (target === "hip") return "gfx90a";
  const cc = localComputeCapability();
  if (cc === "9.0") {
    note("arch sm_90a: this machine's GPU is compute capability 9.0 (wgmma kernels; --arch sm_90 for a portable build)");
    return "sm_90a";
  }
  return "sm_90";
}

/**
 * Specializes, schedules, renders and (unless `build` is false) builds the plan's train step, tunable kernels as
 * `tuning` says (their heuristic configs without it).
 */
export function compileCuda(plan: Plan, arch: string, build: boolean, note: (m: string) => void, tuning?: TuningUse): CudaBuild {
  const sizes = batchSizes(plan);
  const module = specializeModule(plan.module, sizes);
  note(`scheduling and rendering kernels for B=${sizes.B}, T=${sizes.T}`);
  const program = programFor(module, arch, tuning);
  if (tuning) note(tuning.summary());
  const main = trainMain(program, module, sizes, arch, scalerStart(plan));
  if (!build) return { module, program, built: undefined, sizes };
  note(`building for ${arch}`);
  const built = buildProgram(main, arch, "train");
  note(built.compiled ? `built in ${built.seconds.toFixed(1)} s: ${built.binary}` : `reusing the build in ${built.dir}`);
  return { module, program, built, sizes };
}

/** The report `trainc compile` prints and writes: parameter count, kernels, FLOPs per step and predicted device memory. */
export function cudaReport(c: CudaBuild, plan: Plan, arch: string): Record<string, unknown> {
  const { program } = c;
  return {
    target: arch.startsWith("gfx") ? "hip" : "cuda", arch, micro_batch_size: c.sizes.B, sequence_len: c.sizes.T, dtype: plan.precision.compute, parameter_dtype: plan.precision.parameters,
    ...stepReport(program.graphs, plan),
    memory: {
      state_bytes: program.memory.stateBytes, activation_bytes: program.memory.activationBytes,
      workspace_bytes: program.workspaceBytes,
      predicted_peak_bytes: program.memory.stateBytes + program.memory.activationBytes + program.workspaceBytes,
    },
    binary: c.built?.binary,
  };
}

/** How a training run reports: checkpoint interval, metrics interval, and where the first step's profile goes. */
export interface RunReporting {
  readonly saveEvery: number;
  readonly loggingSteps: number;
  readonly profile?: string;
  /** Held-out batches and the steps between their evaluations. */
  readonly evaluation?: { readonly every: number; readonly batches: readonly Batch[] };
}

/**
 * Writes the run folder and runs the binary with inherited stdio (it writes summary.json into `outDir`, and the
 * first step's per-kernel times to `reporting.profile` when set); returns its exit status.
 */
export function runCuda(c: CudaBuild, plan: Plan, outDir: string, reporting: RunReporting, note: (m: string) => void): number {
  const { saveEvery, loggingSteps } = reporting;
  const run = join(outDir, ".trainc-run");
  mkdirSync(run, { recursive: true });
  note(`writing the run folder ${run}`);
  writeSafetensors(join(run, "parameters.safetensors"), plan.model.parameters);
  const steps = plan.totalSteps * plan.config.gradient_accumulation_steps;
  writeBatchFile(join(run, "batches.bin"), take(planBatches(plan), steps), { length: c.sizes.T, padId: plan.tokenizer.special.pad ?? 0 });
  const { evaluation } = reporting;
  if (evaluation) writeEvalBatchFile(join(run, "eval_batches.bin"), evaluation.batches, { length: c.sizes.T, padId: plan.tokenizer.special.pad ?? 0 });
  writeFileSync(join(run, "config.json"), plan.model.hf!.configText);
  const rel = (p: string) => relative(run, resolve(p));
  const vocab = plan.model.forward.types[plan.model.forward.inputs.find((i) => i.name === "model.embed_tokens.weight")!.id]!.shape[0];
  writeFileSync(join(run, "run.json"), JSON.stringify({
    output_dir: rel(outDir), parameters: "parameters.safetensors", batches: "batches.bin", config_json: "config.json",
    tokenizer_dir: rel(dirname(plan.tokenizer.file)), steps: plan.totalSteps, accumulation: plan.config.gradient_accumulation_steps,
    logging_steps: loggingSteps, save_every: saveEvery, vocab_size: vocab, max_position: c.sizes.T,
    ...(evaluation ? { eval_batches: "eval_batches.bin", eval_every: evaluation.every } : {}),
  }, null, 1) + "\n");
  const args = [join(run, "run.json"), ...(reporting.profile === undefined ? [] : ["--profile", resolve(reporting.profile)])];
  const r = spawnSync(c.built!.binary, args, { stdio: "inherit" });
  if (r.error) fail(5020, `cannot start ${c.built!.binary}: ${r.error.message}`, "compile again (trainc compile --target cuda)");
  return r.status ?? 1;
}

/**
 * `trainc grads --target cuda`: specializes the grads graph to the batch's [B,T], builds the grads program, writes its
 * run folder `<out>.trainc-run/` (parameters, run.json with paths relative to it) and runs it; returns its status.
 */
export function gradsCuda(graph: Graph, parameters: Readonly<Record<string, Tensor>>, batchFile: string, outFile: string,
  sizes: { B: number; T: number }, arch: string, note: (m: string) => void): number {
  const specialized = specializeModule({ graphs: [graph] }, sizes);
  const program = programFor(specialized, arch, undefined);
  const main = gradsMain(program, specialized.graphs[0]!, sizes, arch);
  note(`building the grads program for ${arch} (B=${sizes.B}, T=${sizes.T})`);
  const built = buildProgram(main, arch, "grads");
  note(built.compiled ? `built in ${built.seconds.toFixed(1)} s: ${built.binary}` : `reusing the build in ${built.dir}`);
  const run = `${resolve(outFile)}.trainc-run`;
  mkdirSync(run, { recursive: true });
  writeSafetensors(join(run, "parameters.safetensors"), parameters);
  const rel = (p: string) => relative(run, resolve(p));
  writeFileSync(join(run, "run.json"), JSON.stringify({ parameters: "parameters.safetensors", batch: rel(batchFile), out: rel(outFile) }) + "\n");
  const r = spawnSync(built.binary, [join(run, "run.json")], { stdio: "inherit" });
  if (r.error) fail(5020, `cannot start ${built.binary}: ${r.error.message}`, "check the build folder");
  return r.status ?? 1;
}
