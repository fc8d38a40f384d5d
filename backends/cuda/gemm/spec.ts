// What one generated GEMM computes: C[b] = op(A)[b] · op(B)[b] (+ C_in[b]) over a static batch, row-major, with f32
// accumulation. op(A) is [M,K] (stored [K,M] when transposed), op(B) is [K,N] (stored [N,K] when transposed); an
// operand broadcast over the batch is stored once (batch stride 0). The schedule builds a GemmSpec from a `matmul`
// node (plus an `add` it fused into the epilogue for gradient accumulation) once B and T are numbers.
// Invariants: a spec returned by `gemmSpec` has positive integer sizes, a supported dtype pair, and fits a CUDA grid.
//
// Error codes defined here (the GEMM generator uses 5400-5419; from-matmul.ts and config.ts hold the others):
//   5400  a size (m, n, k, batch) is not a positive integer
//   5401  unsupported dtype combination (inputs bf16, f16 or f32; the output the inputs' dtype or f32)
//   5402  batch larger than a CUDA grid allows

import { fail } from "../../../compiler/diagnostics.ts";
import type { GemmShape } from "../../kernel.ts";

/** Element types the GEMM reads (A, B) and writes (C). */
export type GemmDtype = GemmShape["inputDtype"];

const GEMM_DTYPES: readonly string[] = ["bf16", "f16", "f32"] satisfies readonly GemmDtype[];

/** One generated GEMM: the problem (backends/kernel.ts) and whether it adds into C. */
export interface GemmSpec extends GemmShape {
  /** C = C_in + op(A)·op(B), C_in a separate buffer that may be C itself (gradient accumulation). */
  readonly accumulate: boolean;
}

/** The sizes a spec must give; every other field has a default (plain, unbatched, bf16 in and out, store). */
export type GemmSpecFields = Pick<GemmSpec, "m" | "n" | "k"> & Partial<GemmSpec>;

/** Largest grid.y / grid.z CUDA allows (the batch runs along grid.z). */
export const MAX_GRID_YZ = 65535;

/** A validated spec with defaults filled in. */
export function gemmSpec(fields: GemmSpecFields): GemmSpec {
  const spec: GemmSpec = {
    batch: 1, transposeA: false, transposeB: false, broadcastA: false, broadcastB: false,
    inputDtype: "bf16", outputDtype: "bf16", accumulate: false, ...fields,
  };
  validateGemmSpec(spec);
  return spec;
}

/** Throws a TraincError (5400-5402) naming the field when the spec cannot be generated. */
export function validateGemmSpec(spec: GemmSpec): void {
  for (const key of ["m", "n", "k", "batch"] as const) {
    const value = spec[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      fail(5400, `GEMM ${key} = ${value} is not a positive integer`,
        "specialize the graph first (every size a number) and drop empty matmuls before scheduling");
    }
  }
  for (const key of ["inputDtype", "outputDtype"] as const) {
    if (!GEMM_DTYPES.includes(spec[key])) {
      fail(5401, `${describeGemm(spec)}: ${key} ${String(spec[key])} is not supported (bf16, f16 or f32)`,
        "cast the operands to bf16, f16 or f32 before the matmul");
    }
  }
  if (spec.outputDtype !== "f32" && spec.outputDtype !== spec.inputDtype) {
    fail(5401, `${describeGemm(spec)}: ${spec.inputDtype} inputs with a ${spec.outputDtype} output are not generated`,
      `compute the GEMM into f32 or ${spec.inputDtype} and cast the result`);
  }
  if (spec.batch > MAX_GRID_YZ) {
    fail(5402, `${describeGemm(spec)}: batch ${spec.batch} exceeds the CUDA grid limit ${MAX_GRID_YZ}`,
      "fold the batch into M when B is broadcast, or split the batch into several launches");
  }
}

/** A short human description: `gemm bf16->f32 [4x] M=16384 N=2048 K=2048 (A^T, B broadcast, +=C)`. */
export function describeGemm(spec: GemmSpec): string {
  const notes = [
    spec.transposeA ? "A^T" : "", spec.transposeB ? "B^T" : "",
    spec.broadcastA ? "A broadcast" : "", spec.broadcastB ? "B broadcast" : "", spec.accumulate ? "+=C" : "",
  ].filter((s) => s !== "");
  const batch = spec.batch > 1 ? ` [${spec.batch}x]` : "";
  const tail = notes.length > 0 ? ` (${notes.join(", ")})` : "";
  return `gemm ${spec.inputDtype}->${spec.outputDtype}${batch} M=${spec.m} N=${spec.n} K=${spec.k}${tail}`;
}

/** Bytes of one element. */
export function dtypeBytes(dtype: GemmDtype): number {
  return dtype === "f32" ? 4 : 2;
}

/**
 * How an operand sits in global memory, as a row-major [rows, cols] matrix per batch entry. `kMajor` means K is the
 * contiguous axis (A not transposed, B transposed); otherwise M (for A) or N (for B) is.
 */
export interface OperandLayout {
  readonly kMajor: boolean;
  readonly rows: number;
  readonly cols: number;
  /** Elements between consecutive batch entries (0 when broadcast). */
  readonly batchStride: number;
}

/** Global layout of A. */
export function layoutA(spec: GemmSpec): OperandLayout {
  const kMajor = !spec.transposeA;
  return {
    kMajor, rows: kMajor ? spec.m : spec.k, cols: kMajor ? spec.k : spec.m,
    batchStride: spec.broadcastA ? 0 : spec.m * spec.k,
  };
}

/** Global layout of B. */
export function layoutB(spec: GemmSpec): OperandLayout {
  const kMajor = spec.transposeB;
  return {
    kMajor, rows: kMajor ? spec.n : spec.k, cols: kMajor ? spec.k : spec.n,
    batchStride: spec.broadcastB ? 0 : spec.k * spec.n,
  };
}

/** Useful floating-point operations of one launch: 2·M·N·K per batch entry, plus M·N adds when accumulating. */
export function gemmFlops(spec: GemmSpec): number {
  const perEntry = 2 * spec.m * spec.n * spec.k + (spec.accumulate ? spec.m * spec.n : 0);
  return spec.batch * perEntry;
}

/** Bytes one launch must move at the least: A and B read once (once in all when broadcast), C_in read, C written. */
export function gemmBytes(spec: GemmSpec): number {
  const input = dtypeBytes(spec.inputDtype);
  const output = dtypeBytes(spec.outputDtype);
  const a = (spec.broadcastA ? 1 : spec.batch) * spec.m * spec.k * input;
  const b = (spec.broadcastB ? 1 : spec.batch) * spec.k * spec.n * input;
  const c = spec.batch * spec.m * spec.n * output * (spec.accumulate ? 2 : 1);
  return a + b + c;
}
