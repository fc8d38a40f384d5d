// Pass `attention-lowering`: how each `attention` node runs, as the config's attn_implementation says (PassOptions
// .attention). Runs on the forward graph, before train-step builds the backward, so autodiff differentiates what
// this pass leaves: a fused lowering stays one attention node (its gradient one attention_grad with the same
// attributes), the unfused one becomes ops autodiff already knows.
//
//   flash, flex, xformers: the node keeps its meaning and gets {lowering = "<name>"} (flash is the default and is
//     not printed), which names the fused kernel meant to run it. flex is the block-sparse kernel on the cuda target
//     (backends/cuda/legalize.ts gives it a block table), xformers its memory-efficient kernels at their own tiling
//     (backends/cuda/attention/index.ts xformersConfigs); targets without a kernel for the lowering run their flash
//     kernel (compiler/plan.ts says so when a config asks for one).
//       %o = attention %q, %k, %v, %seg {scale = 0.25}  ->  %o = attention %q, %k, %v, %seg {lowering = "flex", scale = 0.25}
//   sdpa, eager: the unfused reference, as transformers' eager attention computes it: q k^T in the compute dtype,
//     times the scale in f32 (PyTorch multiplies by the unrounded float) rounded to the compute dtype, then in f32
//     the mask (masked scores set to f32's lowest) and the softmax, rounded back to the compute dtype, times v (for
//     f32 the roundings are no-ops and cse-free casts disappear). GQA repeats each k/v head for its query heads. The
//     mask [B,1,T,T] (causal, window, and documents: equal segment ids, or keys inside the query's range for document
//     or prefix-LM ranges) is built once per distinct rule and shared by the layers.
//       %o = attention %q, %k, %v, %seg {scale = s}  ->
//         %qh = transpose %q {perm = [0, 2, 1, 3]} ; ... ; %p = softmax (where %mask, cast(%qk) * s, lowest) ;
//         %o = transpose (matmul (cast %p), %vh) {perm = [0, 2, 1, 3]}
// Expects a verified graph; guarantees a verified graph with the same inputs and outputs. The unfused form needs each
// query to see at least one key, which holds for every attention the type rule allows (causal or segmented
// attention is self-attention, and a query always sees its own key).

import { GraphBuilder, type Value } from "../ir/builder.ts";
import type { Dim } from "../ir/dim.ts";
import type { Attrs, Graph } from "../ir/graph.ts";
import { declareInputs, declareOutputs } from "../ir/rebuild.ts";
import type { Pass, PassOptions } from "./pass.ts";

/** f32's lowest finite value: what a masked score becomes (transformers' torch.finfo(float32).min). */
const LOWEST_F32 = -3.4028234663852886e38;

function run(graph: Graph, options: PassOptions): Graph {
  const b = new GraphBuilder(graph.name);
  const map = declareInputs(b, graph);
  const masks = new Map<string, Value>();
  for (const node of graph.nodes) {
    const args = node.args.map((a) => map.get(a)!);
    const results = node.op !== "attention" ? b.ops(node.op, args, node.attrs)
      : options.attention === "sdpa" || options.attention === "eager" ? [unfused(b, args, node.attrs, masks)]
        : b.ops(node.op, args, withLowering(node.attrs, options.attention));
    node.results.forEach((id, i) => map.set(id, results[i]!));
  }
  declareOutputs(b, graph, map);
  return b.build();
}

/** The attributes with `lowering` set (and left out when it is the default, flash). */
function withLowering(attrs: Attrs, lowering: string): Attrs {
  const { lowering: _old, ...rest } = attrs;
  return lowering === "flash" ? rest : { ...rest, lowering };
}

