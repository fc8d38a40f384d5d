// Renders every schedule kernel for CUDA: fused and reduce kernels through the C-style generators, matmul through the
// GEMM generator, with cuBLASLt as a second candidate (the DB's algorithm, or the program's choice at run time), each
// of these and the AdamW update at the config the tuning DB chose (else its heuristic), attention and its gradient
// through the FlashAttention generators (at xformers' tiles and split-key walk for the xformers lowering), every other
// anchor op through its template. Generators name their parameters their own way (a, b, c; q, k, v, lse, ...): this
// file renames them to the schedule's buffer names, which is how the host emitter binds them.
// Invariants: every returned KernelSource's params name schedule buffers; a kernel may render to several sources,
// launched in order (attention's backward pass).
//
// Error codes defined here:
//   5308  attention whose value head dim differs from the query's (the FlashAttention kernels assume they are equal)

import { fail } from "../../compiler/diagnostics.ts";
import { renderFused, renderReduce } from "../c-style/fused.ts";
import { fusedSpace, reduceSpace } from "../c-style/space.ts";
import { TUNED_GENERATED, type KernelParam, type KernelSource, type LibraryGemm } from "../kernel.ts";
import { UNTUNED, tunedOrHeuristic, type SearchSpace, type Tuned } from "../tunable.ts";
import type { Kernel } from "../schedule/partition.ts";
import {
  attentionBuffers, loweringConfigs, renderAttentionBackward, renderAttentionForward, type AttentionConfig, type AttentionSpec,
} from "./attention/index.ts";
import { attentionSpace } from "./attention/space.ts";
import type { ArchFeatures } from "./build.ts";
import { gemmSpecForMatmul } from "./gemm/from-matmul.ts";
import type { GemmConfig } from "./gemm/config.ts";
import { cudaGemmSpace, libraryAlgo } from "./gemm/space.ts";
import { gemmFlagCount, renderGemm } from "./gemm/render.ts";
import type { GemmSpec } from "./gemm/spec.ts";
import { CUDA } from "./language.ts";
import { ANCHOR_TEMPLATES, hasTemplate } from "./templates/index.ts";
import { anchorOf, numel } from "./templates/anchor.ts";
import { adamwSpace, renderAdamw } from "./templates/optim.ts";
import { attentionBlocks } from "../../ir/ops/model.ts";
import { hasDocumentRanges, hasPrefixLmRanges } from "../schedule/documents.ts";

function renamed(source: KernelSource, names: Readonly<Record<string, string>>): KernelSource {
  const params = source.params.map((p): KernelParam => {
    const name = names[p.name];
    if (name === undefined) throw new Error(`${source.name}: no buffer for parameter '${p.name}'`);
    return { ...p, name };
  });
  return { ...source, params };
}

function anchorNode(kernel: Kernel) {
  const node = kernel.graph.nodes.find((n) => n.op === kernel.kind);
  if (!node) throw new Error(`${kernel.name}: no ${kernel.kind} node`);
  return node;
}

function inputName(kernel: Kernel, value: number): string {
  return kernel.graph.inputs.find((i) => i.id === value)!.name;
}

/** Workspace cuBLASLt may use for one GEMM (the host's workspace arena holds at least this beside a matmul). */
export const CUBLASLT_WORKSPACE_BYTES = 32 * 1024 * 1024;

/** The cuBLASLt candidate of a generated GEMM: the same spec on the same buffers (a plain store, never `+= C`). */
export function libraryGemmOf(spec: GemmSpec, buffers: { a: string; b: string; c: string }): LibraryGemm {
  if (spec.accumulate) throw new Error("a GEMM adding into C has no cuBLASLt candidate (C_in is a separate buffer)");
  const { m, n, k, batch, transposeA, transposeB, broadcastA, broadcastB, inputDtype, outputDtype } = spec;
  return {
    m, n, k, batch, transposeA, transposeB, broadcastA, broadcastB, inputDtype, outputDtype, ...buffers,
    workspaceBytes: CUBLASLT_WORKSPACE_BYTES,
  };
}

