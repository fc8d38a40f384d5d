// The cpu target's StepRunner (compiler/train/loop.ts): the train step's graphs (and @eval_step) through the reference
// interpreter, the state (parameters, accumulators, AdamW moments, and with fp16 the loss scaler's) as tensors.
// Invariant: no tensor is mutated; each step's outputs replace the state.

import { findGraph, type Graph } from "../../ir/graph.ts";
import { zeros, type Tensor } from "../../ir/tensor.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { SCALER_STATE, stateName } from "../../ir/train-step.ts";
import { batchTensors } from "../commands/inputs.ts";
import type { StepRunner } from "./loop.ts";

/** The cpu target's runner: both graphs through the reference interpreter, the state as tensors. */
/** `scaler`: the fp16 loss scaler's state before the first step (ir/train-step initialScaler), where the step has one. */
export function interpreterRunner(module: { readonly graphs: readonly Graph[] }, initial: Readonly<Record<string, Tensor>>,
  scaler: Readonly<Record<string, number>> = {}): StepRunner {
  const micro = findGraph(module, "micro_step");
  const optimizer = findGraph(module, "optimizer_step");
  const names = Object.keys(initial).filter((n) => optimizer.inputs.some((i) => i.name === n));
  let params: Record<string, Tensor> = { ...initial };
  let moments = zeroState(params, names, [stateName.m, stateName.v]);
  let acc: Record<string, Tensor> = {};
  let scalerState = scalerTensors(scaler);
  const scale = () => pick(scalerState, micro.inputs.map((i) => i.name).filter((n) => n in scalerState));
  return {
    begin: () => { acc = zeroState(params, names, [stateName.acc]); },
    micro: async (batch) => {
      const out = interpret(micro, { ...batchTensors(batch), ...params, ...acc, ...scale() });
      acc = pick(out, names.map(stateName.acc));
      return { lossSum: out["loss_sum"]!.data[0]!, tokenCount: out["token_count"]!.data[0]! };
    },
    evaluate: async (batch) => {
      const out = interpret(findGraph(module, "eval_step"), { ...batchTensors(batch), ...params });
      return { lossSum: out["loss_sum"]!.data[0]!, tokenCount: out["token_count"]!.data[0]! };
    },
    optimize: async (step, tokenCount) => {
      const out = interpret(optimizer, {
        ...params, ...acc, ...moments, step: scalar(step), token_count: scalar(tokenCount), ...scalerState,
      });
      params = { ...params, ...pick(out, names) };
      scalerState = pick(out, Object.keys(scalerState));
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

/** The loss scaler's state `values` (by name; none without loss scaling) as the graphs' tensors. */
function scalerTensors(values: Readonly<Record<string, number>>): Record<string, Tensor> {
  const state = Object.values(SCALER_STATE).filter((s) => s.name in values);
  return Object.fromEntries(state.map((s) => [s.name, s.dtype === "f32"
    ? { dtype: "f32", shape: [], data: Float32Array.of(values[s.name]!) } : scalar(values[s.name]!)]));
}

function scalar(value: number): Tensor {
  return { dtype: "i64", shape: [], data: Float64Array.of(value) };
}
