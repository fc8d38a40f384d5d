// The training loop, the same for every target that runs the train-step module itself (cpu through the interpreter,
// wgsl through WebGPU, in Node and in a browser): each optimizer step zeroes the gradient accumulators, runs
// @micro_step on gradient_accumulation_steps micro-batches (summing loss, token counts and gradients in the
// accumulators), then @optimizer_step once (normalise by tokens, clip, AdamW at the scheduled lr). With evaluation,
// before the first step (as Axolotl sets eval_on_start), every `every` steps and after the last one, @eval_step runs on
// every held-out batch and the mean loss over their target tokens is reported. A StepRunner says
// how a target runs the two graphs and where it keeps the state (interpreter-runner.ts for cpu,
// backends/wgsl/runtime/trainer.ts for wgsl).
// This file imports types only: the wgsl bundle ships it to the browser as JavaScript.
// Invariants: the loop calls `onStep` after every optimizer step; parameters are read from the runner only when asked
// (a checkpoint), since a device keeps them in its own memory.

import type { Tensor } from "../../ir/tensor.ts";
import type { Batch, EpochBatch } from "../data/batches.ts";

/** What one optimizer step measured. */
export interface StepResult {
  /** 1-based number of the optimizer step just taken. */
  readonly step: number;
  readonly epoch: number;
  /** Mean loss over the step's target tokens. */
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  /** Target tokens (labels that count) and real input tokens in the step. */
  readonly targetTokens: number;
  readonly inputTokens: number;
}

/** How a target runs the train step's graphs (and @eval_step) and keeps its state (parameters, accumulators, AdamW moments). */
export interface StepRunner {
  /** Zeroes the gradient accumulators. */
  begin(): void;
  /** Runs @micro_step on one batch, adding to the accumulators. */
  micro(batch: Batch): Promise<{ readonly lossSum: number; readonly tokenCount: number }>;
  /** Runs @eval_step on one batch (no gradients); only for a module that has it. */
  evaluate(batch: Batch): Promise<{ readonly lossSum: number; readonly tokenCount: number }>;
  /** Runs @optimizer_step after `step` completed steps, normalising by `tokenCount` target tokens. */
  optimize(step: number, tokenCount: number): Promise<{ readonly lr: number; readonly gradNorm: number }>;
  /** The current parameters. */
  parameters(): Promise<Record<string, Tensor>>;
  /** Frees what the runner holds (a device). */
  close(): void;
}

export interface LoopOptions {
  readonly batches: Iterator<EpochBatch>;
  readonly steps: number;
  readonly accumulation: number;
  readonly onStep: (result: StepResult, parameters: () => Promise<Record<string, Tensor>>) => void | Promise<void>;
  readonly evaluation?: Evaluation;
}

/** When and on what the loop evaluates. */
export interface Evaluation {
  /** Steps between evaluations (the last step is always evaluated). */
  readonly every: number;
  readonly batches: readonly Batch[];
  readonly onEval: (result: EvalResult) => void;
}

/** What one evaluation measured. */
export interface EvalResult {
  /** The optimizer steps taken before it. */
  readonly step: number;
  /** Mean loss over the held-out target tokens. */
  readonly loss: number;
  readonly targetTokens: number;
}

/** Runs @eval_step over every batch; the mean loss over their target tokens. */
async function evaluate(runner: StepRunner, step: number, batches: readonly Batch[]): Promise<EvalResult> {
  let lossSum = 0;
  let targetTokens = 0;
  for (const batch of batches) {
    const out = await runner.evaluate(batch);
    lossSum += out.lossSum;
    targetTokens += out.tokenCount;
  }
  return { step, loss: lossSum / targetTokens, targetTokens };
}

/** Trains for `steps` optimizer steps. */
export async function trainLoop(runner: StepRunner, options: LoopOptions): Promise<void> {
  if (options.evaluation) options.evaluation.onEval(await evaluate(runner, 0, options.evaluation.batches));
  for (let step = 0; step < options.steps; step++) {
    runner.begin();
    let lossSum = 0;
    let targetTokens = 0;
    let inputTokens = 0;
    let epoch = 0;
    for (let k = 0; k < options.accumulation; k++) {
      const next = options.batches.next();
      if (next.done) throw new Error("the batch stream ended early");
      epoch = next.value.epoch;
      inputTokens += next.value.batch.tokens;
      const out = await runner.micro(next.value.batch);
      lossSum += out.lossSum;
      targetTokens += out.tokenCount;
    }
    const { lr, gradNorm } = await runner.optimize(step, targetTokens);
    await options.onStep({ step: step + 1, epoch, loss: lossSum / targetTokens, lr, gradNorm, targetTokens, inputTokens },
      () => runner.parameters());
    const due = options.evaluation && ((step + 1) % options.evaluation.every === 0 || step + 1 === options.steps);
    if (due) options.evaluation!.onEval(await evaluate(runner, step + 1, options.evaluation!.batches));
  }
}
