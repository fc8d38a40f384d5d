// splitByBuffers on a real optimizer step: its gradient-norm kernel reads one partial sum per parameter (more buffers
// than WebGPU binds), and after the split every fused kernel binds at most the limit while the kernels, run in order
// through the interpreter, still give exactly the step's outputs. A limit below what one node needs is E5703.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runPartition } from "../../../backends/cpu/run-schedule.ts";
import { kernelParams } from "../../../backends/kernel.ts";
import { partition } from "../../../backends/schedule/partition.ts";
import { splitByBuffers } from "../../../backends/schedule/split.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { toArray } from "../../../ir/tensor.ts";
import { verifyGraph } from "../../../ir/verify.ts";
import { HF_FIXTURES, specializedTrainStep, trainStepInputs } from "../../harness/train-step.ts";

function optimizerStep() {
  const { module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "f32" });
  return module.graphs.find((g) => g.name === "optimizer_step")!;
}

const fusedParams = (p: ReturnType<typeof partition>) =>
  p.kernels.filter((k) => k.kind === "fused").map((k) => kernelParams(k.graph).length);

describe("splitByBuffers", () => {
  test.each([8, 16])("at most %i buffers per fused kernel; the kernels in order still give the step's outputs", (max) => {
    const graph = optimizerStep();
    const whole = partition(graph);
    expect(Math.max(...fusedParams(whole))).toBeGreaterThan(16);
    const split = splitByBuffers(whole, max);
    expect(Math.max(...fusedParams(split))).toBeLessThanOrEqual(max);
    expect(split.kernels.length).toBeGreaterThan(whole.kernels.length);
    for (const k of split.kernels) verifyGraph(k.graph);
    const inputs = trainStepInputs(graph, 5);
    const want = interpret(graph, inputs);
    const got = runPartition(split, inputs);
    for (const o of graph.outputs) expect(toArray(got[o.name]!), o.name).toEqual(toArray(want[o.name]!));
  });

  test("kernels within the limit are kept as they are", () => {
    const whole = partition(optimizerStep());
    expect(splitByBuffers(whole, 64).kernels).toEqual(whole.kernels);
  });

  test("a node that alone needs more buffers than the limit is E5703", () => {
    expect(() => splitByBuffers(partition(optimizerStep()), 2)).toThrow(expect.objectContaining({ code: 5703 }));
  });
});
