// Dynamic loss scaling for fp16 training, as PyTorch's GradScaler does it under the Hugging Face Trainer (init_scale
// 2^16, growth_factor 2, backoff_factor 0.5, growth_interval 2000). micro_step differentiates loss_sum * loss_scale, so
// the accumulated gradients are scaled and small ones survive f16. GradScaler multiplies the loss the Trainer
// differentiates, the mean over the step's target tokens, where trainc differentiates their sum: so trainc's scale
// starts at 2^16 over the most tokens a step holds (initialScaler), which puts its gradients within a factor 2 (times
// the step's fill) of the Trainer's and lets the scale move as GradScaler's does; optimizer_step unscales them (in
// AdamW's grad_scale and in the gradient norm). A step whose norm is not finite is skipped: parameters and moments keep their
// values, the skipped-step count grows by one (the schedule and AdamW's bias correction count applied steps only, as
// the Trainer steps neither optimizer nor scheduler then) and the scale halves; after growth_interval finite steps in
// a row the scale doubles.
// Invariants: the scaler's state is three scalars, inputs of optimizer_step and outputs under the same names (a
// runner carries them from step to step as it does the moments); micro_step reads loss_scale only.

import type { GraphBuilder, Value } from "../builder.ts";

/** Names and dtypes of the scaler's state. */
export const SCALER_STATE = {
  scale: { name: "loss_scale", dtype: "f32" },
  good: { name: "loss_scale.good_steps", dtype: "i64" },
  skipped: { name: "loss_scale.skipped_steps", dtype: "i64" },
} as const;

/** GradScaler's first scale, which multiplies a mean loss. */
const INIT_SCALE = 2 ** 16;

/**
 * The scaler's state before the first step, by name, for steps of at most `tokensPerStep` target tokens
 * (micro_batch_size x sequence_len x gradient_accumulation_steps): a scale of 2^16 / tokensPerStep rounded down to a
 * power of two (so scaling stays exact), no good steps, no skipped steps.
 */
export function initialScaler(tokensPerStep: number): Record<string, number> {
  return {
    [SCALER_STATE.scale.name]: INIT_SCALE / 2 ** Math.ceil(Math.log2(Math.max(1, tokensPerStep))),
    [SCALER_STATE.good.name]: 0, [SCALER_STATE.skipped.name]: 0,
  };
}

const GROWTH_FACTOR = 2;
const BACKOFF_FACTOR = 0.5;
const GROWTH_INTERVAL = 2000;

/** The scaler's state as inputs of the graph being built. */
export interface Scaler {
  readonly scale: Value;
  readonly good: Value;
  readonly skipped: Value;
}

/** Declares the scaler's state as inputs. */
export function scalerInputs(b: GraphBuilder): Scaler {
  const input = (s: { name: string; dtype: "f32" | "i64" }) => b.input(s.name, s.dtype, []);
  return { scale: input(SCALER_STATE.scale), good: input(SCALER_STATE.good), skipped: input(SCALER_STATE.skipped) };
}

/** Whether a scalar is finite (not inf, not NaN). */
export function finite(b: GraphBuilder, x: Value): Value {
  return b.op("lt", [b.op("abs", [x]), b.scalar(Infinity, x.type.dtype)]);
}

/** Completed steps that were applied: `step` (completed steps) less the skipped ones. */
export function appliedSteps(b: GraphBuilder, step: Value, scaler: Scaler): Value {
  return b.op("sub", [step, scaler.skipped]);
}

/** Outputs the scaler's next state after a step whose gradients were finite (`applied`: bool scalar) or not. */
export function outputScaler(b: GraphBuilder, scaler: Scaler, applied: Value): void {
  const one = b.scalar(1, "i64");
  const good = b.op("add", [scaler.good, one]);
  const grow = b.op("ge", [good, b.scalar(GROWTH_INTERVAL, "i64")]);
  const grown = b.op("where", [grow, b.op("mul", [scaler.scale, b.scalar(GROWTH_FACTOR, "f32")]), scaler.scale]);
  const backedOff = b.op("mul", [scaler.scale, b.scalar(BACKOFF_FACTOR, "f32")]);
  b.output(SCALER_STATE.scale.name, b.op("where", [applied, grown, backedOff]));
  b.output(SCALER_STATE.good.name, b.op("where", [applied, b.op("where", [grow, b.scalar(0, "i64"), good]), b.scalar(0, "i64")]));
  b.output(SCALER_STATE.skipped.name, b.op("where", [applied, scaler.skipped, b.op("add", [scaler.skipped, one])]));
}
