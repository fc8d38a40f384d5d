// Acceptance test on a real export: test/fixtures/onnx/tiny_llama.onnx (torch dynamo exporter, opset 18, symbolic
// batch and sequence dims; see test/fixtures/README.md). It imports, verifies, prints and parses back, maps CumSum,
// GatherND and the run-time sequence length to cumsum, gather and size (no matmul, embedding or f64 detours), and its
// logits match onnxruntime-node's and the reference logits stored by torch and python onnxruntime within 1e-5
// relative, on the stored input and on other batch/sequence sizes.

import { join } from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../../compiler/import/safetensors.ts";
import { loadOnnx } from "../../../compiler/import/onnx/import.ts";
import { interpret } from "../../../ir/interpret/index.ts";
import { parseGraph } from "../../../ir/parse.ts";
import { printGraph } from "../../../ir/print.ts";
import { fromArray } from "../../../ir/tensor.ts";
import { verifyGraph } from "../../../ir/verify.ts";
import { expectClose, randomValues, relativeError, runOrt } from "./check.ts";

const DIR = join(import.meta.dirname, "../../fixtures/onnx");
const MODEL = join(DIR, "tiny_llama.onnx");

describe("tiny Llama exported by torch.onnx (dynamo)", () => {
  const { graph, parameters } = loadOnnx(MODEL);

  it("imports into a verified graph with symbolic batch and sequence dims", () => {
    verifyGraph(graph);
    expect(parseGraph(printGraph(graph))).toEqual(graph);
    const input = graph.inputs[0]!;
    expect([input.name, graph.types[input.id]]).toEqual(["input_ids", { dtype: "i64", shape: ["s72", "s70"] }]);
    expect(graph.outputs.map((o) => [o.name, graph.types[o.id]!.shape])).toEqual([["logits", ["s72", "s70", 64]]]);
    expect(parameters["model.embed_tokens.weight"]!.shape).toEqual([64, 32]);
    for (const [name, tensor] of Object.entries(parameters)) {
      const decl = graph.inputs.find((i) => i.name === name)!;
      expect(graph.types[decl.id], name).toEqual({ dtype: tensor.dtype, shape: tensor.shape });
    }
    const ops = graph.nodes.map((n) => n.op);
    expect(ops.filter((op) => op === "softmax")).toHaveLength(2);
    expect(ops.filter((op) => op === "matmul")).toHaveLength(20);
    const count = (op: string) => ops.filter((o) => o === op).length;
    expect([count("cumsum"), count("gather"), count("embedding"), count("size")]).toEqual([1, 2, 1, 1]);
    expect(ops).not.toContain("reduce_sum");
    expect(graph.nodes.filter((n) => n.op === "cast").map((n) => n.attrs["dtype"])).not.toContain("f64");
  });

  it("matches the stored torch and onnxruntime logits on the stored input", async () => {
    const io = readSafetensors(join(DIR, "tiny_llama_io.safetensors"));
    const ours = interpret(graph, { input_ids: io["input_ids"]!, ...parameters })["logits"]!;
    expectClose("logits vs python onnxruntime", ours, io["logits_ort"]!);
    expect(relativeError(ours.data, io["logits_torch"]!.data)).toBeLessThanOrEqual(1e-5);
    const ort = await runOrt(readFileSync(MODEL), { input_ids: io["input_ids"]! });
    expectClose("logits vs onnxruntime-node", ours, ort["logits"]!);
  });

  for (const [batch, seq] of [[1, 11], [3, 5]] as const) {
    it(`matches onnxruntime-node on a [${batch}, ${seq}] input`, async () => {
      const ids = fromArray("i64", [batch, seq], randomValues(batch * seq, batch * 100 + seq, 0, 64).map(Math.floor));
      const ours = interpret(graph, { input_ids: ids, ...parameters })["logits"]!;
      const ort = await runOrt(readFileSync(MODEL), { input_ids: ids });
      expectClose("logits", ours, ort["logits"]!);
    });
  }
});
