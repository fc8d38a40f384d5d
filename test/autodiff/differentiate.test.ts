// differentiate(): cotangents summed over several uses, zeros for inputs the loss ignores, the graph's interface,
// gradient dtypes, pruning of dead backward nodes, and the user errors 4101-4107.
import { describe, expect, it } from "vitest";
import { differentiate, GRAD_PREFIX } from "../../ir/autodiff.ts";
import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { Graph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray } from "../../ir/tensor.ts";
import { checkGradients, f64 } from "./fd.ts";
import { codeOf } from "../harness/errors.ts";

function caught(fn: () => unknown): { code?: number; fix?: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: number; fix?: string };
  }
  return {};
}

/** A graph with f64 input x [2,3] (plus any extra inputs) and output loss = sum(f(x, ...)). */
function scalarLoss(build: (b: GraphBuilder, x: Value) => Value, extra: (b: GraphBuilder) => void = () => {}): Graph {
  const b = new GraphBuilder("g");
  const x = b.input("x", "f64", [2, 3]);
  extra(b);
  b.output("loss", b.op("reduce_sum", [build(b, x)], { axes: [0, 1] }));
  return b.build();
}

/** Every node of `graph` has a result that an output needs, directly or through later nodes. */
function deadNodes(graph: Graph): number[] {
  const live = new Set(graph.outputs.map((o) => o.id));
  const dead: number[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.results.some((r) => live.has(r))) dead.push(i);
    else node.args.forEach((a) => live.add(a));
  }
  return dead;
}

describe("differentiate", () => {
  it("sums the cotangents of a value used several times (finite differences)", () => {
    const checks = checkGradients({
      name: "x*x + sin(x)*x*x", ops: [], inputs: [f64("x", [2, 3])],
      build: (b, v) => {
        const x = v["x"]!;
        const square = b.op("mul", [x, x]);
        return b.op("add", [square, b.op("mul", [b.op("sin", [x]), square])]);
      },
    });
    expect(checks["x"]!.scale).toBeGreaterThan(0);
    expect(checks["x"]!.error).toBeLessThanOrEqual(1e-6);
  });

  it("keeps every output, adds grad.<name> after them, and gives zeros to inputs the loss ignores", () => {
    const graph = scalarLoss((b, x) => b.op("exp", [x]), (b) => b.input("unused", "f64", ["N", 3]));
    const result = differentiate(graph, { loss: "loss", wrt: ["unused", "x"] });
    expect(result.outputs.map((o) => o.name)).toEqual(["loss", "grad.unused", "grad.x"]);
    expect(result.inputs.map((i) => i.name)).toEqual(["x", "unused"]);
    const x = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
    const out = interpret(result, { x: fromArray("f64", [2, 3], x), unused: fromArray("f64", [4, 3], new Array(12).fill(7)) });
    expect(out["grad.unused"]!.shape).toEqual([4, 3]);
    expect(toArray(out["grad.unused"]!)).toEqual(new Array(12).fill(0));
    toArray(out["grad.x"]!).forEach((g, i) => expect(g).toBeCloseTo(Math.exp(x[i]!), 14));
  });

  it("differentiates through symbolic sizes (reduce_mean count from a size node, slice padding)", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", "f64", ["N", 3]);
    const w = b.op("constant", [], { dtype: "f64", shape: [3], values: [1, -2, 3] });
    const mean = b.op("mul", [b.op("reduce_mean", [x], { axes: [0] }), w]);
    const tail = b.op("slice", [x], { axis: 0, start: 1, end: "N" });
    const total = b.op("add", [b.op("reduce_sum", [mean], { axes: [0] }), b.op("reduce_sum", [tail], { axes: [0, 1] })]);
    b.output("loss", total);
    const grads = differentiate(b.build(), { loss: "loss", wrt: ["x"] });
    expect(grads.nodes.filter((n) => n.op === "size").map((n) => n.attrs["dim"])).toEqual(["N"]);
    const out = interpret(grads, { x: fromArray("f64", [4, 3], new Array(12).fill(0.5)) });
    const expected = [0, 1, 2, 3].flatMap((n) => [1, -2, 3].map((wj) => wj / 4 + (n > 0 ? 1 : 0)));
    toArray(out["grad.x"]!).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 14));
  });

  it("copies the forward nodes unchanged and emits no dead backward nodes", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", "f64", [1, 2, 1, 4]);
    const c = b.input("c", "f64", [4]);
    const cos = b.input("cos", "f64", [1, 2, 4]);
    const sin = b.input("sin", "f64", [1, 2, 4]);
    const y = b.op("rope", [b.op("mul", [x, c]), cos, sin]);
    b.output("y", y);
    b.output("loss", b.op("reduce_sum", [b.op("maximum", [y, x])], { axes: [0, 1, 2, 3] }));
    const graph = b.build();
    const result = differentiate(graph, { loss: "loss", wrt: ["x"] });
    expect(result.nodes.slice(0, graph.nodes.length)).toEqual(graph.nodes);
    expect(deadNodes(result)).toEqual([]);
    expect(deadNodes(differentiate(graph, { loss: "loss", wrt: ["c"] }))).toEqual([]);
  });

  it("gives every gradient its primal's dtype", () => {
    const b = new GraphBuilder("g");
    const w = b.input("w", "bf16", [3]);
    const h = b.input("h", "f32", [2, 3]);
    const wide = b.op("cast", [w], { dtype: "f32" });
    b.output("loss", b.op("reduce_sum", [b.op("mul", [h, wide])], { axes: [0, 1] }));
    const result = differentiate(b.build(), { loss: "loss", wrt: ["w", "h"] });
    const typeOf = (name: string) => result.types[result.outputs.find((o) => o.name === GRAD_PREFIX + name)!.id]!;
    expect(typeOf("w")).toEqual({ dtype: "bf16", shape: [3] });
    expect(typeOf("h")).toEqual({ dtype: "f32", shape: [2, 3] });
  });

  it("returns only zeros when the loss depends on no wrt input", () => {
    const graph = scalarLoss((b, x) => b.op("exp", [x]), (b) => b.input("z", "f64", [2]));
    const result = differentiate(graph, { loss: "loss", wrt: ["z"] });
    expect(result.nodes.slice(graph.nodes.length).map((n) => n.op)).toEqual(["constant"]);
  });
});

