// Reverse-mode automatic differentiation of a graph: forward graph + the name of a scalar loss output -> a new graph
// with every original output plus `grad.<name>` for each requested input. Sits between model import (forward + loss)
// and the train-step module (ir/train-step.ts); the backward pass is ordinary IR, built from the VJP table (ir/vjp).
// Invariants: the forward nodes are copied unchanged and first; backward nodes follow in reverse topological order;
// a value used several times gets the sum of its cotangents; only float values that depend on a `wrt` input receive
// cotangents; backward nodes that no output needs are removed; every gradient has its primal's dtype and shape.
//
// Error codes defined here:
//   4101  `loss` is not an output of the graph
//   4102  `loss` is not a float scalar
//   4103  a `wrt` name is not an input of the graph
//   4104  a `wrt` input is not a float tensor
//   4105  a `wrt` name is listed twice
//   4106  the graph already has an output named `grad.<name>`
//   4107  the loss depends on a `wrt` input through an op that has no gradient
//   9401  a VJP rule returned a cotangent whose type differs from its operand's (a bug in that rule)

import { GraphBuilder, type Value } from "./builder.ts";
import { didYouMean, fail } from "../compiler/diagnostics.ts";
import { isFloat } from "./dtype.ts";
import type { Graph, TensorType, ValueId } from "./graph.ts";
import { describe } from "./ops/spec.ts";
import { copyNodes, declareInputs, declareOutputs, liveNodes } from "./rebuild.ts";
import { zeros } from "./vjp/helpers.ts";
import { VJPS } from "./vjp/index.ts";

/** What to differentiate: the loss output and the inputs to take gradients for. */
export interface DifferentiateSpec {
  readonly loss: string;
  readonly wrt: readonly string[];
}

/** Prefix of the gradient outputs: the gradient of input `x` is output `grad.x`. */
export const GRAD_PREFIX = "grad.";

/**
 * Returns a graph with the inputs and outputs of `graph` plus `grad.<name>` (d loss / d input, seed 1) for each name
 * in `spec.wrt`; inputs the loss does not depend on get zeros.
 */
export function differentiate(graph: Graph, spec: DifferentiateSpec): Graph {
  const lossId = checkLoss(graph, spec.loss);
  const wrtIds = checkWrt(graph, spec.wrt);
  const active = activeValues(graph, wrtIds);
  const b = new GraphBuilder(graph.name);
  const values = declareInputs(b, graph);
  copyNodes(b, graph, values);
  const cotangents = active.has(lossId) ? backward(b, graph, values, active, lossId) : new Map<ValueId, Value>();
  for (const o of graph.outputs) b.output(o.name, values.get(o.id)!);
  spec.wrt.forEach((name, i) => {
    const id = wrtIds[i]!;
    b.output(GRAD_PREFIX + name, cotangents.get(id) ?? zeros(b, graph.types[id]!));
  });
  return pruneDeadNodes(b.build(), graph.nodes.length);
}

function checkLoss(graph: Graph, loss: string): ValueId {
  const output = graph.outputs.find((o) => o.name === loss);
  if (!output) {
    fail(4101, `loss '${loss}' is not an output of graph @${graph.name} (outputs: ${names(graph.outputs)})`,
      suggest(loss, graph.outputs, "name a scalar float output of the graph as the loss"));
  }
  const type = graph.types[output.id]!;
  if (!isFloat(type.dtype) || type.shape.length !== 0) {
    fail(4102, `loss '${loss}' of graph @${graph.name} is ${describe(type)}, not a float scalar`,
      "reduce the loss to shape [] (reduce_sum or reduce_mean over every axis) in a float dtype");
  }
  return output.id;
}

