// gather: numpy.take along one axis. data is viewed as [outer, size, inner] with the gathered axis in the middle;
// out[o, k, i] = data[o, indices[k], i] over the flattened indices k, so the result has shape
// data.shape[:axis] + indices.shape + data.shape[axis+1:]. Elements are copied unchanged (no rounding); packed 4-bit
// tensors move as unpacked codes and are repacked.
// Meaning: every index must lie in [0, size); negative indices are not wrapped. A bad index fails with 6121, naming
// its position in `indices` and its value, before any element is copied.

import { numel, type Tensor } from "../tensor.ts";
import type { Eval, EvalContext } from "./context.ts";
import { positionOf } from "./embedding.ts";
import { axisOf, elements, fromElements, sameKind } from "./structural.ts";

/** Checks every index against [0, size) on `axis`. */
function checkIndices(indices: Tensor, size: number, axis: number, ctx: EvalContext): void {
  const data = indices.data;
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (!(id >= 0 && id < size)) {
      ctx.fail(6121, `index ${id} at position ${positionOf(i, indices.shape)} is outside [0, ${size}) on axis ${axis}`,
        `gather indices must lie in [0, ${size}); negative indices are not wrapped, so add the axis size to them first`);
    }
  }
}

const gather: Eval = ([data, indices], ctx) => {
  const shape = data!.shape;
  const axis = axisOf(ctx, shape.length);
  const size = shape[axis]!;
  checkIndices(indices!, size, axis, ctx);
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const ids = indices!.data;
  const count = ids.length;
  const src = elements(data!);
  const out = sameKind(src, outer * count * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      const from = (o * size + ids[k]!) * inner;
      const to = (o * count + k) * inner;
      for (let i = 0; i < inner; i++) out[to + i] = src[from + i]!;
    }
  }
  return [fromElements(data!.dtype, ctx.out[0]!.shape, out)];
};

/** Evaluation of gather. */
export const GATHER_EVALS = { gather };
