// In-place results on a real train step: cross_entropy_grad writes the logits' gradient over the logits (their last
// reader), the memory plan gives both one placement, and the kernels still run in order to the graph's outputs.
// Where the logits are still read afterwards (the grads graph returns them), nothing is shared.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runPartition } from "../../../backends/cpu/run-schedule.ts";
import { shareInPlace } from "../../../backends/schedule/in-place.ts";
import { planMemory } from "../../../backends/schedule/memory.ts";
import { partition, type Partition } from "../../../backends/schedule/partition.ts";
import { specializeModule } from "../../../backends/schedule/specialize.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { toArray } from "../../../ir/tensor.ts";
import { buildGradsGraph } from "../../../ir/train-step.ts";
import { randomInputs } from "../../harness/random.ts";
import { HF_FIXTURES, specializedTrainStep } from "../../harness/train-step.ts";

const sizes = { B: 2, T: 8 };
const { model, module } = specializedTrainStep(join(HF_FIXTURES, "llama_tied"), { dtype: "f32" }, sizes);
const micro = module.graphs[0]!;

/** The buffer names of the cross_entropy_grad kernel's logits input and gradient output. */
function crossEntropyGrad(p: Partition): { logits: string; grad: string } {
  const k = p.kernels.find((x) => x.kind === "cross_entropy_grad")!;
  const node = k.graph.nodes.find((n) => n.op === "cross_entropy_grad")!;
  return { logits: k.graph.inputs.find((i) => i.id === node.args[0])!.name, grad: k.graph.outputs[0]!.name };
}

describe("shareInPlace", () => {
  test("the logits' gradient takes the logits' storage; the kernels still compute the step", () => {
    const p = shareInPlace(partition(micro));
    const { logits, grad } = crossEntropyGrad(p);
    const root = p.buffers.get(logits)!.root;
    expect(p.buffers.get(grad)!.root).toBe(root);
    const placement = planMemory([p]).graphs[0]!.placement;
    expect(placement.get(grad)).toEqual(placement.get(logits));
    const inputs = randomInputs(micro, 3);
    const vocab = model.parameters["model.embed_tokens.weight"]!.shape[0]!;
    for (const key of ["input_ids", "labels"]) inputs[key] = { ...inputs[key]!, data: inputs[key]!.data.map((x, i) => (i * 5 + x) % vocab) };
    inputs["position_ids"] = { ...inputs["position_ids"]!, data: inputs["position_ids"]!.data.map((_, i) => i % sizes.T) };
    const want = interpret(micro, inputs);
    const got = runPartition(p, inputs);
    for (const o of micro.outputs) expect(toArray(got[o.name]!), o.name).toEqual(toArray(want[o.name]!));
  });

  test("logits that are read later (a graph output) are not overwritten", () => {
    const grads = specializeModule({ graphs: [buildGradsGraph(model.forward, Object.keys(model.parameters))] }, sizes).graphs[0]!;
    const p = shareInPlace(partition(grads));
    const { logits, grad } = crossEntropyGrad(p);
    expect(p.buffers.get(grad)!.root).not.toBe(p.buffers.get(logits)!.root);
  });
});