function checkWrt(graph: Graph, wrt: readonly string[]): ValueId[] {
  const grads = new Set(wrt.map((name) => GRAD_PREFIX + name));
  const clash = graph.outputs.find((o) => grads.has(o.name));
  if (clash) {
    fail(4106, `graph @${graph.name} already has an output '${clash.name}'`,
      `rename that output; autodiff names the gradient of input 'x' '${GRAD_PREFIX}x'`);
  }
  return wrt.map((name, i) => {
    if (wrt.indexOf(name) !== i) fail(4105, `wrt lists input '${name}' twice`, "list each input once");
    const input = graph.inputs.find((v) => v.name === name);
    if (!input) {
      fail(4103, `wrt names '${name}', which is not an input of graph @${graph.name} (inputs: ${names(graph.inputs)})`,
        suggest(name, graph.inputs, "take gradients only with respect to graph inputs (parameters)"));
    }
    const type = graph.types[input.id]!;
    if (!isFloat(type.dtype)) {
      fail(4104, `wrt input '${name}' is ${describe(type)}; only float tensors have gradients`,
        `remove '${name}' from the inputs to differentiate`);
    }
    return input.id;
  });
}

function names(values: readonly { name: string }[]): string {
  return values.map((v) => v.name).join(", ") || "none";
}

/** A did-you-mean fix when `name` is close to one of `values`' names, else `otherwise`. */
function suggest(name: string, values: readonly { name: string }[], otherwise: string): string {
  const close = didYouMean(name, values.map((v) => v.name));
  return close === undefined ? otherwise : `did you mean '${close}'?`;
}

/** Float values that depend on a wrt input: the only values that receive cotangents. */
function activeValues(graph: Graph, wrtIds: readonly ValueId[]): Set<ValueId> {
  const active = new Set(wrtIds);
  for (const node of graph.nodes) {
    if (!node.args.some((a) => active.has(a))) continue;
    for (const r of node.results) if (isFloat(graph.types[r]!.dtype)) active.add(r);
  }
  return active;
}

/** Emits the backward nodes and returns the accumulated cotangent of every active value the loss depends on. */
function backward(
  b: GraphBuilder, graph: Graph, values: Map<ValueId, Value>, active: Set<ValueId>, lossId: ValueId,
): Map<ValueId, Value> {
  const cotangents = new Map<ValueId, Value>([[lossId, b.scalar(1, graph.types[lossId]!.dtype)]]);
  const valueOf = (id: ValueId) => values.get(id)!;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    const dys = node.results.map((r) => cotangents.get(r));
    if (dys.every((d) => d === undefined)) continue;
    const rule = VJPS[node.op];
    if (rule === "none") {
      fail(4107, `the loss depends on a differentiated input through ${node.op} (node ${i} of @${graph.name}), ` +
        "which has no gradient", "stop differentiating the inputs that feed this op, or compute it from constants");
    }
    const args = node.args.map(valueOf);
    const dxs = rule({ b, args, results: node.results.map(valueOf), attrs: node.attrs, dys });
    node.args.forEach((arg, j) => {
      const dx = dxs[j];
      if (dx === undefined || !active.has(arg)) return;
      checkCotangent(node.op, j, args[j]!.type, dx.type);
      const previous = cotangents.get(arg);
      cotangents.set(arg, previous ? b.op("add", [previous, dx]) : dx);
    });
  }
  return cotangents;
}

function checkCotangent(op: string, operand: number, primal: TensorType, cotangent: TensorType): void {
  const same = primal.dtype === cotangent.dtype && primal.shape.length === cotangent.shape.length &&
    primal.shape.every((d, i) => d === cotangent.shape[i]);
  if (!same) {
    fail(9401, `VJP of ${op} gave operand ${operand} a cotangent ${describe(cotangent)} for ${describe(primal)}`,
      "this is a bug in trainc's ir/vjp rules; please report it with the graph");
  }
}

/** Drops nodes at index >= `firstPrunable` whose results no output needs (the forward nodes always stay). */
function pruneDeadNodes(graph: Graph, firstPrunable: number): Graph {
  const kept = liveNodes(graph, (i) => i < firstPrunable);
  if (kept.every(Boolean)) return graph;
  const b = new GraphBuilder(graph.name);
  const values = declareInputs(b, graph);
  copyNodes(b, graph, values, (i) => kept[i]!);
  declareOutputs(b, graph, values);
  return b.build();
}
