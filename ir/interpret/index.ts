// The reference interpreter: runs a graph on concrete tensors, one evaluation per op (the table below is the meaning
// of every op). Symbolic dims are bound from the input shapes (bind.ts); each result is checked against the type
// the graph declares for it; each intermediate is dropped after its last use so memory stays bounded.
// Invariants: inputs are never mutated; results may share storage with inputs (reshape), so callers treat every
// returned tensor as immutable too.

import { TraincError } from "../../compiler/diagnostics.ts";
import type { Graph, ValueId } from "../graph.ts";
import type { OpName } from "../ops/index.ts";
import type { Tensor } from "../tensor.ts";
import { ATTENTION_EVALS } from "./attention.ts";
import { BLOCK_MASK_EVALS } from "./block-mask.ts";
import { bindInputs } from "./bind.ts";
import { BINARY_EVALS } from "./binary.ts";
import { EvalContext, type Eval, type OutSpec } from "./context.ts";
import { CREATE_EVALS } from "./create.ts";
import { CUMSUM_EVALS } from "./cumsum.ts";
import { EMBEDDING_EVALS } from "./embedding.ts";
import { GATHER_EVALS } from "./gather.ts";
import { LOSS_EVALS } from "./loss.ts";
import { MATMUL_EVALS } from "./matmul.ts";
import { MODEL_EVALS } from "./model.ts";
import { OPTIM_EVALS } from "./optim.ts";
import { QUANT_EVALS } from "./quant.ts";
import { REDUCE_EVALS } from "./reduce.ts";
import { STRUCTURAL_EVALS } from "./structural.ts";
import { UNARY_EVALS } from "./unary.ts";

/** The evaluation of every op. */
export const EVALS: Readonly<Record<OpName, Eval>> = Object.freeze({
  ...UNARY_EVALS, ...BINARY_EVALS, ...CREATE_EVALS, ...REDUCE_EVALS, ...CUMSUM_EVALS, ...STRUCTURAL_EVALS,
  ...GATHER_EVALS, ...MATMUL_EVALS, ...EMBEDDING_EVALS, ...LOSS_EVALS, ...ATTENTION_EVALS, ...BLOCK_MASK_EVALS, ...MODEL_EVALS,
  ...OPTIM_EVALS, ...QUANT_EVALS,
} satisfies Record<OpName, Eval>);

const LAST_USES = new WeakMap<Graph, Int32Array>();

/**
 * For each value, the index of the last node that reads it (nodes.length for graph outputs; -1 if never read).
 * Computed once per graph (graphs are immutable), so a training loop that reruns a graph does not redo it.
 */
function lastUses(graph: Graph): Int32Array {
  let last = LAST_USES.get(graph);
  if (last) return last;
  last = new Int32Array(graph.types.length).fill(-1);
  graph.nodes.forEach((node, i) => node.args.forEach((id) => (last![id] = i)));
  for (const o of graph.outputs) last[o.id] = graph.nodes.length;
  LAST_USES.set(graph, last);
  return last;
}

function sameType(t: Tensor, spec: OutSpec): boolean {
  return t.dtype === spec.dtype && t.shape.length === spec.shape.length && t.shape.every((d, i) => d === spec.shape[i]);
}

/** Runs `graph` on `inputs` (by input name) and returns its outputs by name. */
export function interpret(graph: Graph, inputs: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const env = bindInputs(graph, inputs);
  const values = new Map<ValueId, Tensor>();
  const last = lastUses(graph);
  for (const input of graph.inputs) if (last[input.id]! >= 0) values.set(input.id, inputs[input.name]!);
  graph.nodes.forEach((node, i) => {
    const ctx = new EvalContext(graph, i, node, env);
    const results = EVALS[node.op](node.args.map((id) => values.get(id)!), ctx);
    node.results.forEach((id, k) => {
      const t = results[k];
      if (!t || !sameType(t, ctx.out[k]!)) {
        throw new TraincError(9101, `interpreter bug: @${graph.name} node ${i} (${node.op}) result ${k} is ` +
          `${t ? `${t.dtype}[${t.shape.join(",")}]` : "missing"}, expected ${ctx.out[k]!.dtype}[${ctx.out[k]!.shape.join(",")}]`);
      }
      if (last[id]! > i) values.set(id, t);
    });
    for (const id of node.args) if (last[id] === i) values.delete(id);
  });
  return Object.fromEntries(graph.outputs.map((o) => [o.name, values.get(o.id)!]));
}
