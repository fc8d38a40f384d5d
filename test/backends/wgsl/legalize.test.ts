// The wgsl legalization on real train steps: no i64 value is left, input and output names and shapes are kept, and
// the interpreter gives exactly the same outputs before and after on the same inputs (i64 inputs passed as i32).
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { legalizeForWgsl } from "../../../backends/wgsl/legalize.ts";
import { GraphBuilder } from "../../../ir/builder.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { fromArray, toArray, type Tensor } from "../../../ir/tensor.ts";
import { verifyGraph } from "../../../ir/verify.ts";
import { HF_FIXTURES, specializedTrainStep, trainStepInputs } from "../../harness/train-step.ts";

describe("legalizeForWgsl", () => {
  test.each(["llama_packed", "qwen3_qk_norm"])("%s: no i64 left, the same outputs", (fixture) => {
    const { module } = specializedTrainStep(join(HF_FIXTURES, fixture), { dtype: "f32" });
    const legal = legalizeForWgsl(module);
    module.graphs.forEach((graph, g) => {
      const after = legal.graphs[g]!;
      verifyGraph(after);
      expect(Object.values(after.types).filter((t) => t.dtype === "i64")).toEqual([]);
      expect(after.inputs.map((i) => [i.name, after.types[i.id]!.shape])).toEqual(
        graph.inputs.map((i) => [i.name, graph.types[i.id]!.shape]));
      expect(after.outputs.map((o) => o.name)).toEqual(graph.outputs.map((o) => o.name));
      const inputs = trainStepInputs(graph, 9);
      const narrowed: Record<string, Tensor> = Object.fromEntries(Object.entries(inputs).map(([n, t]) =>
        [n, t.dtype === "i64" ? fromArray("i32", t.shape, toArray(t)) : t]));
      const want = interpret(graph, inputs);
      const got = interpret(after, narrowed);
      for (const o of graph.outputs) expect(toArray(got[o.name]!), o.name).toEqual(toArray(want[o.name]!));
    });
  });

  test("a graph without i64 is returned as it is", () => {
    const b = new GraphBuilder("f32_only");
    const x = b.input("x", "f32", [2, 3]);
    b.output("y", b.op("exp", [x]));
    const g = b.build();
    expect(legalizeForWgsl({ graphs: [g] }).graphs[0]).toBe(g);
  });
});
