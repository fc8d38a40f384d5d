// Seeded random inputs for semantic-preservation tests: every pass golden runs its input and output graphs on the
// same random tensors. Symbolic sizes get small fixed values; floats are uniform in [-1, 1), integers in [0, 4),
// bools fair coins. Deterministic: same graph + seed -> same tensors.

import { evalDim } from "../../ir/dim.ts";
import { isFloat } from "../../ir/dtype.ts";
import type { Graph } from "../../ir/graph.ts";
import { fromArray, numel, type Tensor } from "../../ir/tensor.ts";
import { makeRandom } from "../../compiler/random.ts";

/** Sizes used for symbolic dims that a test does not set. */
export const DEFAULT_SIZES: Readonly<Record<string, number>> = { B: 2, T: 3 };

export function randomInputs(graph: Graph, seed = 1, sizes: Readonly<Record<string, number>> = {}): Record<string, Tensor> {
  const next = makeRandom(seed);
  const env = new Proxy({ ...DEFAULT_SIZES, ...sizes }, { get: (o, k: string) => o[k] ?? 2 });
  const out: Record<string, Tensor> = {};
  for (const input of graph.inputs) {
    const type = graph.types[input.id]!;
    const shape = type.shape.map((d) => evalDim(d, env));
    const values = Array.from({ length: numel(shape) }, () => {
      const u = next();
      if (isFloat(type.dtype)) return 2 * u - 1;
      return type.dtype === "bool" ? (u < 0.5 ? 1 : 0) : Math.floor(4 * u);
    });
    out[input.name] = fromArray(type.dtype, shape, values);
  }
  return out;
}
