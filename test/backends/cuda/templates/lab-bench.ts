// Bench cases of the anchor-template lab (`lab --bench`, GPU only): the representative kernels at Llama 3.2 1B scale
// (B=4, T=4096, a 128256 vocabulary, 2048 channels), with inputs filled on the device so the folder stays small:
// floats as a small positive constant, ids and labels spread over the vocabulary, positions 0..T-1 per row, a step
// of 3. They are timed and checked only for CUDA and device errors (the data is valid, so none may be raised).

import { anchorOf, type Anchor } from "../../../../backends/cuda/templates/anchor.ts";
import type { Kernel } from "../../../../backends/schedule/partition.ts";
import { isFloat } from "../../../../ir/dtype.ts";
import type { OpName } from "../../../../ir/ops/index.ts";
import type { Fill, LabCase } from "./lab.ts";
import { representativeKernels } from "./representative.ts";

/** The byte every float input is filled with: about 0.0115 in f32 and bf16, tiny and positive in f64. */
const FLOAT_BYTE = 0x3c;

/** Spreads indices over [0, bound) without structure a kernel could exploit. */
const spread = (bound: number): Fill => ({ start: 0, stride: 7919, mod: bound });

function operandFill(a: Anchor, i: number): Fill {
  const t = a.args[i]!;
  const attrs = a.node.attrs;
  switch (`${a.node.op}:${i}`) {
    case "embedding:1": return spread(a.args[0]!.shape[0]!);
    case "embedding_grad:0": return spread(attrs["num_embeddings"] as number);
    case "cross_entropy:1": case "cross_entropy_grad:1": return spread(a.args[0]!.shape.at(-1)!);
    case "gather:1": return spread(a.args[0]!.shape.at(attrs["axis"] as number)!);
    case "rope_tables:0": case "segment_ids:0": case "document_ranges:0": return { start: 0, stride: 1, mod: t.shape.at(-1)! };
    case "block_mask:0": return { start: 0, stride: 1, mod: t.shape.at(-2)! };
    case "adamw:5": case "lr_schedule:0": return { start: 3, stride: 0, mod: 1 };
  }
  return { byte: isFloat(t.dtype) ? FLOAT_BYTE : 1 };
}

function benchCase(label: string, kernel: Kernel): LabCase {
  const a = anchorOf(kernel, kernel.kind as OpName);
  const fills = kernel.graph.inputs.map((_, k) => operandFill(a, a.args.findIndex((s) => s.param === `in${k}`)));
  return { name: `bench ${label}`, kernel, inputs: {}, fills };
}

/** Labels of representative kernels too small to time. */
const SMALL = new Set(["softmax-cached", "softmax-lines", "cumsum-lines", "gather", "rope_tables-longrope", "lr_schedule",
  "dequantize-single"]);

/** The bench cases. */
export function benchCases(): LabCase[] {
  return Object.entries(representativeKernels()).filter(([label]) => !SMALL.has(label))
    .map(([label, kernel]) => benchCase(label, kernel));
}