/** The search space of a `matmul` kernel: generated GEMM configs and cuBLASLt's algorithms (gemm/space.ts). */
export function cudaMatmulSpace(kernel: Kernel): SearchSpace {
  const node = anchorNode(kernel);
  const [a, b] = node.args.map((v) => kernel.graph.types[v]!);
  const spec = gemmSpecForMatmul(a!, b!, { transpose_a: node.attrs["transpose_a"] as boolean, transpose_b: node.attrs["transpose_b"] as boolean });
  const names = { a: inputName(kernel, node.args[0]!), b: inputName(kernel, node.args[1]!), c: kernel.graph.outputs[0]!.name };
  const render = (config: GemmConfig): KernelSource => {
    const source = renderGemm(spec, config);
    const flags = gemmFlagCount(spec, config);
    const params = source.params.filter((p) => p.name !== "flags");
    return {
      ...renamed({ ...source, params }, names), ...(flags > 0 ? { workspaceBytes: flags * 4 } : {}),
      libraryGemm: libraryGemmOf(spec, names),
    };
  };
  return cudaGemmSpace(kernel, spec, render, (source, algo) => ({ ...source, libraryGemm: { ...source.libraryGemm!, tuned: algo } }));
}

/**
 * A matmul kernel at the config `tuned` gives: a generated config renders that kernel, marked so the program runs it
 * untimed; a cuBLASLt algorithm is marked on the heuristic kernel; untuned, the heuristic kernel, timed against
 * cuBLASLt at run time.
 */
function renderMatmul(kernel: Kernel, tuned: Tuned): KernelSource[] {
  const space = cudaMatmulSpace(kernel);
  const chosen = tuned(space);
  const [source] = space.render(chosen ?? space.heuristic);
  if (chosen === undefined || libraryAlgo(chosen) !== undefined) return [source!];
  return [{ ...source!, libraryGemm: { ...source!.libraryGemm!, tuned: TUNED_GENERATED } }];
}

/** The attention spec of an `attention` or `attention_grad` kernel. */
export function attentionSpec(kernel: Kernel): AttentionSpec {
  const node = anchorNode(kernel);
  const [q, k, v] = node.args.map((a) => kernel.graph.types[a]!.shape as number[]);
  if (v![3] !== q![3]) {
    fail(5308, `${kernel.name}: attention with a value head dim (${v![3]}) different from the query's (${q![3]}) has no CUDA kernel`,
      "use a model whose value and query head dims are equal, or train with --target cpu");
  }
  return {
    dtype: kernel.graph.types[node.args[0]!]!.dtype as AttentionSpec["dtype"],
    B: q![0]!, Tq: q![1]!, Hq: q![2]!, D: q![3]!, Tk: k![1]!, Hk: k![2]!,
    causal: node.attrs["causal"] as boolean, scale: node.attrs["scale"] as number, window: node.attrs["window"] as number,
    documents: hasDocumentRanges(kernel),
    prefix: hasPrefixLmRanges(kernel),
    blocks: attentionBlocks(node) !== undefined,
  };
}

/** Names of the scratch buffers an attention_grad kernel needs (added to the schedule by backends/cuda/program.ts). */
export function attentionScratch(kernel: Kernel): { name: string; role: string; shape: readonly number[] }[] {
  const dq = kernel.graph.outputs[0]!.name;
  return attentionBuffers(attentionSpec(kernel)).filter((b) => b.role === "scratch")
    .map((b) => ({ name: `${b.name}.${dq}`, role: b.name, shape: b.shape }));
}

/** The sources of an attention or attention_grad kernel at `config`, renamed to the schedule's buffers. */
function renderAttentionAt(kernel: Kernel, config: AttentionConfig): KernelSource[] {
  const node = anchorNode(kernel);
  const spec = attentionSpec(kernel);
  const arg = (i: number) => inputName(kernel, node.args[i]!);
  if (kernel.kind === "attention") {
    const names: Record<string, string> = { q: arg(0), k: arg(1), v: arg(2), out: kernel.graph.outputs[0]!.name, lse: kernel.extraWrites![0]! };
    if (spec.documents) names["ranges"] = arg(3);
    if (spec.blocks) names["blocks"] = arg(4);
    return [renamed(renderAttentionForward(spec, config), names)];
  }
  const [dq, dk, dv] = kernel.graph.outputs.map((o) => o.name);
  const names: Record<string, string> = {
    q: arg(0), k: arg(1), v: arg(2), dout: arg(3), out: kernel.extraReads![0]!, lse: kernel.extraReads![1]!, dq: dq!, dk: dk!, dv: dv!,
  };
  if (spec.documents) names["ranges"] = arg(4);
  if (spec.blocks) names["blocks"] = arg(5);
  for (const s of attentionScratch(kernel)) names[s.role] = s.name;
  return renderAttentionBackward(spec, config).map((source) => renamed(source, names));
}

