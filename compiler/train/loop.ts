// The training loop on the cpu target: runs the train-step module through the interpreter. Each optimizer step runs
// @micro_step on gradient_accumulation_steps micro-batches (summing loss, token counts and gradients in the
// accumulators), then @optimizer_step once (normalise by tokens, clip, AdamW at the scheduled lr).
// Invariants: tensors are never mutated (each step's outputs replace the state); the loop calls `onStep` after every
// optimizer step and `onCheckpoint` at save_steps, with the current parameters.

import { findGraph, type Graph } from "../../ir/graph.ts";
import { zeros, type Tensor } from "../../ir/tensor.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { stateName } from "../../ir/train-step.ts";
import type { EpochBatch } from "../data/batches.ts";
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

export interface LoopOptions {
  readonly module: { readonly graphs: readonly Graph[] };
  readonly parameters: Readonly<Record<string, Tensor>>;
  readonly batches: Iterator<EpochBatch>;
  readonly steps: number;
  readonly accumulation: number;
  readonly onStep: (result: StepResult, parameters: Readonly<Record<string, Tensor>>) => void;
}

/** Trains for `steps` optimizer steps; returns the final parameters. */
export function trainLoop(options: LoopOptions): Record<string, Tensor> {
  const micro = findGraph(options.module, "micro_step");
  const optimizer = findGraph(options.module, "optimizer_step");
  const names = Object.keys(options.parameters).filter((n) => optimizer.inputs.some((i) => i.name === n));
  let params: Record<string, Tensor> = { ...options.parameters };
  let moments = zeroState(params, names, [stateName.m, stateName.v]);
  for (let step = 0; step < options.steps; step++) {
    let acc = zeroState(params, names, [stateName.acc]);
    let lossSum = 0;
    let targetTokens = 0;
    let inputTokens = 0;
    let epoch = 0;
    for (let k = 0; k < options.accumulation; k++) {
      const next = options.batches.next();
      if (next.done) throw new Error("the batch stream ended early");
      epoch = next.value.epoch;
      inputTokens += next.value.batch.tokens;
      const out = interpret(micro, { ...batchTensors(next.value.batch), ...params, ...acc });
      lossSum += out["loss_sum"]!.data[0]!;
      targetTokens += out["token_count"]!.data[0]!;
      acc = pick(out, names.map(stateName.acc));
    }
    const out = interpret(optimizer, {
      ...params, ...acc, ...moments,
      step: scalar(step), token_count: scalar(targetTokens),
    });
    params = { ...params, ...pick(out, names) };
    moments = pick(out, [...names.map(stateName.m), ...names.map(stateName.v)]);
    options.onStep({
      step: step + 1, epoch, loss: lossSum / targetTokens, lr: out["lr"]!.data[0]!, gradNorm: out["grad_norm"]!.data[0]!,
      targetTokens, inputTokens,
    }, params);
  }
  return params;
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
