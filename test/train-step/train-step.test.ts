// The train-step module: gradient accumulation over two micro-batches equals one step on the concatenated batch
// (loss normalised by the total token count), micro_step agrees with the grads graph, optimizer_step matches a
// hand-written AdamW + clip_grad_norm_ reference, the weight-decay rule, and errors 4114-4115.
import { describe, expect, it } from "vitest";
import type { Graph } from "../../ir/graph.ts";
import { findGraph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray, zeros, type Tensor } from "../../ir/tensor.ts";
import { buildGradsGraph, buildTrainStep, decaysWeight, type TrainStepOptions } from "../../ir/train-step.ts";
import { buildOptimizerStep, type OptimizerOptions } from "../../ir/train-step/optimizer.ts";
import { parseModule } from "../../ir/parse.ts";
import { printModule } from "../../ir/print.ts";
import { verifyModule } from "../../ir/verify.ts";
import { makeRandom } from "../../compiler/random.ts";
import { batch, PARAM_SHAPES, tinyForward, tinyParams } from "./tiny.ts";
import { relativeError } from "../harness/numeric.ts";
import { codeOf } from "../harness/errors.ts";

const TRAINABLE = Object.keys(PARAM_SHAPES);
const OPTIONS: TrainStepOptions = {
  trainable: TRAINABLE,
  adamw: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
  schedule: { schedule: "cosine", lr: 1e-2, warmupSteps: 2, totalSteps: 20 },
  maxGradNorm: 0.3,
};
const ROW_A = { ids: [1, 3, 0, 4, 2], labels: [1, 3, 0, 4, 2], positions: [0, 1, 2, 0, 1] };
const ROW_B = { ids: [2, 2, 1, 0, 3], labels: [2, 2, -100, -100, 3], positions: [0, 1, 2, 3, 4] };

function prefixed(prefix: string, tensors: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [`${prefix}${name}`, t]));
}

function zeroState(): Record<string, Tensor> {
  return Object.fromEntries(TRAINABLE.map((name) => [name, zeros("f64", PARAM_SHAPES[name]!)]));
}

describe("buildTrainStep", () => {
  const module = buildTrainStep(tinyForward(), OPTIONS);
  const micro = findGraph(module, "micro_step");
  const optimizer = findGraph(module, "optimizer_step");
  const params = tinyParams("train step");
  const microStep = (rows: (typeof ROW_A)[], acc: Record<string, Tensor>) =>
    interpret(micro, { ...batch(rows), ...params, ...prefixed("acc.", acc) });
  const accOf = (out: Record<string, Tensor>) => Object.fromEntries(TRAINABLE.map((n) => [n, out[`acc.${n}`]!]));
  const count = (...outs: Record<string, Tensor>[]) => outs.reduce((s, o) => s + toArray(o["token_count"]!)[0]!, 0);
  const optimizerStep = (acc: Record<string, Tensor>, tokenCount: number) => interpret(optimizer, {
    ...params, ...prefixed("acc.", acc), ...prefixed("m.", zeroState()), ...prefixed("v.", zeroState()),
    step: fromArray("i64", [], [5]), token_count: fromArray("i64", [], [tokenCount]),
  });

  it("accumulating two micro-batches equals one step on the concatenated batch", () => {
    const first = microStep([ROW_A], zeroState());
    const second = microStep([ROW_B], accOf(first));
    const whole = microStep([ROW_A, ROW_B], zeroState());
    expect(count(first, second)).toBe(count(whole));
    expect(count(first)).not.toBe(count(second));
    expect(toArray(first["loss_sum"]!)[0]! + toArray(second["loss_sum"]!)[0]!).toBeCloseTo(toArray(whole["loss_sum"]!)[0]!, 12);
    const stepped = optimizerStep(accOf(second), count(first, second));
    const reference = optimizerStep(accOf(whole), count(whole));
    for (const name of [...TRAINABLE, ...TRAINABLE.map((n) => `m.${n}`), ...TRAINABLE.map((n) => `v.${n}`), "grad_norm"]) {
      expect(relativeError(stepped[name]!, reference[name]!), name).toBeLessThanOrEqual(1e-12);
    }
    expect(relativeError(stepped["lm_head.weight"]!, params["lm_head.weight"]!)).toBeGreaterThan(0);
  });

  it("micro_step's accumulated gradient over the token count is the grads graph's gradient", () => {
    const whole = microStep([ROW_A, ROW_B], zeroState());
    const grads = interpret(buildGradsGraph(tinyForward(), TRAINABLE), { ...batch([ROW_A, ROW_B]), ...params });
    for (const name of TRAINABLE) {
      const mean = fromArray("f64", PARAM_SHAPES[name]!, toArray(whole[`acc.${name}`]!).map((g) => g / count(whole)));
      expect(relativeError(mean, grads[`grad.${name}`]!), name).toBeLessThanOrEqual(1e-12);
    }
  });

  it("is a valid module whose text form round-trips", () => {
    verifyModule(module);
    expect(parseModule(printModule(module))).toEqual(module);
    expect(micro.inputs.map((i) => i.name)).toEqual([
      "input_ids", "labels", "position_ids", ...TRAINABLE, ...TRAINABLE.map((n) => `acc.${n}`),
    ]);
    expect(micro.outputs.map((o) => o.name)).toEqual(["loss_sum", "token_count", ...TRAINABLE.map((n) => `acc.${n}`)]);
    expect(optimizer.outputs.map((o) => o.name)).toEqual([
      ...TRAINABLE, ...TRAINABLE.map((n) => `m.${n}`), ...TRAINABLE.map((n) => `v.${n}`), "grad_norm", "lr",
    ]);
  });

  it("4114, 4115: no trainable parameters, negative max_grad_norm", () => {
    expect(codeOf(() => buildTrainStep(tinyForward(), { ...OPTIONS, trainable: [] }))).toBe(4114);
    expect(codeOf(() => buildTrainStep(tinyForward(), { ...OPTIONS, maxGradNorm: -1 }))).toBe(4115);
  });
});

