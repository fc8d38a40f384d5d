// Finite-difference checking of VJP rules: builds a one-op (or few-op) graph from a case, takes
// loss = sum(output * fixed random weights), differentiates it with ir/autodiff and runs the gradient graph through
// the interpreter (after the verifier accepts it), then compares every gradient element with a central difference of the loss.
// Invariants: inputs and weights come from a generator seeded by the case name, so a failure reproduces exactly;
// float inputs are f64 and every one of them is differentiated; step h = 1e-6 * max(1, |x|).

import { differentiate, GRAD_PREFIX } from "../../ir/autodiff.ts";
import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { DType } from "../../ir/dtype.ts";
import type { Graph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret/index.ts";
import type { OpName } from "../../ir/ops/index.ts";
import { verifyGraph } from "../../ir/verify.ts";
import { fromArray, numel, toArray, type Tensor } from "../../ir/tensor.ts";
import { makeRandom } from "../../compiler/random.ts";

/** One graph input of a case: f64 inputs are random in `range` (default [-1, 1]) unless `values` are given. */
export interface FdInput {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values?: readonly number[];
  readonly range?: readonly [number, number];
  /** Random magnitudes in `range` with a random sign (keeps values away from 0, e.g. for abs). */
  readonly signed?: boolean;
}

/** A finite-difference case: the ops it covers, its inputs and how to build its output from them. */
export interface FdCase {
  readonly name: string;
  readonly ops: readonly OpName[];
  readonly inputs: readonly FdInput[];
  readonly build: (b: GraphBuilder, x: Readonly<Record<string, Value>>) => Value;
}

/** Shorthand for an f64 input. */
export function f64(name: string, shape: readonly number[], options: Partial<FdInput> = {}): FdInput {
  return { name, dtype: "f64", shape, ...options };
}

function randomValues(input: FdInput, random: () => number): number[] {
  if (input.values) return [...input.values];
  const [lo, hi] = input.range ?? [-1, 1];
  return Array.from({ length: numel(input.shape) }, () => {
    const v = lo + (hi - lo) * random();
    return input.signed && random() < 0.5 ? -v : v;
  });
}

/** The case's loss graph (output `loss`, the weights a constant) and random tensors for its inputs. */
export function lossGraph(c: FdCase): { graph: Graph; tensors: Record<string, Tensor>; wrt: string[] } {
  const random = makeRandom(c.name);
  const b = new GraphBuilder("fd");
  const values: Record<string, Value> = {};
  const tensors: Record<string, Tensor> = {};
  for (const input of c.inputs) {
    values[input.name] = b.input(input.name, input.dtype, input.shape);
    tensors[input.name] = fromArray(input.dtype, input.shape, randomValues(input, random));
  }
  const y = c.build(b, values);
  const shape = y.type.shape as number[];
  const weights = b.op("constant", [], { dtype: y.type.dtype, shape, values: randomValues(f64("w", shape), random) });
  b.output("loss", b.op("reduce_sum", [b.op("mul", [y, weights])], { axes: shape.map((_, i) => i) }));
  const wrt = c.inputs.filter((i) => i.dtype === "f64").map((i) => i.name);
  return { graph: b.build(), tensors, wrt };
}

function lossAt(graph: Graph, tensors: Record<string, Tensor>): number {
  return toArray(interpret(graph, tensors)["loss"]!)[0]!;
}

/** Central difference of the loss with respect to every element of input `name`. */
function numericGradient(graph: Graph, tensors: Record<string, Tensor>, name: string): number[] {
  const base = tensors[name]!;
  const x = toArray(base);
  return x.map((xi, i) => {
    const h = 1e-6 * Math.max(1, Math.abs(xi));
    const at = (v: number) => {
      const moved = [...x];
      moved[i] = v;
      return lossAt(graph, { ...tensors, [name]: fromArray(base.dtype, base.shape, moved) });
    };
    return (at(xi + h) - at(xi - h)) / (2 * h);
  });
}

function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** How one input's gradient compares: relative error ||autodiff - numeric|| / ||numeric||, and ||numeric||. */
export interface GradientCheck {
  readonly error: number;
  readonly scale: number;
}

/** Checks the gradient of every f64 input of a case against central differences. */
export function checkGradients(c: FdCase): Record<string, GradientCheck> {
  const { graph, tensors, wrt } = lossGraph(c);
  const gradGraph = differentiate(graph, { loss: "loss", wrt });
  verifyGraph(gradGraph);
  const grads = interpret(gradGraph, tensors);
  const checks: Record<string, GradientCheck> = {};
  for (const name of wrt) {
    const analytic = toArray(grads[GRAD_PREFIX + name]!);
    const numeric = numericGradient(graph, tensors, name);
    const scale = norm(numeric);
    checks[name] = { error: norm(analytic.map((a, i) => a - numeric[i]!)) / scale, scale };
  }
  return checks;
}
