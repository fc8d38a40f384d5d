// The CUDA kernel templates of the anchor ops other than matmul and attention: one generator per op, each turning a
// schedule kernel (backends/schedule/partition.ts, kind = the op) into a KernelSource (backends/kernel.ts) whose
// meaning is the op's evaluation in ir/interpret. The host emitter looks a kernel's kind up here.
// Invariants: every generator takes its parameters from kernelParams(kernel.graph); its code needs the CUDA prelude
// (backends/cuda/prelude.ts) and, when it can meet bad data, defines the device error flag of device-error.ts.

import type { KernelSource } from "../../kernel.ts";
import type { Kernel } from "../../schedule/partition.ts";
import { anchorOf, type Anchor } from "./anchor.ts";
import { renderConcat, renderEmbedding, renderGather } from "./copy.ts";
import { renderCrossEntropy, renderCrossEntropyGrad } from "./cross-entropy.ts";
import { renderDequantize } from "./dequantize.ts";
import { renderBlockMask, renderDocumentRanges, renderPrefixLmRanges } from "./documents.ts";
import { renderEmbeddingGrad } from "./embedding-grad.ts";
import { renderAdamw, renderLrSchedule } from "./optim.ts";
import { renderRope, renderRopeTables } from "./rope.ts";
import { renderLogsumexp, renderSoftmax } from "./rows.ts";
import { renderCumsum, renderSegmentIds } from "./scan.ts";

const GENERATORS = {
  softmax: renderSoftmax,
  logsumexp: renderLogsumexp,
  cumsum: renderCumsum,
  concat: renderConcat,
  gather: renderGather,
  embedding: renderEmbedding,
  embedding_grad: renderEmbeddingGrad,
  rope_tables: renderRopeTables,
  rope: renderRope,
  segment_ids: renderSegmentIds,
  document_ranges: renderDocumentRanges,
  prefix_lm_ranges: renderPrefixLmRanges,
  block_mask: renderBlockMask,
  cross_entropy: renderCrossEntropy,
  cross_entropy_grad: renderCrossEntropyGrad,
  adamw: renderAdamw,
  lr_schedule: renderLrSchedule,
  dequantize: renderDequantize,
} as const satisfies Record<string, (a: Anchor) => KernelSource>;

/** The anchor ops these templates render. */
export type TemplateOp = keyof typeof GENERATORS;

/** Kernel generator per anchor op: `ANCHOR_TEMPLATES[kernel.kind](kernel)`. */
export const ANCHOR_TEMPLATES: Readonly<Record<TemplateOp, (kernel: Kernel) => KernelSource>> = Object.freeze(
  Object.fromEntries(Object.entries(GENERATORS).map(([op, render]) =>
    [op, (kernel: Kernel) => render(anchorOf(kernel, op as TemplateOp))])) as Record<TemplateOp, (kernel: Kernel) => KernelSource>,
);

/** Whether a kernel kind has a template here. */
export function hasTemplate(kind: string): kind is TemplateOp {
  return Object.hasOwn(GENERATORS, kind);
}