/** The lowering's configs of an attention or attention_grad kernel for an arch with `features`. */
function loweringConfig(kernel: Kernel, features: ArchFeatures): { config: AttentionConfig; tunable: boolean } {
  const lowering = anchorNode(kernel).attrs["lowering"];
  const configs = loweringConfigs(attentionSpec(kernel), lowering, features.wgmma);
  return { config: kernel.kind === "attention" ? configs.forward : configs.backward, tunable: lowering !== "xformers" };
}

/**
 * The search space of an attention or attention_grad kernel (attention/space.ts); undefined for the xformers
 * lowering, whose tiles and walk are xformers' own, and for prefix-LM ranges and block tables (flex), which random
 * inputs cannot stand for.
 */
export function cudaAttentionSpace(kernel: Kernel, features: ArchFeatures): SearchSpace | undefined {
  const { config, tunable } = loweringConfig(kernel, features);
  const spec = attentionSpec(kernel);
  if (!tunable || spec.prefix || spec.blocks) return undefined;
  const node = anchorNode(kernel);
  const rows = spec.B * spec.Hq * spec.Tq;
  const sides = kernel.kind === "attention"
    ? [{ name: kernel.extraWrites![0]!, count: rows, scratch: false }]
    : [{ name: kernel.extraReads![0]!, count: rows * spec.D, scratch: false }, { name: kernel.extraReads![1]!, count: rows, scratch: false },
      ...attentionScratch(kernel).map((s) => ({ name: s.name, count: numel(s.shape), scratch: true }))];
  const documentRanges = spec.documents
    ? { name: inputName(kernel, node.args[kernel.kind === "attention" ? 3 : 4]!), tokens: spec.Tq } : undefined;
  return attentionSpace(kernel, spec, features.wgmma, config, (c) => renderAttentionAt(kernel, c),
    { sideBuffers: sides, ...(documentRanges ? { documentRanges } : {}) });
}

function renderAttention(kernel: Kernel, features: ArchFeatures, tuned: Tuned): KernelSource[] {
  const space = cudaAttentionSpace(kernel, features);
  const chosen = space && tuned(space);
  return chosen ? space.render(chosen) : renderAttentionAt(kernel, loweringConfig(kernel, features).config);
}

/**
 * The search space of a schedule kernel on cuda for an arch with `features`; undefined for a kernel whose template has
 * no tunable config.
 */
export function cudaSearchSpace(kernel: Kernel, features: ArchFeatures): SearchSpace | undefined {
  switch (kernel.kind) {
    case "attention": case "attention_grad": return cudaAttentionSpace(kernel, features);
    case "fused": return fusedSpace(kernel, CUDA);
    case "reduce": return reduceSpace(kernel, CUDA);
    case "matmul": return cudaMatmulSpace(kernel);
    case "adamw": return adamwSpace(kernel);
    default: return undefined;
  }
}

/** The CUDA sources of one schedule kernel for an arch with `features`, in launch order, tunable ones as `tuned` says. */
export function renderKernel(kernel: Kernel, features: ArchFeatures, tuned: Tuned = UNTUNED): KernelSource[] {
  switch (kernel.kind) {
    case "fused": return [renderFused(kernel, CUDA, tunedOrHeuristic(fusedSpace(kernel, CUDA), tuned))];
    case "reduce": return [renderReduce(kernel, CUDA, tunedOrHeuristic(reduceSpace(kernel, CUDA), tuned))];
    case "adamw": return [renderAdamw(anchorOf(kernel, "adamw"), tunedOrHeuristic(adamwSpace(kernel), tuned))];
    case "matmul": return renderMatmul(kernel, tuned);
    case "attention": case "attention_grad": return renderAttention(kernel, features, tuned);
    default:
      if (!hasTemplate(kernel.kind)) throw new Error(`${kernel.name}: no CUDA template for ${kernel.kind}`);
      return [ANCHOR_TEMPLATES[kernel.kind](kernel)];
  }
}