/** torch.optim.AdamW (decoupled decay first) on one element; returns [param, m, v]. */
function adamwReference(p: number, g: number, m: number, v: number, lr: number, step: number, wd: number) {
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  const decayed = p * (1 - lr * wd);
  const m1 = beta1 * m + (1 - beta1) * g;
  const v1 = beta2 * v + (1 - beta2) * g * g;
  const mHat = m1 / (1 - beta1 ** step);
  const vHat = v1 / (1 - beta2 ** step);
  return [decayed - (lr * mHat) / (Math.sqrt(vHat) + eps), m1, v1] as const;
}

describe("optimizer_step", () => {
  const shapes: Record<string, number[]> = { "layer.weight": [2, 2], "layer.bias": [2], "final_norm.weight": [2] };
  const random = makeRandom("optimizer");
  const draw = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * random());
  const names = Object.keys(shapes);
  const state = Object.fromEntries(names.map((name) => {
    const n = shapes[name]!.reduce((a, d) => a * d, 1);
    return [name, { p: draw(n, -1, 1), acc: draw(n, -3, 3), m: draw(n, -0.1, 0.1), v: draw(n, 0, 0.01) }];
  }));
  const tokenCount = 4;
  const step = 3;
  // Linear schedule, peak 1e-3, 2 warmup steps, 10 in all: after 3 completed steps lr = 1e-3 * (10 - 3) / (10 - 2).
  const lr = (1e-3 * 7) / 8;
  const options = (maxGradNorm?: number): OptimizerOptions => ({
    adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 },
    schedule: { schedule: "linear", lr: 1e-3, warmupSteps: 2, totalSteps: 10 }, maxGradNorm,
  });
  const run = (graph: Graph) => interpret(graph, {
    ...Object.fromEntries(names.flatMap((name) => {
      const s = state[name]!;
      const t = (v: number[]) => fromArray("f64", shapes[name]!, v);
      return [[name, t(s.p)], [`acc.${name}`, t(s.acc)], [`m.${name}`, t(s.m)], [`v.${name}`, t(s.v)]];
    })),
    step: fromArray("i64", [], [step]), token_count: fromArray("i64", [], [tokenCount]),
  });
  const norm = Math.sqrt(names.reduce((s, n) => s + state[n]!.acc.reduce((t, a) => t + (a / tokenCount) ** 2, 0), 0));
  const graphOf = (maxGradNorm?: number) =>
    buildOptimizerStep(names.map((name) => ({ name, type: { dtype: "f64", shape: shapes[name]! } })), options(maxGradNorm));

  it.each([
    ["clipping", 0.5],
    ["a max norm above the norm", 100],
    ["no clipping", undefined],
  ] as const)("matches the AdamW + clip_grad_norm_ reference with %s", (_what, maxGradNorm) => {
    const out = run(graphOf(maxGradNorm));
    const coef = maxGradNorm ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
    if (maxGradNorm === 0.5) expect(coef).toBeLessThan(1);
    expect(toArray(out["grad_norm"]!)[0]).toBeCloseTo(norm, 12);
    expect(toArray(out["lr"]!)[0]).toBe(lr);
    for (const name of names) {
      const s = state[name]!;
      const wd = name === "layer.weight" ? 0.1 : 0;
      const expected = s.p.map((p, i) => adamwReference(p, (s.acc[i]! / tokenCount) * coef, s.m[i]!, s.v[i]!, lr, step + 1, wd));
      const got = [toArray(out[name]!), toArray(out[`m.${name}`]!), toArray(out[`v.${name}`]!)];
      expected.forEach((e, i) => {
        expect(got[1]![i]).toBeCloseTo(e[1], 14);
        expect(got[2]![i]).toBeCloseTo(e[2], 14);
        expect(Math.abs(got[0]![i]! - e[0]) / Math.abs(e[0] - s.p[i]!)).toBeLessThan(1e-10);
      });
    }
  });

  it("decays weights but not biases or normalization weights", () => {
    expect(decaysWeight("model.layers.0.mlp.up_proj.weight")).toBe(true);
    expect(decaysWeight("model.embed_tokens.weight")).toBe(true);
    expect(decaysWeight("model.layers.0.self_attn.q_proj.bias")).toBe(false);
    expect(decaysWeight("model.layers.0.input_layernorm.weight")).toBe(false);
    expect(decaysWeight("model.layers.0.self_attn.q_norm.weight")).toBe(false);
    expect(decaysWeight("model.norm.weight")).toBe(false);
    expect(decaysWeight("transformer.ln_f.LayerNorm.weight")).toBe(false);
  });
});
