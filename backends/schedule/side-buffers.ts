// Side buffers: results a kernel template produces beyond its op's meaning, kept for a later kernel. Today one
// case: FlashAttention's backward pass needs the forward's output and log-sum-exp (f32 [B,Hq,T]), so each
// attention_grad kernel is paired with the attention kernel of the same q, k, v, documents and attributes; the forward
// writes `lse.<out>` and the backward reads the forward's output and that buffer. The memory plan sees these reads
// and writes (Kernel.extraReads / extraWrites), so the buffers live until the backward kernel. An attention kernel
// with no backward (a forward-only graph such as @eval_step) writes its lse all the same, into a buffer nobody reads,
// so every attention kernel has the same parameters.
// Scratch: buffers a target's kernels of one schedule kernel pass between them (attention's backward pass runs as
// several kernels); addScratch makes them extra writes of that kernel, f32, living only inside it.
// Invariants: an attention_grad kernel without its forward is an error (the train step always has both); every
// attention kernel has exactly one extra write, its lse.

import type { Attrs } from "../../ir/graph.ts";
import type { Buffer, Kernel, Partition } from "./partition.ts";

/** The name of the log-sum-exp buffer an attention kernel writes beside output buffer `out`. */
export function lseBuffer(out: string): string {
  return `lse.${out}`;
}

function signature(kernel: Kernel, operands: number): string {
  const node = kernel.graph.nodes.find((n) => n.op === kernel.kind)!;
  const names = node.args.map((a) => kernel.graph.inputs.find((i) => i.id === a)!.name);
  const attrs: Attrs = node.attrs;
  const keep = names.filter((_, i) => i < 3 || i === operands);
  return JSON.stringify([keep, Object.entries(attrs).sort()]);
}

/** Adds the attention side buffers to a partition. */
export function addSideBuffers(p: Partition): Partition {
  const forwards = new Map<string, Kernel>();
  for (const k of p.kernels) if (k.kind === "attention") forwards.set(signature(k, 3), k);
  const buffers = new Map<string, Buffer>(p.buffers);
  for (const forward of p.kernels.filter((k) => k.kind === "attention")) {
    const out = forward.graph.outputs[0]!.name;
    const [b, t, h] = forward.graph.types[forward.graph.outputs[0]!.id]!.shape as number[];
    buffers.set(lseBuffer(out), { name: lseBuffer(out), type: { dtype: "f32", shape: [b!, h!, t!] }, root: lseBuffer(out) });
  }
  const kernels = p.kernels.map((k) => {
    if (k.kind === "attention") return { ...k, extraWrites: [lseBuffer(k.graph.outputs[0]!.name)] };
    if (k.kind !== "attention_grad") return k;
    const forward = forwards.get(signature(k, 4));
    if (!forward) throw new Error(`${k.name}: no attention kernel with the same q, k, v and attributes to pair with`);
    const out = forward.graph.outputs[0]!.name;
    return { ...k, extraReads: [out, lseBuffer(out)] };
  });
  return { ...p, buffers, kernels };
}

/** A scratch buffer one kernel's target code needs. */
export interface Scratch {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Adds each kernel's scratch buffers (f32) as extra writes of the kernel. */
export function addScratch(p: Partition, scratchOf: (k: Kernel) => readonly Scratch[]): Partition {
  const buffers = new Map<string, Buffer>(p.buffers);
  const kernels = p.kernels.map((k) => {
    const scratch = scratchOf(k);
    if (scratch.length === 0) return k;
    for (const s of scratch) buffers.set(s.name, { name: s.name, type: { dtype: "f32", shape: [...s.shape] }, root: s.name });
    return { ...k, extraWrites: [...(k.extraWrites ?? []), ...scratch.map((s) => s.name)] };
  });
  return { ...p, buffers, kernels };
}

/**
 * The scratch of an attention_grad kernel whose backward pass first writes each query row's statistics, its
 * log-sum-exp and delta, side by side: `stats.<dq>` [B, Hq, Tq, 2] (the wgsl and hip kernels); none for other kernels.
 */
export function rowStatsScratch(kernel: Kernel): Scratch[] {
  if (kernel.kind !== "attention_grad") return [];
  const [B, Tq, Hq] = kernel.graph.types[kernel.graph.inputs[0]!.id]!.shape as number[];
  return [{ name: `stats.${kernel.graph.outputs[0]!.name}`, shape: [B!, Hq!, Tq!, 2] }];
}
