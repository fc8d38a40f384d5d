// Seeded random inputs for a graph: what semantic-preservation tests run pass inputs and outputs on, and what the
// autotuner checks candidate kernels with. Symbolic sizes take the values given (2 when not given); floats are
// uniform in [-1, 1), integers in [0, 4), bools fair coins. The positive domain (for graphs that take square roots,
// logarithms or an AdamW step, whose outputs are not finite on the signed values) has floats in [0.5, 1.5) and
// integers in [1, 5).
// Invariant: deterministic: the same graph, seed and sizes give the same tensors.

import { evalDim } from "./dim.ts";
import { isFloat } from "./dtype.ts";
import type { Graph } from "./graph.ts";
import { fromArray, numel, type Tensor } from "./tensor.ts";
import { makeRandom } from "../compiler/random.ts";

/** Where random values lie (see the header). */
export type Domain = "signed" | "positive";

export function randomInputs(graph: Graph, seed = 1, sizes: Readonly<Record<string, number>> = {},
  domain: Domain = "signed"): Record<string, Tensor> {
  const positive = domain === "positive";
  const next = makeRandom(seed);
  const env = new Proxy({ ...sizes }, { get: (o, k: string) => o[k] ?? 2 });
  const out: Record<string, Tensor> = {};
  for (const input of graph.inputs) {
    const type = graph.types[input.id]!;
    const shape = type.shape.map((d) => evalDim(d, env));
    const values = Array.from({ length: numel(shape) }, () => {
      const u = next();
      if (isFloat(type.dtype)) return positive ? u + 0.5 : 2 * u - 1;
      return type.dtype === "bool" ? (u < 0.5 ? 1 : 0) : Math.floor(4 * u) + (positive ? 1 : 0);
    });
    out[input.name] = fromArray(type.dtype, shape, values);
  }
  return out;
}
