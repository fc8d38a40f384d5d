// VJP rules of the indexing ops: cumsum and gather.
// cumsum: the cotangent of a running sum is the running sum of the cotangent in the other direction, with the same
// `exclusive` (inclusive: dx[j] = sum of dy[i] over i >= j; exclusive: over i > j).
// gather: the gradient w.r.t. data is a scatter-add of dy's slices into the gathered axis. It is composed from
// existing ops rather than given its own gather_grad op: embedding_grad is exactly that scatter-add for rows, so
// moving the gathered axis first (a transpose, none for axis 0) and flattening the other axes into one channel axis
// (reshapes) turns any gather into it; a new op would need its own interpreter evaluation, tests and kernels in
// every backend for no new meaning. The common axis-0 case costs only reshapes. Indices get no cotangent.

import { shapeNumel } from "../dim.ts";
import type { GraphBuilder, Value } from "../builder.ts";
import { normalizeAxis } from "../ops/spec.ts";
import { onlyDy, reshapeTo } from "./helpers.ts";
import type { Vjp } from "./types.ts";

/** `v` transposed by `perm`, or `v` itself when perm is the identity. */
function permute(b: GraphBuilder, v: Value, perm: readonly number[]): Value {
  return perm.every((p, i) => p === i) ? v : b.op("transpose", [v], { perm: [...perm] });
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

const cumsum: Vjp = ({ b, attrs, dys }) => {
  return [b.op("cumsum", [onlyDy(dys)], { ...attrs, reverse: !(attrs["reverse"] as boolean) })];
};

// dy is [before..., idx..., after...]; move idx first, flatten before/after into channels, scatter-add rows with
// embedding_grad into [size, channels], unflatten to [size, before..., after...] and move size back to `axis`.
const gather: Vjp = ({ b, args: [data, indices], attrs, dys }) => {
  const dy = onlyDy(dys);
  const shape = data!.type.shape;
  const rank = shape.length;
  const axis = normalizeAxis(attrs["axis"] as number, rank, "gather");
  const k = indices!.type.shape.length;
  const rest = [...shape.slice(0, axis), ...shape.slice(axis + 1)];
  const idxFirst = permute(b, dy, [...range(axis, axis + k), ...range(0, axis), ...range(axis + k, dy.type.shape.length)]);
  const rows = reshapeTo(b, idxFirst, [...indices!.type.shape, shapeNumel(rest)]);
  const summed = b.op("embedding_grad", [indices!, rows], { num_embeddings: shape[axis]! });
  const sizeFirst = reshapeTo(b, summed, [shape[axis]!, ...rest]);
  return [permute(b, sizeFirst, [...range(1, axis + 1), 0, ...range(axis + 1, rank)]), undefined];
};

/** VJP rules of cumsum and gather (ir/ops/structural.ts). */
export const INDEXING_VJPS = { cumsum, gather } as const satisfies Record<string, Vjp>;
