// VJP rules of the model-level ops: rotary embedding, attention and cross-entropy.
// Invariants: rope's rule is exact for any cos/sin tables (it differentiates the tables too); attention and
// cross_entropy delegate to their dedicated gradient ops with the same attributes; documents and targets get none.

import type { GraphBuilder, Value } from "../builder.ts";
import { dimDivExact } from "../dim.ts";
import { mul, neg, onlyDy } from "./helpers.ts";
import type { Vjp } from "./types.ts";

/** The two halves of `v` along its last axis. */
function halves(b: GraphBuilder, v: Value): readonly [Value, Value] {
  const axis = v.type.shape.length - 1;
  const size = v.type.shape[axis]!;
  const half = dimDivExact(size, 2);
  if (half === undefined) throw new Error(`rope: head dim ${size} is not known to be even`);
  return [b.op("slice", [v], { axis, start: 0, end: half }), b.op("slice", [v], { axis, start: half, end: size })];
}

/** rotate_half(v) = concat(-v2, v1) along the last axis. */
function rotateHalf(b: GraphBuilder, v: Value): Value {
  const [v1, v2] = halves(b, v);
  return b.op("concat", [neg(b, v2), v1], { axis: -1 });
}

// y = x*cos + rotate_half(x)*sin, tables [B,T,D] broadcast over heads:
// dx = dy*cos + rotate_half^T(dy*sin), and rotate_half^T(g) = -rotate_half(g), rotate_half(dy*sin) =
// rotate_half(dy) * swap_halves(sin); so dx = rope(dy, cos, -swap_halves(sin)) — one rope over dy and a flip of the
// small table instead of slices and concats of dy. dcos = sum_heads(dy*x); dsin = sum_heads(dy*rotate_half(x)).
const rope: Vjp = ({ b, args: [x, cos, sin], dys }) => {
  const dy = onlyDy(dys);
  const [s1, s2] = halves(b, sin!);
  const dx = b.op("rope", [dy, cos!, neg(b, b.op("concat", [s2, s1], { axis: -1 }))]);
  const sumHeads = (v: Value) => b.op("reduce_sum", [v], { axes: [2] });
  return [dx, sumHeads(mul(b, dy, x!)), sumHeads(mul(b, dy, rotateHalf(b, x!)))];
};

const attention: Vjp = ({ b, args: [q, k, v, ...masks], attrs, dys }) => {
  const [dq, dk, dv] = b.ops("attention_grad", [q!, k!, v!, onlyDy(dys), ...masks], attrs);
  return [dq, dk, dv, ...masks.map(() => undefined)];
};

const crossEntropy: Vjp = ({ b, args: [logits, targets], attrs, dys }) => {
  return [b.op("cross_entropy_grad", [logits!, targets!, onlyDy(dys)], attrs), undefined];
};

/** VJP rules of the differentiable model ops (ir/ops/model.ts). */
export const MODEL_VJPS = {
  rope,
  attention,
  cross_entropy: crossEntropy,
} as const satisfies Record<string, Vjp>;
