// From a specialized IR `matmul` (ir/ops/structural.ts: batched a @ b over the last two axes, each optionally
// transposed, leading axes broadcast) to the GemmSpec the generator takes. Leading axes become the batch; an operand
// whose leading axes are all 1 (or absent) is broadcast; a batch over a broadcast B with an untransposed A folds into
// M (one [batch*M, K] x [K, N] GEMM: a linear layer over [B, T, K] activations is one GEMM with M = B*T).
// Invariants: the spec computes exactly what the interpreter's matmul computes for these operand types (plus C_in
// when `accumulate`); shapes the generator cannot express fail with a TraincError naming them.
//
// Error codes defined here (the GEMM generator's range is 5400-5419; see spec.ts and config.ts for the others):
//   5403  a matmul size is still symbolic (the graph was not specialized)
//   5404  the operands' leading axes broadcast only in part (neither fully batched nor fully shared)

import { fail } from "../../../compiler/diagnostics.ts";
import { broadcastShapes, formatShape, type Shape } from "../../../ir/dim.ts";
import type { TensorType } from "../../../ir/graph.ts";
import { gemmSpec, type GemmDtype, type GemmSpec } from "./spec.ts";

/** The matmul attributes (as in the op table). */
export interface MatmulAttrs {
  readonly transpose_a: boolean;
  readonly transpose_b: boolean;
}

/** What the kernel does with the product: its dtype (default: the operands') and whether it adds C_in. */
export interface GemmEpilogue {
  readonly outputDtype?: GemmDtype;
  readonly accumulate?: boolean;
}

function numbers(shape: Shape, what: string): number[] {
  return shape.map((d) => {
    if (typeof d !== "number") {
      fail(5403, `matmul ${what} has the symbolic size ${formatShape(shape)}`,
        "specialize the graph (backends/schedule/specialize.ts) before building GEMM kernels");
    }
    return d;
  });
}

const product = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);

/** The GemmSpec computing matmul(a, b) with `attrs`, followed by `epilogue`. */
export function gemmSpecForMatmul(a: TensorType, b: TensorType, attrs: MatmulAttrs, epilogue: GemmEpilogue = {}): GemmSpec {
  const sa = numbers(a.shape, "lhs");
  const sb = numbers(b.shape, "rhs");
  const [ra, ca] = sa.slice(-2) as [number, number];
  const [rb, cb] = sb.slice(-2) as [number, number];
  const [m, k] = attrs.transpose_a ? [ca, ra] : [ra, ca];
  const n = attrs.transpose_b ? rb : cb;
  const batchA = product(sa.slice(0, -2));
  const batchB = product(sb.slice(0, -2));
  const batchShape = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2)) as number[] | undefined;
  const batch = batchShape === undefined ? Math.max(batchA, batchB) : product(batchShape);
  for (const [count, what] of [[batchA, "lhs"], [batchB, "rhs"]] as const) {
    if (count !== 1 && count !== batch) {
      fail(5404, `matmul ${formatShape(sa)} @ ${formatShape(sb)}: the ${what}'s leading axes are neither the whole ` +
        `batch (${batch}) nor all 1`, "broadcast the operand to the full batch first, or reshape so it is shared by all");
    }
  }
  const dtype = a.dtype as GemmDtype;
  const common = {
    n, k, transposeA: attrs.transpose_a, transposeB: attrs.transpose_b,
    inputDtype: dtype, outputDtype: epilogue.outputDtype ?? dtype, accumulate: epilogue.accumulate ?? false,
  };
  if (batch > 1 && batchB === 1 && !attrs.transpose_a) return gemmSpec({ ...common, m: batch * m, batch: 1 });
  return gemmSpec({ ...common, m, batch, broadcastA: batchA === 1 && batch > 1, broadcastB: batchB === 1 && batch > 1 });
}
