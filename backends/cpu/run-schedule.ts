// Runs a partitioned graph kernel by kernel through the reference interpreter, passing buffers between kernels as
// the device program will. It is how the schedule is checked (its outputs must equal interpreting the source graph)
// and how one generated kernel is compared with its interpreted twin.
// Invariant: a kernel's result is stored under its root buffer, so an alias (a reshape, or an in-place result:
// backends/schedule/in-place.ts) shares its root's data and reads it under its own shape.

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
    for (const [name, t] of Object.entries(interpret(kernel.graph, args))) {
      const root = p.buffers.get(name)?.root ?? name;
      stored.set(root, root === name ? t : { ...t, shape: p.buffers.get(root)!.type.shape as number[] });
    }
  }
  return Object.fromEntries([...p.outputs].map(([output, buffer]) => [output, read(buffer)]));
}
