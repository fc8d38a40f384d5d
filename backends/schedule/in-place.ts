// In-place results: an anchor kernel whose template reads each element of an input before it writes the element at
// the same index of its result may write that result over the input, when nothing reads the input afterwards. The
// result then becomes an alias of the input (Buffer.root, as a reshape is), so the memory plan gives both one
// placement. Today: cross_entropy_grad writes the logits' gradient over the logits (on Llama 3 the two [B,T,128256]
// tensors are the largest of the step, and they meet at its peak).
// Invariants: only kinds in IN_PLACE are rewritten, and their templates drop __restrict__ (templates/source.ts
// inPlace); an input is overwritten only after its last reader and when it is no graph input or output and has
// the result's dtype and element count.

import { DTYPES } from "../../ir/dtype.ts";
import { shapeNumel } from "../../ir/dim.ts";
import { reads } from "./memory.ts";
import type { Buffer, Partition } from "./partition.ts";

/** Anchor kinds that may write a result over an input: [input index, result index]. */
export const IN_PLACE: Readonly<Record<string, readonly [number, number]>> = {
  cross_entropy_grad: [0, 0],
};

/** The partition with every allowed in-place result made an alias of the input it overwrites. */
export function shareInPlace(p: Partition): Partition {
  const buffers = new Map<string, Buffer>(p.buffers);
  const rootOf = (name: string) => buffers.get(name)?.root ?? name;
  const pinned = new Set([...p.source.inputs.map((i) => i.name), ...p.outputs.values()].map(rootOf));
  const lastRead = new Map<string, number>();
  p.kernels.forEach((k, i) => { for (const name of reads(k)) lastRead.set(rootOf(name), i); });
  p.kernels.forEach((k, i) => {
    const rule = IN_PLACE[k.kind];
    if (!rule) return;
    const node = k.graph.nodes.find((n) => n.op === k.kind)!;
    const input = k.graph.inputs.find((x) => x.id === node.args[rule[0]]);
    const output = k.graph.outputs.find((x) => x.id === node.results[rule[1]]);
    if (!input || !output) return;
    const [from, to] = [rootOf(input.name), rootOf(output.name)];
    const [a, b] = [buffers.get(from)?.type, buffers.get(to)?.type];
    if (!a || !b || pinned.has(from) || pinned.has(to) || lastRead.get(from) !== i) return;
    if (DTYPES[a.dtype].bits !== DTYPES[b.dtype].bits || shapeNumel(a.shape) !== shapeNumel(b.shape)) return;
    for (const [name, buffer] of buffers) if (buffer.root === to) buffers.set(name, { ...buffer, root: from });
  });
  return { ...p, buffers };
}
