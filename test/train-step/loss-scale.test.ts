// Dynamic loss scaling (ir/train-step/loss-scale.ts), through the interpreter on the tiny f64 model: micro_step's
// accumulated gradients are the unscaled ones times loss_scale (a power of two: exactly), which starts at 2^16 over the
// tokens a step holds; optimizer_step on scaled
// gradients gives the unscaled step; a non-finite gradient leaves parameters and moments as they were, halves the
// scale and counts the skipped step, which the schedule and AdamW's step then leave out; 2000 finite steps in a row
// double the scale.
import { describe, expect, it } from "vitest";
import { findGraph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray, zeros, type Tensor } from "../../ir/tensor.ts";
import { buildTrainStep, initialScaler, SCALER_STATE, type TrainStepOptions } from "../../ir/train-step.ts";
import { batch, PARAM_SHAPES, tinyForward, tinyParams } from "./tiny.ts";

const TRAINABLE = Object.keys(PARAM_SHAPES);
const OPTIONS: TrainStepOptions = {
  trainable: TRAINABLE,
  adamw: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
  schedule: { schedule: "linear", lr: 1e-2, warmupSteps: 2, totalSteps: 20 },
  maxGradNorm: 0.3,
};
const ROWS = [{ ids: [1, 3, 0, 4, 2], labels: [1, 3, 0, 4, 2], positions: [0, 1, 2, 0, 1] }];
const SCALE = 2 ** 16;

const plain = buildTrainStep(tinyForward(), OPTIONS);
const scaled = buildTrainStep(tinyForward(), { ...OPTIONS, lossScaling: true });
const params = tinyParams("loss scale");
const named = (prefix: string, f: (n: string) => Tensor) => Object.fromEntries(TRAINABLE.map((n) => [`${prefix}${n}`, f(n)]));
const zerosOf = (n: string) => zeros("f64", PARAM_SHAPES[n]!);
const scalar = (dtype: "f32" | "i64", value: number) => fromArray(dtype, [], [value]);
const scaler = (scale: number, good: number, skipped: number) => ({
  [SCALER_STATE.scale.name]: scalar("f32", scale), [SCALER_STATE.good.name]: scalar("i64", good),
  [SCALER_STATE.skipped.name]: scalar("i64", skipped),
});
const value = (t: Tensor) => toArray(t)[0]!;

function micro(module: typeof plain, extra: Record<string, Tensor> = {}) {
  return interpret(findGraph(module, "micro_step"), { ...batch(ROWS), ...params, ...named("acc.", zerosOf), ...extra });
}

function optimize(module: typeof plain, acc: (n: string) => Tensor, step: number, extra: Record<string, Tensor> = {}) {
  return interpret(findGraph(module, "optimizer_step"), {
    ...params, ...named("acc.", acc), ...named("m.", zerosOf), ...named("v.", zerosOf),
    step: scalar("i64", step), token_count: scalar("i64", 4), ...extra,
  });
}

describe("loss scaling", () => {
  it("starts at GradScaler's 2^16 over the tokens a step holds, as a power of two (trainc scales a sum, not a mean)", () => {
    expect(initialScaler(16 * 32)).toEqual({ [SCALER_STATE.scale.name]: 128, [SCALER_STATE.good.name]: 0, [SCALER_STATE.skipped.name]: 0 });
    expect(initialScaler(1000)[SCALER_STATE.scale.name]).toBe(64);
    expect(initialScaler(1)[SCALER_STATE.scale.name]).toBe(2 ** 16);
  });

  const unscaledAcc = micro(plain);
  const scaledAcc = micro(scaled, { [SCALER_STATE.scale.name]: scalar("f32", SCALE) });

  it("micro_step reads loss_scale and accumulates the gradients times it; the loss it reports is unscaled", () => {
    expect(findGraph(scaled, "micro_step").inputs.map((i) => i.name)).toContain(SCALER_STATE.scale.name);
    expect(value(scaledAcc["loss_sum"]!)).toBe(value(unscaledAcc["loss_sum"]!));
    for (const n of TRAINABLE) expect(toArray(scaledAcc[`acc.${n}`]!)).toEqual(toArray(unscaledAcc[`acc.${n}`]!).map((x) => x * SCALE));
  });

  it("optimizer_step on the scaled gradients takes the unscaled step and counts a good step", () => {
    const want = optimize(plain, (n) => unscaledAcc[`acc.${n}`]!, 5);
    const got = optimize(scaled, (n) => scaledAcc[`acc.${n}`]!, 5, scaler(SCALE, 7, 0));
    for (const n of [...TRAINABLE, ...TRAINABLE.map((t) => `m.${t}`), ...TRAINABLE.map((t) => `v.${t}`), "grad_norm", "lr"]) {
      const [a, b] = [toArray(got[n]!), toArray(want[n]!)];
      a.forEach((x, i) => expect(x, n).toBeCloseTo(b[i]!, 12));
    }
    expect([SCALER_STATE.scale, SCALER_STATE.good, SCALER_STATE.skipped].map((s) => value(got[s.name]!))).toEqual([SCALE, 8, 0]);
  });

  it("a non-finite gradient skips the step: parameters and moments unchanged, scale halved, the skip counted", () => {
    const broken = (n: string) => (n === TRAINABLE[0] ? fromArray("f64", PARAM_SHAPES[n]!, toArray(scaledAcc[`acc.${n}`]!)
      .map((x, i) => (i === 0 ? Infinity : x))) : scaledAcc[`acc.${n}`]!);
    const got = optimize(scaled, broken, 5, scaler(SCALE, 7, 1));
    expect(Number.isFinite(value(got["grad_norm"]!))).toBe(false);
    for (const n of TRAINABLE) {
      expect(toArray(got[n]!), n).toEqual(toArray(params[n]!));
      expect(toArray(got[`m.${n}`]!).every((x) => x === 0), n).toBe(true);
    }
    expect([SCALER_STATE.scale, SCALER_STATE.good, SCALER_STATE.skipped].map((s) => value(got[s.name]!))).toEqual([SCALE / 2, 0, 2]);
  });

  it("the schedule counts applied steps only, and 2000 good steps in a row double the scale", () => {
    const got = optimize(scaled, (n) => scaledAcc[`acc.${n}`]!, 5, scaler(SCALE, 1999, 2));
    expect(value(got["lr"]!)).toBe(value(optimize(plain, (n) => unscaledAcc[`acc.${n}`]!, 3)["lr"]!));
    expect([SCALER_STATE.scale, SCALER_STATE.good].map((s) => value(got[s.name]!))).toEqual([2 * SCALE, 0]);
  });
});
