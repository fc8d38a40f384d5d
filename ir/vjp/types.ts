// The shape of a vector-Jacobian product rule: what one rule sees of a node and what it returns.
// Invariants: a rule only adds nodes to the builder it is given (the backward pass is IR too); every cotangent it
// returns has exactly the dtype and shape of the operand it belongs to; it never mutates its inputs.

import type { GraphBuilder, Value } from "../builder.ts";
import type { Attrs } from "../graph.ts";

/** One node as its VJP rule sees it, with every value already mapped into the builder of the backward graph. */
export interface VjpContext {
  readonly b: GraphBuilder;
  /** The node's operands. */
  readonly args: readonly Value[];
  /** The node's results (the primal outputs, reusable by the rule). */
  readonly results: readonly Value[];
  /** The node's attributes, defaults filled in. */
  readonly attrs: Attrs;
  /** The cotangent of each result; undefined for a result that receives none. */
  readonly dys: readonly (Value | undefined)[];
}

/**
 * A VJP rule: the cotangent of each operand (same dtype and shape as that operand), or undefined for operands that
 * have no gradient (integer ids, targets, segments, conditions).
 */
export type Vjp = (ctx: VjpContext) => readonly (Value | undefined)[];
