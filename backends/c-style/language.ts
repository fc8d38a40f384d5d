// What a C-like target language must say for trainc's generated fused kernels: its names for storage and compute
// types, how values convert between them, how each elementwise op is written, and its kernel boilerplate. CUDA, HIP
// and WGSL each provide one of these tables (backends/<target>/language.ts); the fused-kernel generators in this folder
// are written once against it.
// Invariant: compute types are float for f32/bf16/f16/f8 (bf16 and narrower are rounded back after every op, so fused
// code means what the interpreter means), double for f64, int64 for i64, int32 for i32/i8/u8 and bool for bool.

import type { DType } from "../../ir/dtype.ts";
import type { OpName } from "../../ir/ops/index.ts";

/** The ops a fused kernel evaluates per element with a language expression. */
export type ExprOp = Extract<OpName,
  | "neg" | "abs" | "exp" | "log" | "sqrt" | "rsqrt" | "reciprocal" | "sigmoid" | "silu" | "tanh" | "sin" | "cos" | "not"
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum" | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and"
  | "or" | "where">;

export type ComputeKind = "float" | "double" | "int64" | "int32" | "bool";

/** Ops every C-like language writes as the same operator: negation, arithmetic, comparisons, logic. */
const OPERATORS = {
  neg: "-", not: "!", add: "+", sub: "-", mul: "*", div: "/", eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=",
  and: "&&", or: "||",
} as const satisfies Partial<Record<ExprOp, string>>;

export type OperatorOp = keyof typeof OPERATORS;

export function isOperator(op: ExprOp): op is OperatorOp {
  return op in OPERATORS;
}

/** An operator op as every C-like language spells it: `(-x)`, `(!x)`, `(x + y)`. */
export function operatorExpr(op: OperatorOp, args: readonly string[]): string {
  return op === "neg" || op === "not" ? `(${OPERATORS[op]}${args[0]})` : `(${args[0]} ${OPERATORS[op]} ${args[1]})`;
}

/**
 * A finite float's digits as C and WGSL read them, without a type suffix: `2.0`, `-1.5e-1`; large whole numbers in
 * exponent form (`-3.4028234663852886e+38`, where `${value}.0` would not parse).
 */
export function floatDigits(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e15 ? `${value}.0` : value.toExponential();
}

/** The compute kind of a dtype (see the invariant above). */
export function computeKind(dtype: DType): ComputeKind {
  switch (dtype) {
    case "f64": return "double";
    case "f32": case "f16": case "bf16": case "f8e4m3": case "f8e5m2": return "float";
    case "i64": return "int64";
    case "bool": return "bool";
    default: return "int32";
  }
}

/** A block-shared array's declaration: inside the kernel (CUDA) or at module scope (WGSL's var<workgroup>). */
export interface SharedDeclaration {
  readonly text: string;
  readonly moduleScope: boolean;
}

/** How a language writes the block-level code of cooperative reductions (CUDA blocks, WGSL workgroups). */
export interface BlockDialect {
  /** Index of this thread in its block, of this block in the grid, and the grid's block count (64-bit-index kind). */
  readonly thread: string;
  readonly block: string;
  readonly count: string;
  /** The statement every thread of a block reaches before any passes (at a block-uniform point). */
  readonly barrier: string;
  /** Declaration of block-shared array `name` of compute kind `kind`, dims outermost first. */
  readonly shared: (kind: ComputeKind, name: string, dims: readonly number[]) => SharedDeclaration;
  /**
   * `value` (of `kind`) summed or maxed over the block's THREADS threads, every thread getting the result, at a
   * block-uniform point: the expression, the shared arrays it uses and module-scope helpers it calls.
   */
  readonly reduce: (op: "sum" | "max", kind: ComputeKind, value: string, threads: number) =>
    { readonly expr: string; readonly shared: readonly SharedDeclaration[]; readonly helpers: string };
  /** Whether blocks may add float partial results into global memory atomically (the split strategies need it). */
  readonly atomics: boolean;
}

export interface Language {
  readonly name: string;
  /** Type of one stored element of a buffer. */
  readonly storageType: (dtype: DType) => string;
  readonly computeType: (kind: ComputeKind) => string;
  /** A stored element (expression `x`) as a compute value. */
  readonly load: (x: string, dtype: DType) => string;
  /** A compute value as the stored type (rounding to nearest even for narrow floats). */
  readonly store: (x: string, dtype: DType) => string;
  /** A compute value rounded as if stored in `dtype` and loaded back (identity for f32/f64/ints). */
  readonly round: (x: string, dtype: DType) => string;
  /** Converts a compute value of kind `from` to kind `to` with the interpreter's cast rules. */
  readonly convert: (x: string, from: ComputeKind, to: ComputeKind) => string;
  /** A literal of a compute kind (handles inf and nan). */
  readonly literal: (value: number, kind: ComputeKind) => string;
  /** The expression of an elementwise op on compute values of kind `kind` (the operands' kind; `where`: the branches'). */
  readonly expr: (op: ExprOp, args: readonly string[], kind: ComputeKind) => string;
  /** A local constant: `const float v0 = e;` in C. */
  readonly declare: (kind: ComputeKind, name: string, value: string) => string;
  /** A local variable with a first value: `float a = e;` in C. */
  readonly declareVar: (kind: ComputeKind, name: string, value: string) => string;
  /** Header (up to its `{`) of a sequential loop of `variable` over [0, count). */
  readonly loop: (variable: string, count: number) => string;
  /** Header (up to its `{`) of a loop of the 64-bit-index kind `variable` from `start` while < `end`, by `step`. */
  readonly rangeLoop: (variable: string, start: string, end: string, step: string) => string;
  /**
   * The block-level code (shared memory, barriers, block reductions) the reduce generator's row and column strategies
   * use; absent, every reduction runs a thread per output.
   */
  readonly blocks?: BlockDialect;
  /** Most threads a block may have on every device of the target (WebGPU's default limit is 256). */
  readonly maxThreads: number;
  /**
   * Kernel declaration for `name` with its buffer parameters (`pointer` texts, in order), launched with `threads`
   * threads per block, up to the body's `{`; in languages with module-scope bindings (WGSL) the bindings come first.
   */
  readonly kernelHead: (name: string, params: readonly string[], threads: number) => string;
  /** A buffer parameter (`binding` is its position among the kernel's buffers). */
  readonly pointer: (name: string, dtype: DType, writable: boolean, binding: number) => string;
  /**
   * Header (up to its `{`) of a grid-stride loop: `variable` visits [0, count) from the thread's first element, `lanes`
   * consecutive elements per thread and step, in blocks of `threads`.
   */
  readonly gridLoop: (variable: string, count: number, lanes: number, threads: number) => string;
  /**
   * The type of `count` consecutive stored elements moved in one aligned access (`.v[j]` is element j), for fused
   * kernels' vector path; absent where the language has none (its kernels then load element by element).
   */
  readonly vectorType?: (dtype: DType, count: number) => string;
}
