// The partition of real train steps: kernels run in order through the interpreter give exactly the source graph's
// outputs, every kernel verifies, and the fusion rules hold (RMSNorm's square fuses into its reduction, elementwise
// chains share kernels, anchors stand alone).
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runPartition } from "../../../backends/cpu/run-schedule.ts";
import { partition } from "../../../backends/schedule/partition.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { toArray } from "../../../ir/tensor.ts";
import { verifyGraph } from "../../../ir/verify.ts";
import { HF_FIXTURES, specializedTrainStep, trainStepInputs } from "../../harness/train-step.ts";


function trainStep(name: string) {
  return specializedTrainStep(join(HF_FIXTURES, name), { dtype: "f32" }).module;
}

describe("partition", () => {
  for (const name of ["llama_packed", "qwen3_qk_norm", "mistral_sliding_window"]) {
    test(`${name}: kernels in order reproduce the train step`, () => {
      for (const graph of trainStep(name).graphs) {
        const p = partition(graph);
        for (const k of p.kernels) verifyGraph(k.graph);
        const inputs = trainStepInputs(graph, 3);
        const want = interpret(graph, inputs);
        const got = runPartition(p, inputs);
        for (const o of graph.outputs) expect(toArray(got[o.name]!), o.name).toEqual(toArray(want[o.name]!));
      }
    });
  }

  test("fusion: RMSNorm's square is its reduction's prologue; anchors stand alone", () => {
    const micro = partition(trainStep("llama_packed").graphs[0]!);
    const kinds = micro.kernels.map((k) => k.kind);
    const reduceMeans = micro.kernels.filter((k) => k.graph.nodes.some((n) => n.op === "reduce_mean"));
    expect(reduceMeans.length).toBeGreaterThan(0);
    for (const k of reduceMeans) expect(k.graph.nodes.map((n) => n.op)).toEqual(["mul", "reduce_mean"]);
    for (const k of micro.kernels.filter((k) => !["fused", "reduce"].includes(k.kind))) {
      expect(k.graph.nodes.filter((n) => n.op !== "reshape").length, k.kind).toBe(1);
    }
    expect(kinds.filter((k) => k === "matmul").length).toBeGreaterThan(10);
    expect(micro.kernels.length).toBeLessThan(micro.source.nodes.length * 0.55);
  });
});
