// Kernels and inputs for the anchor-template lab and tests: one-node kernels built as partition builds them (reading
// an operand through a reshape when asked), the template kernels of the tiny-llama train step, and seeded inputs that
// are valid for each operand's role: ids below the vocabulary, labels with some ignore_index, packed positions that
// restart, a non-negative second moment, a step of 3, 4-bit codes with positive scales.
// Invariant: deterministic (compiler/random.ts): the same kernel and seed give the same tensors on every machine.

import { join } from "node:path";
import { makeRandom, type Random } from "../../../../compiler/random.ts";
import { anchorOf, numel, type Anchor, type StaticType } from "../../../../backends/cuda/templates/anchor.ts";
import { ANCHOR_TEMPLATES, hasTemplate } from "../../../../backends/cuda/templates/index.ts";
import { partition, type Kernel } from "../../../../backends/schedule/partition.ts";
import { GraphBuilder } from "../../../../ir/builder.ts";
import type { DType } from "../../../../ir/dtype.ts";
import type { Attrs } from "../../../../ir/graph.ts";
import type { OpName } from "../../../../ir/ops/index.ts";
import { fromArray, type Tensor } from "../../../../ir/tensor.ts";
import { documentRanges, prefixLmRanges } from "../../../harness/documents.ts";
import { specializedTrainStep } from "../../../harness/train-step.ts";

type Operand = readonly [DType, readonly number[]];

/**
 * A schedule-style kernel of one `op` node over fresh inputs. `stored[i]`, when given, is the shape operand i is
 * stored with; the kernel then reads it through a reshape, as partition does for aliased buffers.
 */
export function kernelOf(op: OpName, operands: readonly Operand[], attrs: Attrs = {},
  stored: readonly (readonly number[] | undefined)[] = []): Kernel {
  const b = new GraphBuilder(`k_${op}`);
  const inputs = operands.map(([dtype, shape], i) => b.input(`x${i}`, dtype, stored[i] ?? shape));
  const args = inputs.map((v, i) => (stored[i] ? b.op("reshape", [v], { shape: [...operands[i]![1]] }) : v));
  b.ops(op, args, attrs).forEach((r, i) => b.output(`y${i}`, r));
  return { name: `k_${op}`, kind: op, graph: b.build() };
}

function uniform(rand: Random, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

function integers(rand: Random, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo)));
}

/** Positions of packed documents: each row restarts at 0 at a few random places. */
function packedPositions(rand: Random, t: StaticType): number[] {
  const len = t.shape.at(-1)!;
  return Array.from({ length: numel(t.shape) }, (_, i) => i % len).reduce<number[]>((out, col) => {
    out.push(col === 0 || rand() < 0.05 ? 0 : out.at(-1)! + 1);
    return out;
  }, []);
}

/** Segment ids that never decrease along a row: a new document at about one position in 20. */
function packedIds(rand: Random, t: StaticType): number[] {
  const len = t.shape.at(-1)!;
  return Array.from({ length: numel(t.shape) }, (_, i) => i % len).reduce<number[]>((out, col) => {
    out.push(col === 0 ? 0 : out.at(-1)! + (rand() < 0.05 ? 1 : 0));
    return out;
  }, []);
}

/** Document ranges [start, end) per position (pairs) of packedIds' documents. */
function packedRanges(rand: Random, t: StaticType): number[] {
  const [rows, len] = t.shape as [number, number];
  return [...documentRanges(packedIds(rand, { ...t, shape: [rows, len] }), rows, len)];
}

/** Running counts of trained positions along each row of [rows, len]: a position is trained with probability 0.3. */
function runningCounts(rand: Random, rows: number, len: number): number[] {
  return Array.from({ length: rows * len }, (_, i) => i % len).reduce<number[]>((out, col) => {
    out.push((col === 0 ? 0 : out.at(-1)!) + (rand() < 0.3 ? 1 : 0));
    return out;
  }, []);
}

