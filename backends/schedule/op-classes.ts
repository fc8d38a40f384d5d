// How the schedule treats each op: `elementwise` ops fuse into one kernel evaluated per output element; `nullary`
// ones (constants, iotas, sizes) are recomputed inside whichever kernel uses them; `reshape` is a free alias of its
// input's memory; `view` ops (broadcast, transpose, slice) are index maps applied when a fused kernel loads a buffer;
// `reduce` ops get a reduction kernel that can take a fused elementwise prologue; `anchor` ops get a kernel of their
// own from a template (GEMM, attention, ...).
// Invariant: typed `Record<OpName, OpClass>`, so a new op must be classified here.

import type { OpName } from "../../ir/ops/index.ts";

export type OpClass = "elementwise" | "nullary" | "reshape" | "view" | "reduce" | "anchor";

export const OP_CLASS = {
  neg: "elementwise", abs: "elementwise", exp: "elementwise", log: "elementwise", sqrt: "elementwise",
  rsqrt: "elementwise", reciprocal: "elementwise", sigmoid: "elementwise", silu: "elementwise", tanh: "elementwise",
  sin: "elementwise", cos: "elementwise", not: "elementwise", add: "elementwise", sub: "elementwise",
  mul: "elementwise", div: "elementwise", pow: "elementwise", maximum: "elementwise", minimum: "elementwise",
  eq: "elementwise", ne: "elementwise", lt: "elementwise", le: "elementwise", gt: "elementwise", ge: "elementwise",
  and: "elementwise", or: "elementwise", where: "elementwise", cast: "elementwise",
  constant: "nullary", iota: "nullary", size: "nullary",
  reshape: "reshape",
  broadcast: "view", transpose: "view", slice: "view",
  reduce_sum: "reduce", reduce_max: "reduce", reduce_mean: "reduce",
  softmax: "anchor", logsumexp: "anchor", cumsum: "anchor", concat: "anchor", gather: "anchor",
  embedding: "anchor", matmul: "anchor", rope_tables: "anchor", rope: "anchor", segment_ids: "anchor", document_ranges: "anchor", prefix_lm_ranges: "anchor", block_mask: "anchor",
  attention: "anchor", attention_grad: "anchor", cross_entropy: "anchor", cross_entropy_grad: "anchor",
  embedding_grad: "anchor", adamw: "anchor", lr_schedule: "anchor", dequantize: "anchor",
} as const satisfies Record<OpName, OpClass>;

export function opClass(op: OpName): OpClass {
  return OP_CLASS[op];
}
