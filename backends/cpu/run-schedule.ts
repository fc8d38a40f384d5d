// Runs a partitioned graph kernel by kernel through the reference interpreter, passing buffers between kernels as
// the device program will. It is how the schedule is checked (its outputs must equal interpreting the source graph)
// and how one generated kernel is compared with its interpreted twin.
// Invariant: buffers are written once; an alias (reshape) reads its root's data under its own shape.

import type { Tensor } from "../../ir/tensor.ts";
import { interpret } from "../../ir/interpret/index.ts";
import type { Partition } from "../schedule/partition.ts";

/** Runs every kernel in order; returns the graph's outputs by name. */
export function runPartition(p: Partition, inputs: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const stored = new Map<string, Tensor>(Object.entries(inputs));
  const read = (name: string): Tensor => {
    const buffer = p.buffers.get(name);
    const base = stored.get(buffer?.root ?? name);
    if (!base) throw new Error(`buffer ${name} is read before it is written`);
    return buffer && buffer.root !== name ? { ...base, shape: buffer.type.shape as number[] } : base;
  };
  for (const kernel of p.kernels) {
    const args = Object.fromEntries(kernel.graph.inputs.map((i) => [i.name, read(i.name)]));
    for (const [name, t] of Object.entries(interpret(kernel.graph, args))) stored.set(name, t);
  }
  return Object.fromEntries([...p.outputs].map(([output, buffer]) => [output, read(buffer)]));
}
