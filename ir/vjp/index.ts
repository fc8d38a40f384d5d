// The VJP table: one entry per op, either its rule or "none" for ops without a gradient (comparisons, logic,
// value-producing ops including size, index and table ops, the *_grad ops, the optimizer ops and dequantize).
// Invariant: typed `satisfies Record<OpName, Vjp | "none">`, so a new op without an entry here is a type error.
// `cast` has a rule; a cast to a non-float type produces no float value, so autodiff never asks it for a gradient.

import type { OpName } from "../ops/index.ts";
import { ELEMENTWISE_VJPS } from "./elementwise.ts";
import { INDEXING_VJPS } from "./indexing.ts";
import { MODEL_VJPS } from "./model.ts";
import { STRUCTURAL_VJPS } from "./structural.ts";
import type { Vjp } from "./types.ts";

const NO_GRADIENT = {
  not: "none", eq: "none", ne: "none", lt: "none", le: "none", gt: "none", ge: "none", and: "none", or: "none",
  constant: "none", iota: "none", size: "none", segment_ids: "none", document_ranges: "none", prefix_lm_ranges: "none", block_mask: "none", rope_tables: "none", attention_grad: "none",
  cross_entropy_grad: "none", embedding_grad: "none", adamw: "none", lr_schedule: "none", dequantize: "none",
} as const;

/** The VJP rule of every op, or "none". */
export const VJPS = {
  ...ELEMENTWISE_VJPS, ...STRUCTURAL_VJPS, ...INDEXING_VJPS, ...MODEL_VJPS, ...NO_GRADIENT,
} as const satisfies Record<OpName, Vjp | "none">;

export type { Vjp, VjpContext } from "./types.ts";
