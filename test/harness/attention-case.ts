// A small attention problem for kernel tests: attention and attention_grad of random q, k, v, dout (and documents:
// segment ids in, their document_ranges to the attention, as the packing-masks pass leaves them; with prefix, trained
// flags in too and prefix_lm_ranges of their running count over non-causal attention, as prefix_lm builds it) in one
// graph, with the masks and head layout a case names.

import { GraphBuilder } from "../../ir/builder.ts";
import type { Graph } from "../../ir/graph.ts";

export interface AttentionCase {
  readonly name: string;
  readonly dtype: "f32" | "bf16" | "f16";
  readonly B: number; readonly T: number; readonly Hq: number; readonly Hk: number; readonly D: number;
  readonly causal: boolean; readonly window: number; readonly documents: boolean;
  /** Prefix-LM over the documents (needs documents; the case's causal is then the prefix-LM rule's). */
  readonly prefix?: boolean;
}

/**
 * Outputs out (attention) and dq, dk, dv (attention_grad) of inputs q, k, v, dout [B,T,H,D] and, with documents, seg
 * [B,T] (i32 ids that never decrease); with prefix also trained [B,T] (i32 flags, 0 or 1).
 */
export function attentionCaseGraph(c: AttentionCase): Graph {
  const b = new GraphBuilder("attention_case");
  const [q, k, v, dout] = ([["q", c.Hq], ["k", c.Hk], ["v", c.Hk], ["dout", c.Hq]] as const).map(([name, h]) =>
    b.input(name, c.dtype, [c.B, c.T, h, c.D]));
  const seg = c.documents ? b.input("seg", "i32", [c.B, c.T]) : undefined;
  const trained = c.prefix === true ? b.input("trained", "i32", [c.B, c.T]) : undefined;
  const ranges = seg ? [b.op("document_ranges", [seg])] : [];
  const documents = !trained ? ranges
    : [b.op("prefix_lm_ranges", [ranges[0]!, b.op("cumsum", [trained], { axis: 1 })])];
  const attrs = { causal: c.causal && c.prefix !== true, scale: 1 / Math.sqrt(c.D), window: c.window };
  b.output("out", b.op("attention", [q!, k!, v!, ...documents], attrs));
  const [dq, dk, dv] = b.ops("attention_grad", [q!, k!, v!, dout!, ...documents], attrs);
  b.output("dq", dq!);
  b.output("dk", dk!);
  b.output("dv", dv!);
  return b.build();
}

/** Segment ids that start a new document every `length` positions of each row. */
export function segmentIds(c: AttentionCase, length: number): Int32Array {
  return Int32Array.from({ length: c.B * c.T }, (_, i) => Math.floor((i % c.T) / length));
}

/**
 * Trained flags for a prefix case over segment ids `seg`: each document's first 0 to half of its positions untrained
 * (0, its prompt: the prefix), the rest trained (1); prompt lengths vary with `seed`.
 */
export function trainedFlags(c: AttentionCase, seg: ArrayLike<number>, seed: number): Int32Array {
  const flags = new Int32Array(c.B * c.T).fill(1);
  for (let start = 0; start < flags.length;) {
    let end = start + 1;
    while (end % c.T !== 0 && seg[end] === seg[start]) end++;
    const prompt = ((start * 2654435761 + seed * 40503) >>> 0) % (Math.floor((end - start) / 2) + 1);
    flags.fill(0, start, start + prompt);
    start = end;
  }
  return flags;
}
