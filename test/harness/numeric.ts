// Numeric comparison for tests: the relative error ||a - b|| / ||b|| that every oracle comparison uses (fixtures,
// ONNX Runtime, hand references). Non-finite elements must sit at the same positions with the same values and are
// left out of the norms.

import type { Tensor } from "../../ir/tensor.ts";

type Numbers = ArrayLike<number> | Tensor;

function values(x: Numbers): ArrayLike<number> {
  return "data" in x && "shape" in x ? x.data : x;
}

/** ||a - b|| / ||b|| (or ||a - b|| when b is all zeros); throws when lengths or non-finite positions differ. */
export function relativeError(actual: Numbers, reference: Numbers): number {
  const a = values(actual);
  const b = values(reference);
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) throw new Error(`element ${i}: ${x} vs ${y}`);
      continue;
    }
    num += (x - y) ** 2;
    den += y ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
