// Seeded random inputs for semantic-preservation tests (ir/random-inputs.ts) with the small sizes tests give symbolic
// dims: every pass golden runs its input and output graphs on the same random tensors.

import type { Graph } from "../../ir/graph.ts";
import type { Tensor } from "../../ir/tensor.ts";
import { randomInputs as seeded } from "../../ir/random-inputs.ts";

/** Sizes used for symbolic dims that a test does not set. */
export const DEFAULT_SIZES: Readonly<Record<string, number>> = { B: 2, T: 3 };

export function randomInputs(graph: Graph, seed = 1, sizes: Readonly<Record<string, number>> = {}): Record<string, Tensor> {
  return seeded(graph, seed, { ...DEFAULT_SIZES, ...sizes });
}
