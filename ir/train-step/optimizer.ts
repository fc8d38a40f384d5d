// The optimizer_step graph of a train-step module: normalise the accumulated gradients by the number of target
// tokens, clip them by global norm, and apply AdamW at the scheduled learning rate, as the Hugging Face Trainer does.
// Normalization and clipping are one scalar, AdamW's grad_scale, so no normalized copy of a gradient is ever made:
// the norm is sqrt(sum of acc^2) / token_count.
// With loss scaling (fp16), the accumulated gradients are scaled; they are unscaled inside the norm and grad_scale, and
// a step with a non-finite norm leaves parameters and moments as they were (AdamW's `skip` operand; loss-scale.ts).
// Invariants: inputs are, in order, the trainable parameters, acc.<name>, m.<name>, v.<name>, step (i64 [], completed
// steps) and token_count (i64 [], over all accumulated micro-batches), then with loss scaling the scaler's state;
// outputs are the new parameters (same names), m.<name>, v.<name>, grad_norm (before clipping) and lr, then with loss
// scaling the scaler's next state (same names). Weight decay is decided by `decaysWeight` alone.

import { GraphBuilder, type Value } from "../builder.ts";
import type { DType } from "../dtype.ts";
import type { Graph, TensorType } from "../graph.ts";
import type { LrScheduleParams } from "../lr-schedule.ts";
import { appliedSteps, finite, outputScaler, scalerInputs } from "./loss-scale.ts";

/** AdamW hyperparameters (PyTorch names: betas, eps, weight_decay). */
export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** What optimizer_step needs besides the parameters. */
export interface OptimizerOptions {
  readonly adamw: AdamWOptions;
  readonly schedule: LrScheduleParams;
  /** clip_grad_norm_'s max_norm; 0 or undefined disables clipping. */
  readonly maxGradNorm?: number;
  /** Dynamic loss scaling (fp16 training; loss-scale.ts). */
  readonly lossScaling?: boolean;
}

/** A trainable parameter: its name and type. */
export interface Param {
  readonly name: string;
  readonly type: TensorType;
}

/** Hugging Face Trainer's rule: no weight decay on biases and normalization weights (name contains bias / norm). */
export function decaysWeight(name: string): boolean {
  const lower = name.toLowerCase();
  return !lower.includes("bias") && !lower.includes("norm");
}

/** Input and output names of the optimizer state of parameter `name`. */
export const stateName = {
  acc: (name: string) => `acc.${name}`,
  m: (name: string) => `m.${name}`,
  v: (name: string) => `v.${name}`,
};

/** The dtype the global gradient norm is computed in: f64 when every parameter is f64, else f32. */
function normDType(params: readonly Param[]): DType {
  return params.every((p) => p.type.dtype === "f64") ? "f64" : "f32";
}

/** sqrt(sum of squares of every element of every gradient, each times `factor` when given), in `dtype`. */
function sumSquaresRoot(b: GraphBuilder, grads: readonly Value[], dtype: DType, factor?: Value): Value {
  const squares = grads.map((g) => {
    const wide = factor ? b.op("mul", [b.castTo(g, dtype), factor]) : b.castTo(g, dtype);
    return b.op("reduce_sum", [b.op("mul", [wide, wide])], { axes: wide.type.shape.map((_, i) => i) });
  });
  return b.op("sqrt", [squares.reduce((sum, s) => b.op("add", [sum, s]))]);
}

/** torch.nn.utils.clip_grad_norm_'s factor: min(1, max_norm / (norm + 1e-6)). */
function clipCoefficient(b: GraphBuilder, norm: Value, maxNorm: number): Value {
  const dtype = norm.type.dtype;
  const ratio = b.op("div", [b.scalar(maxNorm, dtype), b.op("add", [norm, b.scalar(1e-6, dtype)])]);
  return b.op("minimum", [ratio, b.scalar(1, dtype)]);
}

/** Builds optimizer_step for the given trainable parameters (see the header for its inputs and outputs). */
export function buildOptimizerStep(params: readonly Param[], options: OptimizerOptions): Graph {
  const b = new GraphBuilder("optimizer_step");
  const input = (name: string, type: TensorType) => b.input(name, type.dtype, type.shape);
  const weights = params.map((p) => input(p.name, p.type));
  const accs = params.map((p) => input(stateName.acc(p.name), p.type));
  const ms = params.map((p) => input(stateName.m(p.name), p.type));
  const vs = params.map((p) => input(stateName.v(p.name), p.type));
  const step = b.input("step", "i64", []);
  const tokenCount = b.input("token_count", "i64", []);
  const scaler = options.lossScaling ? scalerInputs(b) : undefined;
  const count = b.castTo(tokenCount, normDType(params));
  const unscale = scaler && b.castTo(b.op("reciprocal", [scaler.scale]), normDType(params));
  const gradNorm = b.op("div", [sumSquaresRoot(b, accs, normDType(params), unscale), count]);
  const maxNorm = options.maxGradNorm ?? 0;
  const perToken = b.op("div", [maxNorm > 0 ? clipCoefficient(b, gradNorm, maxNorm) : b.scalar(1, count.type.dtype), count]);
  const gradScale = unscale ? b.op("mul", [perToken, unscale]) : perToken;
  const applied = scaler ? appliedSteps(b, step, scaler) : step;
  const { schedule, lr, warmupSteps, totalSteps } = options.schedule;
  const rate = b.op("lr_schedule", [applied], {
    schedule, lr, warmup_steps: warmupSteps, total_steps: totalSteps, dtype: normDType(params),
  });
  const nextStep = b.op("add", [applied, b.scalar(1, "i64")]);
  const { beta1, beta2, eps, weightDecay } = options.adamw;
  const applies = scaler && finite(b, gradNorm);
  const skip = applies ? [b.op("not", [applies])] : [];
  const updated = params.map((p, i) => {
    const attrs = { beta1, beta2, eps, weight_decay: decaysWeight(p.name) ? weightDecay : 0 };
    return b.ops("adamw", [weights[i]!, accs[i]!, ms[i]!, vs[i]!, rate, nextStep, gradScale, ...skip], attrs);
  });
  params.forEach((p, i) => b.output(p.name, updated[i]![0]!));
  params.forEach((p, i) => b.output(stateName.m(p.name), updated[i]![1]!));
  params.forEach((p, i) => b.output(stateName.v(p.name), updated[i]![2]!));
  b.output("grad_norm", gradNorm);
  b.output("lr", rate);
  if (scaler) outputScaler(b, scaler, applies!);
  return b.build();
}
