// Renders every schedule kernel for WebGPU: fused and reduce kernels through the C-style generators in the WGSL
// language, matmul through the WGSL GEMM, AdamW, attention and its gradient (the backward pass as three kernels)
// through their templates, each of these at the config the tuning DB chose (else its heuristic), every other anchor op
// through its WGSL template. With `subgroups` (the device offers them),
// workgroup reductions go through subgroup operations (WGSL_SUBGROUPS, and the cross-entropy templates). Kernel
// parameters are schedule buffer names (the anchor templates bind them by role), which is how the host program binds
// them.
// Invariant: a kernel renders to one or more sources, launched in order; a kind without a WGSL kernel fails with
// E5704 naming it.
//
// Error codes defined here:
//   5704  a kernel kind the wgsl target has no kernel for

import { fail } from "../../compiler/diagnostics.ts";
import { renderFused, renderReduce } from "../c-style/fused.ts";
import { fusedSpace, reduceSpace } from "../c-style/space.ts";
import { anchorOf, type Anchor } from "../cuda/templates/anchor.ts";
import type { OpName } from "../../ir/ops/index.ts";
import type { KernelSource } from "../kernel.ts";
import type { Kernel } from "../schedule/partition.ts";
import { UNTUNED, tunedOrHeuristic, type SearchSpace, type Tuned } from "../tunable.ts";
import { renderWgslMatmul, wgslGemmSpace } from "./gemm.ts";
import { WGSL, WGSL_SUBGROUPS } from "./language.ts";
import { renderWgslAttention, renderWgslAttentionGrad, wgslAttentionSpace } from "./templates/attention.ts";
import { renderWgslConcat, renderWgslEmbedding, renderWgslEmbeddingGrad, renderWgslGather } from "./templates/copy.ts";
import { renderWgslCrossEntropy, renderWgslCrossEntropyGrad } from "./templates/loss.ts";
import { renderWgslAdamw, renderWgslLrSchedule, wgslAdamwSpace } from "./templates/optim.ts";
import { renderWgslRope, renderWgslRopeTables } from "./templates/rope.ts";
import { renderWgslLogsumexp, renderWgslSoftmax } from "./templates/rows.ts";
import {
  renderWgslCumsum, renderWgslDocumentRanges, renderWgslPrefixLmRanges, renderWgslSegmentIds,
} from "./templates/scan.ts";

const TEMPLATES: Readonly<Record<string, (a: Anchor, subgroups: boolean) => KernelSource>> = {
  concat: renderWgslConcat,
  gather: renderWgslGather,
  embedding: renderWgslEmbedding,
  embedding_grad: renderWgslEmbeddingGrad,
  cross_entropy: renderWgslCrossEntropy,
  cross_entropy_grad: renderWgslCrossEntropyGrad,
  lr_schedule: renderWgslLrSchedule,
  rope_tables: renderWgslRopeTables,
  rope: renderWgslRope,
  cumsum: renderWgslCumsum,
  segment_ids: renderWgslSegmentIds,
  document_ranges: renderWgslDocumentRanges,
  prefix_lm_ranges: renderWgslPrefixLmRanges,
  softmax: renderWgslSoftmax,
  logsumexp: renderWgslLogsumexp,
};

/** The search space of a schedule kernel on wgsl; undefined for a kernel whose template has no tunable config. */
export function wgslSearchSpace(kernel: Kernel, subgroups = false): SearchSpace | undefined {
  const language = subgroups ? WGSL_SUBGROUPS : WGSL;
  switch (kernel.kind) {
    case "fused": return fusedSpace(kernel, language);
    case "reduce": return reduceSpace(kernel, language);
    case "matmul": return wgslGemmSpace(kernel);
    case "adamw": return wgslAdamwSpace(kernel);
    case "attention": case "attention_grad": return wgslAttentionSpace(kernel);
    default: return undefined;
  }
}

/** The config `tuned` gives an attention or attention_grad kernel; undefined (the default) where it has no space. */
function tunedAttention(kernel: Kernel, tuned: Tuned) {
  const space = wgslAttentionSpace(kernel);
  return space && tunedOrHeuristic(space, tuned);
}

/** The WGSL sources of one schedule kernel, in launch order, tunable ones with the config `tuned` gives. */
export function renderWgslKernel(kernel: Kernel, subgroups = false, tuned: Tuned = UNTUNED): KernelSource[] {
  const language = subgroups ? WGSL_SUBGROUPS : WGSL;
  switch (kernel.kind) {
    case "fused": return [renderFused(kernel, language, tunedOrHeuristic(fusedSpace(kernel, language), tuned))];
    case "reduce": return [renderReduce(kernel, language, tunedOrHeuristic(reduceSpace(kernel, language), tuned))];
    case "matmul": return [renderWgslMatmul(kernel, tunedOrHeuristic(wgslGemmSpace(kernel), tuned))];
    case "attention": return [renderWgslAttention(kernel, tunedAttention(kernel, tuned))];
    case "attention_grad": return renderWgslAttentionGrad(kernel, tunedAttention(kernel, tuned));
    case "adamw": return renderWgslAdamw(anchorOf(kernel, "adamw"), tunedOrHeuristic(wgslAdamwSpace(kernel), tuned));
  }
  const template = TEMPLATES[kernel.kind];
  if (!template) {
    fail(5704, `${kernel.name}: the wgsl target has no kernel for ${kernel.kind} yet`,
      `train this model with --target cuda or cpu; the wgsl kernels cover ${["fused", "reduce", "matmul", "attention", "adamw",
        ...Object.keys(TEMPLATES)].join(", ")}`);
  }
  return [template(anchorOf(kernel, kernel.kind as OpName), subgroups)];
}
