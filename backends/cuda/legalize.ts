// Legalization for the CUDA kernels: rewrites a specialized graph so every attention (and attention gradient) has a
// kernel. Three rules, applied together:
//   - bf16 / f16 attention whose head dim the tensor-core kernels do not take runs in f32: its operands are cast up
//     and its results cast back down (a mixed-precision model with small heads, like the example's head_dim 16);
//   - a head dim the f32 kernels do not take (not a multiple of 8) is zero-padded up to one: q, k, v (and dout)
//     get zero columns, which add nothing to the scores and give zero output columns, and the results are sliced
//     back (the softmax scale stays the model's);
//   - attention lowered as flex (passes/attention-lowering.ts) over document ranges gets its block table: block_mask of
//     the ranges under its causal and window rules, built once per (ranges, rules) and read by every layer's forward
//     and backward kernels, which then visit only the listed blocks (the sizes are numbers here, as block_mask needs).
// Invariants: the result computes what the input computes, up to the rounding of the f32 attention (at least as
// precise); each operand is transformed once, so the forward and backward kernels of one attention read the same
// q, k, v buffers (backends/schedule/side-buffers.ts pairs them by those names, and the backward reads the
// forward's padded output); graphs needing no change are returned as they are.
//
// Error codes defined here:
//   5309  a head dim above what the f32 kernels take, even padded

import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { Graph, Module, Node, TensorType, ValueId } from "../../ir/graph.ts";
import { attentionBlocks, attentionDocuments } from "../../ir/ops/model.ts";
import { declareInputs, declareOutputs } from "../../ir/rebuild.ts";
import { fail } from "../../compiler/diagnostics.ts";
import { F32_HEAD_DIM_STEP, F32_MAX_HEAD_DIM, TENSOR_CORE_HEAD_DIMS } from "./attention/spec.ts";
import { isHalf } from "./half.ts";

const ATTENTION_OPS = new Set(["attention", "attention_grad"]);

/** What an attention node needs: the dtype and head dim its kernel runs at (undefined: none, it runs as it is). */
interface Plan {
  readonly dtype: "f32";
  readonly headDim: number;
}

function planFor(graph: Graph, node: Node): Plan | undefined {
  if (!ATTENTION_OPS.has(node.op)) return undefined;
  const q = graph.types[node.args[0]!]!;
  const d = q.shape[3] as number;
  const f32 = q.dtype === "f32" || (isHalf(q.dtype) && !TENSOR_CORE_HEAD_DIMS.includes(d));
  if (!f32) return undefined;
  const headDim = Math.ceil(d / F32_HEAD_DIM_STEP) * F32_HEAD_DIM_STEP;
  if (headDim > F32_MAX_HEAD_DIM) {
    fail(5309, `attention with head dim ${d}: the CUDA kernels take head dims up to ${F32_MAX_HEAD_DIM}`,
      "use a model with a smaller head_dim, or train with --target cpu");
  }
  return q.dtype === "f32" && headDim === d ? undefined : { dtype: "f32", headDim };
}

/** `v` [B,T,H,d] in f32 with zero columns up to `headDim`. */
function widen(b: GraphBuilder, v: Value, headDim: number): Value {
  const wide = b.castTo(v, "f32");
  const [batch, time, heads, d] = v.type.shape;
  if (d === headDim) return wide;
  const zeros = b.op("constant", [], { dtype: "f32", shape: [batch!, time!, heads!, headDim - (d as number)], value: 0 });
  return b.op("concat", [wide, zeros], { axis: 3 });
}

/** The result `v` of the widened node back in the original `like` type. */
function narrow(b: GraphBuilder, v: Value, like: TensorType): Value {
  const d = like.shape[3] as number;
  const sliced = v.type.shape[3] === d ? v : b.op("slice", [v], { axis: 3, start: 0, end: d });
  return b.castTo(sliced, like.dtype);
}

/** Whether `node` is a flex attention over document ranges that has no block table yet. */
function needsBlocks(graph: Graph, node: Node): boolean {
  if (!ATTENTION_OPS.has(node.op) || node.attrs["lowering"] !== "flex") return false;
  const documents = attentionDocuments(node);
  return documents !== undefined && graph.types[documents]!.shape.length === 3 && attentionBlocks(node) === undefined;
}

/**
 * Rebuilds `graph` with every attention planFor selects run at its plan, and (with `blockTables`) flex attention
 * given its block table.
 */
function legalizeGraph(graph: Graph, blockTables: boolean): Graph {
  const plans = graph.nodes.map((n) => planFor(graph, n));
  const flex = graph.nodes.map((n) => blockTables && needsBlocks(graph, n));
  if (plans.every((p) => p === undefined) && !flex.includes(true)) return graph;
  const b = new GraphBuilder(graph.name);
  const map = declareInputs(b, graph);
  const widened = new Map<ValueId, Value>();
  const wide = (v: ValueId, plan: Plan): Value => {
    const t = graph.types[v]!;
    if (t.shape.length !== 4 || !(isHalf(t.dtype) || t.dtype === "f32")) return map.get(v)!;
    if (!widened.has(v)) widened.set(v, widen(b, map.get(v)!, plan.headDim));
    return widened.get(v)!;
  };
  const tables = new Map<string, Value>();
  const blocksOf = (node: Node): Value => {
    const ranges = attentionDocuments(node)!;
    const rules = { causal: node.attrs["causal"] as boolean, window: node.attrs["window"] as number };
    const key = JSON.stringify([ranges, rules]);
    if (!tables.has(key)) tables.set(key, b.op("block_mask", [map.get(ranges)!], rules));
    return tables.get(key)!;
  };
  graph.nodes.forEach((node, i) => {
    const plan = plans[i];
    const args = node.args.map((a) => (plan ? wide(a, plan) : map.get(a)!));
    if (flex[i]) args.push(blocksOf(node));
    const results = b.ops(node.op, args, node.attrs);
    node.results.forEach((id, j) => {
      map.set(id, plan ? narrow(b, results[j]!, graph.types[id]!) : results[j]!);
      if (plan) widened.set(id, results[j]!);
    });
  });
  declareOutputs(b, graph, map);
  return b.build();
}

/** The module with every graph legalized for the CUDA kernels (block tables for flex: the CUDA kernels', not HIP's). */
export function legalizeForCuda(module: Module, blockTables = true): Module {
  return { ...module, graphs: module.graphs.map((g) => legalizeGraph(g, blockTables)) };
}
