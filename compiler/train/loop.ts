// The training loop, the same for every target that runs the train-step module itself (cpu through the interpreter,
// wgsl through WebGPU): each optimizer step zeroes the gradient accumulators, runs @micro_step on
// gradient_accumulation_steps micro-batches (summing loss, token counts and gradients in the accumulators), then
// @optimizer_step once (normalise by tokens, clip, AdamW at the scheduled lr). A StepRunner says how a target runs the
// two graphs and where it keeps the state; interpreterRunner is the cpu target's.
// Invariants: the loop calls `onStep` after every optimizer step; parameters are read from the runner only when asked
// (a checkpoint), since a device keeps them in its own memory; the interpreter runner never mutates a tensor.

import { findGraph, type Graph } from "../../ir/graph.ts";
import { zeros, type Tensor } from "../../ir/tensor.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { stateName } from "../../ir/train-step.ts";
import type { Batch, EpochBatch } from "../data/batches.ts";
import { batchTensors } from "../commands/inputs.ts";

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

/** How a target runs the train step's graphs and keeps its state (parameters, accumulators, AdamW moments). */
export interface StepRunner {
  /** Zeroes the gradient accumulators. */
  begin(): void;
  /** Runs @micro_step on one batch, adding to the accumulators. */
  micro(batch: Batch): Promise<{ readonly lossSum: number; readonly tokenCount: number }>;
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
}

/** Trains for `steps` optimizer steps. */
export async function trainLoop(runner: StepRunner, options: LoopOptions): Promise<void> {
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
  }
}

/** The cpu target's runner: both graphs through the reference interpreter, the state as tensors. */
export function interpreterRunner(module: { readonly graphs: readonly Graph[] }, initial: Readonly<Record<string, Tensor>>): StepRunner {
  const micro = findGraph(module, "micro_step");
  const optimizer = findGraph(module, "optimizer_step");
  const names = Object.keys(initial).filter((n) => optimizer.inputs.some((i) => i.name === n));
  let params: Record<string, Tensor> = { ...initial };
  let moments = zeroState(params, names, [stateName.m, stateName.v]);
  let acc: Record<string, Tensor> = {};
  return {
    begin: () => { acc = zeroState(params, names, [stateName.acc]); },
    micro: async (batch) => {
      const out = interpret(micro, { ...batchTensors(batch), ...params, ...acc });
      acc = pick(out, names.map(stateName.acc));
      return { lossSum: out["loss_sum"]!.data[0]!, tokenCount: out["token_count"]!.data[0]! };
    },
    optimize: async (step, tokenCount) => {
      const out = interpret(optimizer, { ...params, ...acc, ...moments, step: scalar(step), token_count: scalar(tokenCount) });
      params = { ...params, ...pick(out, names) };
      moments = pick(out, [...names.map(stateName.m), ...names.map(stateName.v)]);
      return { lr: out["lr"]!.data[0]!, gradNorm: out["grad_norm"]!.data[0]! };
    },
    parameters: async () => params,
    close: () => undefined,
  };
}

function zeroState(params: Record<string, Tensor>, names: readonly string[], kinds: readonly ((n: string) => string)[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const kind of kinds) for (const n of names) out[kind(n)] = zeros(params[n]!.dtype, params[n]!.shape);
  return out;
}

function pick(values: Record<string, Tensor>, names: readonly string[]): Record<string, Tensor> {
  return Object.fromEntries(names.map((n) => [n, values[n]!]));
}

function scalar(value: number): Tensor {
  return { dtype: "i64", shape: [], data: Float64Array.of(value) };
}
