// buildGradsGraph on a tiny hand-built forward graph: the loss is the mean next-token cross-entropy, the gradients
// of the trainable parameters match central differences of that loss, and bad interfaces give 4111-4113.
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../ir/builder.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray, type Tensor } from "../../ir/tensor.ts";
import { buildGradsGraph } from "../../ir/train-step.ts";
import { batch, referenceLoss, tinyForward, tinyParams } from "./tiny.ts";
import { codeOf } from "../harness/errors.ts";

const TRAINABLE = ["embed.weight", "norm.weight", "lm_head.weight", "lm_head.bias"];
const BATCH = batch([
  { ids: [1, 3, 0, 4, 2], labels: [1, 3, 0, 4, 2], positions: [0, 1, 2, 0, 1] },
  { ids: [2, 2, 1, 0, 3], labels: [2, 2, -100, 0, 3], positions: [0, 1, 2, 3, 4] },
]);

describe("buildGradsGraph", () => {
  const graph = buildGradsGraph(tinyForward(), TRAINABLE);
  const params = tinyParams("grads");
  const run = (p: Record<string, Tensor>) => interpret(graph, { ...BATCH, ...p });
  const out = run(params);

  it("has the interface `trainc grads` runs", () => {
    expect(graph.inputs.map((i) => i.name)).toEqual(["input_ids", "labels", "position_ids", ...TRAINABLE]);
    expect(graph.outputs.map((o) => o.name)).toEqual(["loss", "logits", ...TRAINABLE.map((n) => `grad.${n}`)]);
  });

  it("outputs the mean next-token loss", () => {
    const { sum, count } = referenceLoss(out["logits"]!, BATCH["labels"]!, BATCH["position_ids"]!);
    expect(out["loss"]!.shape).toEqual([]);
    expect(toArray(out["loss"]!)[0]).toBeCloseTo(sum / count, 12);
  });

  it.each(TRAINABLE)("grad.%s matches central differences of the loss", (name) => {
    const x = toArray(params[name]!);
    const numeric = x.map((xi, i) => {
      const h = 1e-6 * Math.max(1, Math.abs(xi));
      const lossAt = (v: number) => {
        const moved = [...x];
        moved[i] = v;
        return toArray(run({ ...params, [name]: fromArray("f64", params[name]!.shape, moved) })["loss"]!)[0]!;
      };
      return (lossAt(xi + h) - lossAt(xi - h)) / (2 * h);
    });
    const analytic = toArray(out[`grad.${name}`]!);
    const norm = (v: number[]) => Math.hypot(...v);
    expect(norm(numeric)).toBeGreaterThan(0);
    expect(norm(analytic.map((a, i) => a - numeric[i]!)) / norm(numeric)).toBeLessThanOrEqual(1e-6);
  });

  it("4111, 4112, 4113: a forward graph without the expected interface or an unknown trainable name", () => {
    const noPositions = new GraphBuilder("f");
    const ids = noPositions.input("input_ids", "i64", [1, 2]);
    noPositions.output("logits", noPositions.op("cast", [noPositions.op("reshape", [ids], { shape: [1, 2, 1] })], { dtype: "f32" }));
    expect(codeOf(() => buildGradsGraph(noPositions.build(), []))).toBe(4111);
    const noLogits = new GraphBuilder("f");
    noLogits.input("input_ids", "i64", [1, 2]);
    noLogits.output("scores", noLogits.input("position_ids", "i64", [1, 2]));
    expect(codeOf(() => buildGradsGraph(noLogits.build(), []))).toBe(4112);
    expect(codeOf(() => buildGradsGraph(tinyForward(), ["lm_head.weigth"]))).toBe(4113);
  });
});