/** Ranges [B, T, 2 or 4]: packedRanges, or prefix-LM ranges of them with runningCounts' prompts. */
function packedRangesOfWidth(rand: Random, t: StaticType): number[] {
  const [rows, len, width] = t.shape as [number, number, number];
  const ranges = packedRanges(rand, t);
  return width === 2 ? ranges : [...prefixLmRanges(ranges, runningCounts(rand, rows, len), rows, len)];
}

/** Valid values for operand `i` of the anchor node. */
function operandValues(a: Anchor, i: number, rand: Random): number[] {
  const t = a.args[i]!;
  const n = numel(t.shape);
  const attrs = a.node.attrs;
  switch (`${a.node.op}:${i}`) {
    case "embedding:1": return integers(rand, n, 0, a.args[0]!.shape[0]!);
    case "embedding_grad:0": return integers(rand, n, 0, attrs["num_embeddings"] as number);
    case "cross_entropy:1": case "cross_entropy_grad:1": {
      const ignore = attrs["ignore_index"] as number;
      return integers(rand, n, 0, a.args[0]!.shape.at(-1)!).map((v) => (rand() < 0.125 ? ignore : v));
    }
    case "gather:1": {
      const axis = attrs["axis"] as number;
      return integers(rand, n, 0, a.args[0]!.shape.at(axis)!);
    }
    case "rope_tables:0": case "segment_ids:0": return packedPositions(rand, t);
    case "document_ranges:0": return packedIds(rand, t);
    case "block_mask:0": return packedRangesOfWidth(rand, t);
    case "prefix_lm_ranges:0": return packedRanges(rand, t);
    case "prefix_lm_ranges:1": return runningCounts(rand, t.shape[0]!, t.shape[1]!);
    case "adamw:3": return uniform(rand, n, 0, 1e-3);
    case "adamw:4": return [1e-2];
    case "adamw:5": return [3];
    case "adamw:6": return [0.125];
    case "dequantize:0": return integers(rand, n, 0, 16);
    case "dequantize:1": return uniform(rand, n, 0.5, 1.5);
  }
  if (t.dtype === "bool") return integers(rand, n, 0, 2);
  if (t.dtype.startsWith("i") || t.dtype === "u8") return integers(rand, n, -3, 4);
  const spread = ["softmax", "logsumexp", "cross_entropy", "cross_entropy_grad"].includes(a.node.op) ? 4 : 1;
  return uniform(rand, n, -spread, spread);
}

/** Inputs for a kernel, by graph input name; `overrides[i]` replaces the values of operand i. */
export function inputsFor(kernel: Kernel, seed: string,
  overrides: Readonly<Record<number, readonly number[]>> = {}): Record<string, Tensor> {
  const a = anchorOf(kernel, kernel.kind as OpName);
  const rand = makeRandom(seed);
  const inputs: Record<string, Tensor> = {};
  kernel.graph.inputs.forEach((input, k) => {
    const i = a.args.findIndex((s) => s.param === `in${k}`);
    const type = kernel.graph.types[input.id]!;
    const values = overrides[i] ?? operandValues(a, i, rand);
    inputs[input.name] = fromArray(type.dtype, type.shape as number[], values);
  });
  return inputs;
}

/** The template kernels of the tiny-llama train step in `dtype`, one per distinct rendered kernel. */
export function tinyLlamaKernels(dtype: "f32" | "bf16"): Kernel[] {
  const { module } = specializedTrainStep(join(import.meta.dirname, "../../../../examples/tiny-llama/model"), { dtype },
    { B: 16, T: 32 }, {
      adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      schedule: { schedule: "cosine", lr: 3e-3, warmupSteps: 20, totalSteps: 2000 },
      maxGradNorm: 1,
    });
  const seen = new Set<string>();
  return module.graphs.flatMap((g) => partition(g).kernels).filter((k) => {
    if (!hasTemplate(k.kind)) return false;
    const name = ANCHOR_TEMPLATES[k.kind](k).name;
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

export function describeKernel(k: Kernel): string {
  const a = anchorOf(k, k.kind as OpName);
  return `${k.kind} ${a.args.map((s) => `${s.dtype}[${s.shape.join(",")}]`).join(" ")}`;
}

