// Legalization for the CUDA kernels: rewrites a specialized graph so every anchor op has a kernel. Today one rule:
// bf16 attention (and its gradient) whose head dim the tensor-core kernels do not take runs in f32 — its bf16
// operands are cast up, the op computed by the f32 kernels, its results cast back down. A mixed-precision model with
// small heads (the example's head_dim 16) trains on bf16: true with attention in f32, as accurate as f32 attention.
// Invariants: the result computes what the input computes, up to the rounding of the f32 attention (it is at least
// as precise); each bf16 value is cast up once, so the forward and backward kernels of one attention read the same
// f32 q, k, v buffers (backends/schedule/side-buffers.ts pairs them by those names); graphs needing no change are
// returned as they are.

import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { Graph, Module, Node, ValueId } from "../../ir/graph.ts";
import { declareInputs, declareOutputs } from "../../ir/rebuild.ts";
import { TENSOR_CORE_HEAD_DIMS } from "./attention/spec.ts";

const ATTENTION_OPS = new Set(["attention", "attention_grad"]);

/** Whether `node` is a bf16 attention the tensor-core kernels cannot run. */
function needsF32(graph: Graph, node: Node): boolean {
  if (!ATTENTION_OPS.has(node.op)) return false;
  const q = graph.types[node.args[0]!]!;
  return q.dtype === "bf16" && !TENSOR_CORE_HEAD_DIMS.includes(q.shape[3] as number);
}

/** Rebuilds `graph` with every attention needsF32 selects computed in f32. */
function legalizeGraph(graph: Graph): Graph {
  if (!graph.nodes.some((n) => needsF32(graph, n))) return graph;
  const b = new GraphBuilder(graph.name);
  const map = declareInputs(b, graph);
  const wide = new Map<ValueId, Value>();
  const up = (v: ValueId): Value => {
    const value = map.get(v)!;
    if (value.type.dtype !== "bf16") return value;
    if (!wide.has(v)) wide.set(v, b.op("cast", [value], { dtype: "f32" }));
    return wide.get(v)!;
  };
  for (const node of graph.nodes) {
    if (!needsF32(graph, node)) {
      const results = b.ops(node.op, node.args.map((a) => map.get(a)!), node.attrs);
      node.results.forEach((id, i) => map.set(id, results[i]!));
      continue;
    }
    const results = b.ops(node.op, node.args.map(up), node.attrs);
    node.results.forEach((id, i) => {
      const narrow = b.op("cast", [results[i]!], { dtype: graph.types[id]!.dtype });
      map.set(id, narrow);
      wide.set(id, results[i]!);
    });
  }
  declareOutputs(b, graph, map);
  return b.build();
}

/** The module with every graph legalized for the CUDA kernels. */
export function legalizeForCuda(module: Module): Module {
  return { ...module, graphs: module.graphs.map(legalizeGraph) };
}