/** softmax(scale q k^T + mask) v from matmuls, as in the file header. */
function unfused(b: GraphBuilder, [q, k, v, segments]: readonly Value[], attrs: Attrs, masks: Map<string, Value>): Value {
  const [, length, heads] = q!.type.shape as Dim[];
  const kvHeads = k!.type.shape[2]!;
  const toHeads = (x: Value) => b.op("transpose", [x], { perm: [0, 2, 1, 3] });
  const shared = (x: Value) => toHeads(repeatHeads(b, x, heads!, kvHeads));
  const dtype = q!.type.dtype;
  const products = b.castTo(b.op("matmul", [toHeads(q!), shared(k!)], { transpose_b: true }), "f32");
  const wide = b.castTo(b.castTo(b.op("mul", [products, b.scalar(attrs["scale"] as number, "f32")]), dtype), "f32");
  const mask = visibility(b, segments, attrs, length!, k!.type.shape[1]!, masks);
  const masked = mask ? b.op("where", [mask, wide, b.scalar(LOWEST_F32, "f32")]) : wide;
  const probabilities = b.castTo(b.op("softmax", [masked], { axis: -1 }), dtype);
  const out = b.op("matmul", [probabilities, shared(v!)]);
  return b.op("transpose", [out], { perm: [0, 2, 1, 3] });
}

/** k or v [B,T,Hk,D] with each head repeated for the Hq/Hk query heads that share it: [B,T,Hq,D]. */
function repeatHeads(b: GraphBuilder, x: Value, heads: Dim, kvHeads: Dim): Value {
  if (kvHeads === heads) return x;
  const [batch, length, , d] = x.type.shape as Dim[];
  const group = (heads as number) / (kvHeads as number);
  const split = b.op("reshape", [x], { shape: [batch!, length!, kvHeads, 1, d!] });
  const repeated = b.op("broadcast", [split], { shape: [batch!, length!, kvHeads, group, d!] });
  return b.op("reshape", [repeated], { shape: [batch!, length!, heads, d!] });
}

/**
 * The bool mask [B or 1, 1, Tq, Tk] of visible (query, key) pairs, or undefined when every pair is visible; built
 * once per (segments, causal, window) and reused.
 */
function visibility(b: GraphBuilder, segments: Value | undefined, attrs: Attrs, tq: Dim, tk: Dim,
  masks: Map<string, Value>): Value | undefined {
  const causal = attrs["causal"] as boolean;
  const window = (attrs["window"] as number | undefined) ?? 0;
  if (!causal && window === 0 && !segments) return undefined;
  const key = JSON.stringify([segments?.id, causal, window]);
  const known = masks.get(key);
  if (known) return known;
  const rows = b.op("iota", [], { dtype: "i32", shape: [1, 1, tq, 1], axis: 2 });
  const cols = b.op("iota", [], { dtype: "i32", shape: [1, 1, 1, tk], axis: 3 });
  const rules: Value[] = [];
  if (causal) rules.push(b.op("le", [cols, rows]));
  if (window > 0) rules.push(b.op("lt", [b.op("sub", [rows, cols]), b.scalar(window, "i32")]));
  if (segments) rules.push(segments.type.shape.length === 3 ? inRange(b, segments, cols) : sameSegment(b, segments));
  const mask = rules.reduce((all, rule) => b.op("and", [all, rule]));
  masks.set(key, mask);
  return mask;
}

/** seg[b,i] == seg[b,j] as [B,1,T,T], for segment ids [B,T]. */
function sameSegment(b: GraphBuilder, segments: Value): Value {
  const [batch, length] = segments.type.shape as Dim[];
  const seg = b.castTo(segments, "i32");
  return b.op("eq", [b.op("reshape", [seg], { shape: [batch!, 1, length!, 1] }), b.op("reshape", [seg], { shape: [batch!, 1, 1, length!] })]);
}

/** start[b,i] <= j < end[b,i] as [B,1,T,T], for ranges [B,T,2 or 4] (their first pair: the keys query i sees). */
function inRange(b: GraphBuilder, ranges: Value, cols: Value): Value {
  const [batch, length] = ranges.type.shape as Dim[];
  const bound = (at: number) =>
    b.op("reshape", [b.op("slice", [ranges], { axis: 2, start: at, end: at + 1 })], { shape: [batch!, 1, length!, 1] });
  return b.op("and", [b.op("ge", [cols, bound(0)]), b.op("lt", [cols, bound(1)])]);
}

export const attentionLowering: Pass = {
  name: "attention-lowering",
  summary: "Choose how attention runs, from attn_implementation.",
  description: "flash, flex and xformers mark each attention node with its fused kernel (lowering attribute); sdpa " +
    "and eager replace it by the unfused reference (matmul, masked softmax in f32, matmul), as transformers' eager " +
    "attention computes it. Runs on the forward graph, before train-step.",
  run,
  tolerance: 1e-6,
};
