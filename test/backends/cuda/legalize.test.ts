// CUDA legalization on real train steps: a mixed-precision one (bf16 compute, f32 parameters) whose head dim the bf16
// tensor-core kernels do not take runs its attention in f32, each bf16 operand cast up once (so forward and backward
// kernels pair on the same buffers); a head dim of 12 (not a multiple of 8) is zero-padded to 16, in f32 and in bf16.
// Each legalized graph computes what it did (interpreter, random inputs) and its partition runs in order to the same
// outputs. Flex attention gets one block table, shared by every layer, and computes exactly what it did. Graphs
// needing nothing are returned as they are.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runPartition } from "../../../backends/cpu/run-schedule.ts";
import { legalizeForCuda } from "../../../backends/cuda/legalize.ts";
import { partition } from "../../../backends/schedule/partition.ts";
import { addSideBuffers } from "../../../backends/schedule/side-buffers.ts";
import type { DType } from "../../../ir/dtype.ts";
import type { Graph } from "../../../ir/graph.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import type { Tensor } from "../../../ir/tensor.ts";
import { verifyGraph } from "../../../ir/verify.ts";
import { relativeError } from "../../harness/numeric.ts";
import { randomInputs } from "../../harness/random.ts";
import { HF_FIXTURES, specializedTrainStep, TEST_OPTIMIZER, trainStepInputs } from "../../harness/train-step.ts";


function microStep(name: string, dtype: DType): Graph {
  return specializedTrainStep(join(HF_FIXTURES, name), { dtype, parameterDType: "f32" }).module.graphs[0]!;
}

function inputsFor(graph: Graph): Record<string, Tensor> {
  const inputs = randomInputs(graph, 5, {});
  const vocab = graph.types[graph.inputs.find((i) => i.name === "model.embed_tokens.weight")!.id]!.shape[0] as number;
  for (const key of ["input_ids", "labels"]) inputs[key] = { ...inputs[key]!, data: inputs[key]!.data.map((x, i) => (i * 7 + x) % vocab) };
  inputs["position_ids"] = { ...inputs["position_ids"]!, data: inputs["position_ids"]!.data.map((_, i) => i % 8) };
  return inputs;
}

const attentionDTypes = (g: Graph) =>
  g.nodes.filter((n) => n.op === "attention" || n.op === "attention_grad").map((n) => g.types[n.args[0]!]!.dtype);

describe("legalizeForCuda", () => {
  const before = microStep("llama_packed", "bf16");
  const after = legalizeForCuda({ graphs: [before] }).graphs[0]!;

  test("bf16 attention with head dim 16 becomes f32 attention; each operand is cast up once", () => {
    expect(new Set(attentionDTypes(before))).toEqual(new Set(["bf16"]));
    expect(new Set(attentionDTypes(after))).toEqual(new Set(["f32"]));
    verifyGraph(after);
    const castSources = after.nodes.filter((n) => n.op === "cast" && n.attrs["dtype"] === "f32").map((n) => n.args[0]);
    expect(new Set(castSources).size).toBe(castSources.length);
    expect(() => addSideBuffers(partition(after))).not.toThrow();
  });

  test("computes what the bf16 graph computes, and its kernels in order give the same", () => {
    const inputs = inputsFor(before);
    const want = interpret(before, inputs);
    const got = interpret(after, inputs);
    const scheduled = runPartition(partition(after), inputs);
    for (const o of before.outputs) {
      expect(relativeError(got[o.name]!, want[o.name]!), o.name).toBeLessThan(1e-2);
      expect(relativeError(scheduled[o.name]!, got[o.name]!), o.name).toBe(0);
    }
  });

  test.each(["f32", "bf16"] as const)("head dim 12 in %s is padded to 16 with zeros and sliced back", (dtype) => {
    const graph = microStep("llama_head_dim12", dtype);
    const legal = legalizeForCuda({ graphs: [graph] }).graphs[0]!;
    const heads = legal.nodes.filter((n) => n.op === "attention" || n.op === "attention_grad").map((n) => legal.types[n.args[0]!]!);
    expect(heads.map((t) => [t.dtype, t.shape[3]])).toEqual(heads.map(() => ["f32", 16]));
    expect(() => addSideBuffers(partition(legal))).not.toThrow();
    const inputs = inputsFor(graph);
    const want = interpret(graph, inputs);
    const got = interpret(legal, inputs);
    const scheduled = runPartition(partition(legal), inputs);
    for (const o of graph.outputs) {
      expect(relativeError(got[o.name]!, want[o.name]!), o.name).toBeLessThan(dtype === "f32" ? 1e-6 : 1e-2);
      expect(relativeError(scheduled[o.name]!, got[o.name]!), o.name).toBe(0);
    }
  });

  test("flex attention gets one block table, built once and read by every layer's forward and backward", () => {
    const { module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "f32", parameterDType: "f32" },
      { B: 1, T: 300 }, TEST_OPTIMIZER, { attention: "flex" });
    const graph = module.graphs[0]!;
    const legal = legalizeForCuda({ graphs: [graph] }).graphs[0]!;
    const tables = legal.nodes.filter((n) => n.op === "block_mask");
    expect(tables.map((n) => legal.types[n.results[0]!]!.shape)).toEqual([[1, 2, 3, 4]]);
    const attentions = legal.nodes.filter((n) => n.op === "attention" || n.op === "attention_grad");
    expect(attentions.length).toBeGreaterThanOrEqual(4);
    expect(attentions.every((n) => n.args.at(-1) === tables[0]!.results[0])).toBe(true);
    const inputs = trainStepInputs(graph, 9);
    const starts = [0, 100, 130, 260];
    inputs["position_ids"] = { ...inputs["position_ids"]!, data: inputs["position_ids"]!.data.map((_, t) =>
      t - starts.filter((s) => s <= t).at(-1)!) };
    const want = interpret(graph, inputs);
    const got = interpret(legal, inputs);
    for (const o of graph.outputs) expect(relativeError(got[o.name]!, want[o.name]!), o.name).toBe(0);
  });

  test("graphs whose attention the kernels take are returned unchanged", () => {
    const f32 = microStep("llama_packed", "f32");
    expect(legalizeForCuda({ graphs: [f32] }).graphs[0]).toBe(f32);
  });
});