describe("differentiate errors", () => {
  const graph = scalarLoss((b, x) => b.op("exp", [x]), (b) => b.input("ids", "i64", [2]));

  it("4101: the loss is not an output (with a did-you-mean fix)", () => {
    expect(caught(() => differentiate(graph, { loss: "los", wrt: ["x"] }))).toMatchObject({ code: 4101, fix: "did you mean 'loss'?" });
  });

  it("4102: the loss is not a float scalar", () => {
    const b = new GraphBuilder("g");
    b.output("loss", b.op("exp", [b.input("x", "f64", [2])]));
    expect(codeOf(() => differentiate(b.build(), { loss: "loss", wrt: ["x"] }))).toBe(4102);
  });

  it("4103, 4104, 4105: wrt names an unknown, an integer or a repeated input", () => {
    expect(codeOf(() => differentiate(graph, { loss: "loss", wrt: ["y"] }))).toBe(4103);
    expect(codeOf(() => differentiate(graph, { loss: "loss", wrt: ["ids"] }))).toBe(4104);
    expect(codeOf(() => differentiate(graph, { loss: "loss", wrt: ["x", "x"] }))).toBe(4105);
  });

  it("4106: the graph already has a gradient output name", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", "f64", []);
    b.output("loss", b.op("exp", [x]));
    b.output("grad.x", x);
    expect(codeOf(() => differentiate(b.build(), { loss: "loss", wrt: ["x"] }))).toBe(4106);
  });

  it("4107: the loss depends on a wrt input through an op without a gradient", () => {
    const b = new GraphBuilder("g");
    const logits = b.input("logits", "f64", [2, 3]);
    const targets = b.input("targets", "i64", [2]);
    const dloss = b.op("constant", [], { dtype: "f64", shape: [2], value: 1 });
    const grad = b.op("cross_entropy_grad", [logits, targets, dloss]);
    b.output("loss", b.op("reduce_sum", [grad], { axes: [0, 1] }));
    expect(codeOf(() => differentiate(b.build(), { loss: "loss", wrt: ["logits"] }))).toBe(4107);
  });
});
