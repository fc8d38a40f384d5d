// When a training run logs, evaluates and saves, from the config's intervals as the Hugging Face Trainer reads them
// (a value below 1 is a fraction of the run), and the evaluation a run does: its held-out batches and their interval.
// Shared by `trainc train` (every target) and the wgsl bundle's run files.
import type { Batch } from "../data/batches.ts";
import { batchesInEpoch } from "../data/stream.ts";
import { planEvalBatches, type Plan } from "../plan.ts";

/** A step interval as Hugging Face reads it: a value below 1 is a fraction of the run. */
function interval(value: number, total: number): number {
  return Math.max(1, value < 1 ? Math.ceil(value * total) : Math.round(value));
}

/** Steps between permanent progress lines: logging_steps, else about 30 lines per run. */
export function loggingInterval(plan: Plan): number {
  const steps = plan.config.logging_steps;
  return steps === undefined ? Math.max(1, Math.round(plan.totalSteps / 30)) : interval(steps, plan.totalSteps);
}

/**
 * Steps between evaluations: eval_steps, or evals_per_epoch; otherwise once per epoch (eval_strategy: epoch, and
 * Axolotl's documented default). The loop also evaluates after the last step.
 */
export function evalInterval(plan: Plan): number {
  const { eval_steps: steps, evals_per_epoch: perEpoch } = plan.config;
  if (steps !== undefined) return interval(steps, plan.totalSteps);
  return Math.max(1, Math.ceil(epochSteps(plan) / (perEpoch ?? 1)));
}

/** Optimizer steps in one epoch of the training rows. */
function epochSteps(plan: Plan): number {
  return batchesInEpoch(plan.dataset.rows, plan.layout) / plan.config.gradient_accumulation_steps;
}

/**
 * Steps between checkpoints: save_steps, or saves_per_epoch (save_strategy: epoch means one per epoch); none for
 * save_strategy: no or when nothing asks for checkpoints. The final model is always saved.
 */
export function saveInterval(plan: Plan): number | undefined {
  const { save_steps: steps, saves_per_epoch: perEpoch, save_strategy: strategy } = plan.config;
  if (strategy === "no") return undefined;
  if (steps !== undefined) return interval(steps, plan.totalSteps);
  const epochs = perEpoch ?? (strategy === "epoch" ? 1 : undefined);
  if (epochs === undefined) return undefined;
  return Math.max(1, Math.ceil(epochSteps(plan) / epochs));
}

/** What a run evaluates and how often: none without @eval_step (val_set_size 0 or eval_strategy: no). */
export function planEvaluation(plan: Plan): { readonly every: number; readonly batches: readonly Batch[] } | undefined {
  return plan.options.evaluation === true ? { every: evalInterval(plan), batches: planEvalBatches(plan) } : undefined;
}
