// buildForward: for each architecture the graph verifies, declares input_ids, position_ids and every parameter
// under its Hugging Face name and shape (named_parameters order), outputs logits [B,T,V], and carries the spec's
// switches into the ops: biases, q/k norms, per-layer windows, attention scale, rope attributes, tied lm_head.
import { describe, expect, it } from "vitest";
import { ARCHITECTURES, parseConfig } from "../../../compiler/import/hf/config.ts";
import { buildForward } from "../../../compiler/import/hf/forward.ts";
import { modelParameters } from "../../../compiler/import/hf/params.ts";
import type { Graph, Node } from "../../../ir/graph.ts";
import { verifyGraph } from "../../../ir/verify.ts";
import { expectTraincError, tinyConfig } from "./helpers.ts";

const opsOf = (graph: Graph, op: string): Node[] => graph.nodes.filter((n) => n.op === op);
const inputName = (graph: Graph, id: number) => graph.inputs.find((i) => i.id === id)?.name;

describe.each(ARCHITECTURES)("%s", (architecture) => {
  const spec = parseConfig(tinyConfig(architecture, { head_dim: 8, tie_word_embeddings: architecture === "Qwen2ForCausalLM" }));
  const graph = buildForward(spec, { dtype: "f32" });

  it("verifies and has the Hugging Face inputs and the logits output", () => {
    verifyGraph(graph);
    expect(graph.name).toBe("forward");
    const params = modelParameters(spec);
    expect(graph.inputs.map((i) => i.name)).toEqual(["input_ids", "position_ids", ...params.map((p) => p.name)]);
    expect(graph.types[graph.inputs[0]!.id]).toEqual({ dtype: "i64", shape: ["B", "T"] });
    for (const p of params) expect(graph.types[graph.inputs.find((i) => i.name === p.name)!.id]).toEqual({ dtype: "f32", shape: p.shape });
    expect(graph.outputs.map((o) => o.name)).toEqual(["logits"]);
    expect(graph.types[graph.outputs[0]!.id]).toEqual({ dtype: "f32", shape: ["B", "T", 40] });
  });

  it("has one rope_tables and segment_ids, and per layer two ropes and one causal attention", () => {
    expect(opsOf(graph, "rope_tables")).toHaveLength(1);
    expect(opsOf(graph, "rope_tables")[0]!.attrs).toEqual({ ...spec.rope, dtype: "f32" });
    expect(opsOf(graph, "segment_ids")).toHaveLength(1);
    expect(opsOf(graph, "rope")).toHaveLength(2 * spec.numLayers);
    const attention = opsOf(graph, "attention");
    expect(attention.map((n) => n.attrs["window"])).toEqual(spec.slidingWindows);
    for (const n of attention) expect(n.attrs).toMatchObject({ causal: true, scale: 8 ** -0.5 });
    expect(attention.every((n) => n.args.length === 4)).toBe(true);
  });

  it("adds exactly the biases and norms the architecture has", () => {
    const biasAdds = opsOf(graph, "add").filter((n) => inputName(graph, n.args[1]!)?.endsWith(".bias"));
    expect(biasAdds.length).toBe(modelParameters(spec).filter((p) => p.name.endsWith(".bias")).length);
    const normWeights = opsOf(graph, "mul").filter((n) => /norm\.weight$/.test(inputName(graph, n.args[0]!) ?? ""));
    expect(normWeights).toHaveLength(spec.numLayers * (spec.qkNorm ? 4 : 2) + 1);
  });

  it("projects logits with lm_head, or the embedding when tied", () => {
    const last = graph.nodes.at(-1)!;
    expect(last.op).toBe("matmul");
    expect(last.attrs["transpose_b"]).toBe(true);
    expect(inputName(graph, last.args[1]!)).toBe(spec.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  });
});

describe("dtypes", () => {
  const spec = parseConfig(tinyConfig("LlamaForCausalLM"));

  it("normalizes in f32 when the model is bf16 or f16, as transformers' RMSNorm does", () => {
    for (const dtype of ["bf16", "f16"] as const) {
      const graph = buildForward(spec, { dtype });
      verifyGraph(graph);
      const means = opsOf(graph, "reduce_mean");
      expect(means).toHaveLength(2 * spec.numLayers + 1);
      for (const n of means) expect(graph.types[n.results[0]!]!.dtype).toBe("f32");
      expect(opsOf(graph, "rope_tables")[0]!.attrs["dtype"]).toBe(dtype);
    }
  });

  it("has no casts in f64", () => {
    const graph = buildForward(spec, { dtype: "f64" });
    verifyGraph(graph);
    expect(opsOf(graph, "cast")).toHaveLength(0);
  });

  it("refuses a non-float dtype", () => {
    expect(expectTraincError(() => buildForward(spec, { dtype: "i32" }), 2240).message).toContain("i32");
  });
});
