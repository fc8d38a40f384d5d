// The documents operand of a scheduled attention kernel, as every target's fused kernels take it: document ranges
// [B,T,2] (passes/packing-masks.ts makes them from segment_ids) or prefix-LM ranges [B,T,4] (prefix_lm_ranges,
// compiler/import/hf/forward.ts with prefix_lm): a kernel owning queries reads their keys from the first pair, one
// owning keys their queries from the second. Segment ids of any other origin may repeat out of
// order, which ranges cannot express, so such attention runs only unfused (attn_implementation: sdpa or eager).
//
// Error codes defined here:
//   5310  a fused attention whose documents are segment ids, not ranges

import { fail } from "../../compiler/diagnostics.ts";
import { attentionDocuments } from "../../ir/ops/model.ts";
import type { Kernel } from "./partition.ts";

/** Whether an `attention` or `attention_grad` kernel has documents; fails with 5310 when they are segment ids. */
export function hasDocumentRanges(kernel: Kernel): boolean {
  const node = kernel.graph.nodes.find((n) => n.op === kernel.kind)!;
  const documents = attentionDocuments(node);
  if (documents !== undefined && kernel.graph.types[documents]!.shape.length !== 3) {
    fail(5310, `${kernel.name}: attention whose documents are segment ids has no fused kernel; the kernels read ` +
      "document ranges [B,T,2]", "build the graph through the compiler pipeline (its packing-masks pass gives " +
      "attention over segment_ids document_ranges of them); ids of another origin run only unfused " +
      "(attn_implementation: sdpa)");
  }
  return documents !== undefined;
}

/** Whether the documents of an `attention` or `attention_grad` kernel are prefix-LM ranges [B,T,4]. */
export function hasPrefixLmRanges(kernel: Kernel): boolean {
  const documents = attentionDocuments(kernel.graph.nodes.find((n) => n.op === kernel.kind)!);
  return hasDocumentRanges(kernel) && kernel.graph.types[documents!]!.shape[2] === 4;
}
