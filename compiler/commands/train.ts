// `trainc train <config.yml> [--target cpu] [--max-steps N] [--profile file]`: builds the plan (compiler/plan.ts),
// then trains with a progress line, metrics.jsonl and Hugging Face checkpoints in output_dir (checkpoint-<step>/ at
// save_steps or saves_per_epoch, at most save_total_limit of them, and the final model in output_dir itself). On
// cuda the binary also writes summary.json there, and with --profile the per-kernel times of the first step. cpu and
// wgsl share one loop (compiler/train/loop.ts); wgsl keeps the state on the WebGPU device (compiler/wgsl-run.ts).
//
// Error codes defined here:
//   5021  --profile on a target other than cuda

import { resolve, join } from "node:path";
import { describePrecision } from "../config/derived.ts";
import { fail } from "../diagnostics.ts";
import { describeLayout, describePacking } from "../data/stream.ts";
import { describeStats } from "../data/dataset.ts";
import { chooseArch, compileCuda, runCuda } from "../cuda-run.ts";
import { wgslRunner } from "../wgsl-run.ts";
import { cudaTuning, dbForBuild } from "../../autotune/lookup.ts";
import { countParameters, importFromConfig, makePlan, planBatches, scalerStart } from "../plan.ts";
import { loggingInterval, planEvaluation, saveInterval } from "../train/intervals.ts";
import { resolveTarget } from "../targets.ts";
import { pruneCheckpoints, saveCheckpoint } from "../train/checkpoint.ts";
import { interpreterRunner } from "../train/interpreter-runner.ts";
import { trainLoop } from "../train/loop.ts";
import { createReporter } from "../train/report.ts";
import type { Tensor } from "../../ir/tensor.ts";

export interface TrainOptions {
  /** Absent: chosen from the machine (compiler/targets.ts chooseTarget). */
  readonly target?: string;
  /** cuda, hip: the GPU arch (compiler/cuda-run.ts chooseArch). */
  readonly arch?: string;
  readonly maxSteps?: number;
  /** cuda: where the binary writes the per-kernel times of the first step. */
  readonly profile?: string;
  /** cuda, wgsl: the tuning DB whose configs the tunable kernels take (default: autotune/db.ts defaultDbPath). */
  readonly db?: string;
}

export async function train(configFile: string, options: TrainOptions): Promise<void> {
  const note = (message: string) => process.stderr.write(`trainc: ${message}\n`);
  const target = await resolveTarget(options.target, (m) => process.stderr.write(`trainc: ${m}\n`));
  if (options.profile !== undefined && target.name !== "cuda") {
    fail(5021, `--profile ${options.profile}: per-kernel profiles come from the CUDA binary, not the ${target.name} target`,
      "add --target cuda, or leave out --profile");
  }
  const plan = makePlan(importFromConfig(configFile, target, note), { maxSteps: options.maxSteps, note });
  const { config } = plan;
  const out = resolve(config.output_dir);
  note(`dataset: ${describeStats(plan.dataset.stats)}`);
  if (plan.layout.packing) note(`sample packing: ${describePacking(plan.dataset.rows, plan.layout)}`);
  note(`training ${countParameters(plan.model.parameters).toLocaleString("en-US")} parameters on ${target.name} ` +
    `(${describePrecision(plan.precision)}) for ${plan.totalSteps} steps of ${describeLayout(plan.layout)}` +
    (config.gradient_accumulation_steps > 1 ? ` x ${config.gradient_accumulation_steps} accumulated` : "") + `; output in ${out}`);
  const saveEvery = saveInterval(plan);
  const evaluation = planEvaluation(plan);
  if (evaluation) note(`evaluating ${evaluation.batches.length} held-out batches every ${evaluation.every} steps and after the last`);
  if (target.name === "cuda" || target.name === "hip") {
    const arch = chooseArch(target.name, options.arch, note);
    const db = target.name === "cuda" ? dbForBuild(options.db, note) : undefined;
    const tuning = db && await cudaTuning(db, arch, note);
    const build = compileCuda(plan, arch, true, note, tuning);
    const status = runCuda(build, plan, out, {
      saveEvery: saveEvery ?? 0, loggingSteps: loggingInterval(plan), profile: options.profile, evaluation,
    }, note);
    if (status !== 0) process.exitCode = status;
    return;
  }
  const reporter = createReporter({
    total: plan.totalSteps,
    loggingSteps: loggingInterval(plan),
    metricsFile: join(out, "metrics.jsonl"),
  });
  const save = (dir: string, params: Readonly<Record<string, Tensor>>) =>
    saveCheckpoint(dir, { configText: plan.model.hf!.configText, tokenizerFile: plan.tokenizer.file }, params, plan.precision.parameters);
  const runner = target.name === "wgsl" ? await wgslRunner(plan, join(out, ".trainc-run"), note, dbForBuild(options.db, note))
    : interpreterRunner(plan.module, plan.model.parameters, scalerStart(plan));
  try {
    await trainLoop(runner, {
      batches: planBatches(plan),
      steps: plan.totalSteps,
      accumulation: config.gradient_accumulation_steps,
      evaluation: evaluation && { ...evaluation, onEval: (result) => reporter.eval(result) },
      onStep: async (result, parameters) => {
        reporter.step(result);
        if (saveEvery !== undefined && result.step % saveEvery === 0 && result.step < plan.totalSteps) {
          save(join(out, `checkpoint-${result.step}`), await parameters());
          if (config.save_total_limit !== undefined) pruneCheckpoints(out, config.save_total_limit);
        }
      },
    });
    reporter.done();
    save(out, await runner.parameters());
  } finally {
    runner.close();
  }
  note(`saved the trained model to ${out} (metrics in ${join(out, "metrics.jsonl")})`);
}
