// The verifier rejects each broken invariant with a message naming the graph, node and problem.
import { describe, expect, test } from "vitest";
import { TraincError } from "../../compiler/diagnostics.ts";
import type { Graph } from "../../ir/graph.ts";
import { parseGraph } from "../../ir/parse.ts";
import { verifyGraph } from "../../ir/verify.ts";

const good = parseGraph(`
func @g(%x: f32[B,4], %w: f32[4,4]) {
  %0 = matmul %x, %w : f32[B,4]
  %1 = constant {dtype = f32, shape = [B, 4], value = 1} : f32[B,4]
  %2 = add %0, %1 : f32[B,4]
  return y = %2
}`);

function verifyError(graph: Graph): string {
  try {
    verifyGraph(graph);
  } catch (e) {
    if (e instanceof TraincError && e.code === 3002) return e.message;
    throw e;
  }
  throw new Error("expected a verification error");
}

describe("verifier", () => {
  test("accepts a well-formed graph", () => expect(() => verifyGraph(good)).not.toThrow());

  test("use before definition", () => {
    const nodes = [good.nodes[0]!, { ...good.nodes[2]!, args: [2, 5] }, good.nodes[1]!];
    expect(verifyError({ ...good, nodes })).toMatch(/@g: node 1 \(add\) uses %5 before it is defined/);
  });

  test("result type differs from inference", () => {
    const types = [...good.types];
    types[2] = { dtype: "f32", shape: ["B", 5] };
    expect(verifyError({ ...good, types })).toMatch(/node 0 \(matmul\): result 0 is f32\[B,5\], op gives f32\[B,4\]/);
  });

  test("operand type error", () => {
    const nodes = [{ ...good.nodes[0]!, args: [1, 0] }, ...good.nodes.slice(1)];
    expect(verifyError({ ...good, nodes })).toMatch(/node 0 \(matmul\): matmul: contraction sizes differ/);
  });

  test("attributes not normalized", () => {
    const nodes = [{ ...good.nodes[0]!, attrs: {} }, ...good.nodes.slice(1)];
    expect(verifyError({ ...good, nodes })).toMatch(/node 0 \(matmul\): attributes are not normalized/);
  });

  test("unbound symbolic size in an attribute", () => {
    const nodes = [good.nodes[0]!, { ...good.nodes[1]!, attrs: { ...good.nodes[1]!.attrs, shape: ["S", 4] } }, good.nodes[2]!];
    const types = [...good.types];
    types[3] = { dtype: "f32", shape: ["S", 4] };
    expect(verifyError({ ...good, nodes, types })).toMatch(/size 'S' is not the size of any input/);
  });

  test("duplicate names", () => {
    expect(verifyError({ ...good, inputs: [good.inputs[0]!, { name: "x", id: 1 }] })).toMatch(/input name 'x' is used twice/);
    expect(verifyError({ ...good, outputs: [good.outputs[0]!, good.outputs[0]!] })).toMatch(/output name 'y' is used twice/);
  });

  test("ids not dense", () => {
    const nodes = [good.nodes[0]!, { ...good.nodes[1]!, results: [7] }, good.nodes[2]!];
    expect(verifyError({ ...good, nodes })).toMatch(/node 1 \(constant\) defines %7, expected %3/);
  });

  test("dangling output", () => {
    expect(verifyError({ ...good, outputs: [{ name: "y", id: 42 }] })).toMatch(/output 'y' refers to undefined %42/);
  });
});
