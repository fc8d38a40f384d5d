// The WGSL language table for the C-style generators (backends/c-style/language.ts). WGSL has no bf16 and no 64-bit
// types: f32, i32, bool (stored as u32) and, with shader-f16, f16 are what the wgsl target stores; a kernel holding any
// other dtype is refused (E5700). f16 tensors are stored in 16 bits and computed on in f32: kernels reach them through
// load and store functions that convert (accessors.ts), and an f16 result is rounded through f16. Integer compute
// values are i32, the 64-bit kind included (an index or a token id fits), and grid-stride loop variables are i32 so
// index arithmetic and iota values share one type. The prelude (WGSL_PRELUDE) defines the helpers the expressions call;
// a kernel is one shader module: prelude, bindings, entry point. Every buffer binds read_write, inputs too: the host
// program binds ranges of two arenas, and WebGPU forbids a dispatch to use one buffer as read-only and as writable
// storage (writable ranges may share a buffer when they do not overlap). Reductions long enough for a workgroup get the
// workgroup-level code of the block dialect: module-scope var<workgroup> arrays, workgroupBarrier, and a reduction
// helper per kernel: a tree through workgroup memory, or where the device offers subgroups (WGSL_SUBGROUPS), subgroup
// operations and two barriers.
// Invariant: every expression has the WGSL type of its compute kind (f32, i32, bool); no constant expression
// evaluates to inf or NaN (WGSL rejects those at shader creation), so both come from private variables' bits.

import { fail } from "../../compiler/diagnostics.ts";
import type { DType } from "../../ir/dtype.ts";
import {
  floatDigits, isOperator, operatorExpr, type BlockDialect, type ComputeKind, type ExprOp, type Language, type SharedDeclaration,
} from "../c-style/language.ts";

/** Threads per workgroup of every generated WGSL kernel (the fused generators' block size). */
export const WORKGROUP_SIZE = 256;

const STORAGE: Partial<Record<DType, string>> = { f32: "f32", f16: "f16", i32: "i32", bool: "u32" };

const COMPUTE: Partial<Record<ComputeKind, string>> = { float: "f32", int64: "i32", int32: "i32", bool: "bool" };

/** The WGSL element type the wgsl target stores `dtype` in (5700 when it cannot). */
export function storage(dtype: DType): string {
  return STORAGE[dtype] ?? fail(5700, `the wgsl target cannot hold ${dtype} tensors (it stores f32, f16, i32 and bool)`,
    "train with --target cuda or cpu, or on wgsl with bf16: false (f32) or fp16: true (f16)");
}

function compute(kind: ComputeKind): string {
  return COMPUTE[kind] ?? fail(5700, `the wgsl target cannot compute in ${kind} (WGSL has no 64-bit floats)`,
    "train with --target cuda or cpu for f64 models");
}

/** Helpers the expressions call, and the private variables that hold inf and NaN. */
export const WGSL_PRELUDE = `var<private> trainc_inf_bits: u32 = 0x7f800000u;
var<private> trainc_nan_bits: u32 = 0x7fc00000u;

fn trainc_inf() -> f32 { return bitcast<f32>(trainc_inf_bits); }
fn trainc_nan() -> f32 { return bitcast<f32>(trainc_nan_bits); }

// max and min that propagate NaN, as the interpreter does.
fn trainc_max(a: f32, b: f32) -> f32 { return select(max(a, b), trainc_nan(), a != a || b != b); }
fn trainc_min(a: f32, b: f32) -> f32 { return select(min(a, b), trainc_nan(), a != a || b != b); }

// Integer power by squaring; a negative exponent gives 0.
fn trainc_ipow(base_in: i32, exponent_in: i32) -> i32 {
  if (exponent_in < 0) { return 0; }
  var base = base_in;
  var exponent = exponent_in;
  var result = 1;
  while (exponent != 0) {
    if ((exponent & 1) != 0) { result *= base; }
    base *= base;
    exponent >>= 1u;
  }
  return result;
}

// Float to int as the interpreter casts: truncation toward zero, 0 for inf and NaN.
fn trainc_float_to_int(x: f32) -> i32 {
  if (x != x || abs(x) == trainc_inf()) { return 0; }
  return i32(trunc(x));
}`;

function expr(op: ExprOp, a: readonly string[], kind: ComputeKind): string {
  const [x, y, z] = a;
  const float = kind === "float";
  const one = float ? "1.0" : "1";
  if (isOperator(op)) return operatorExpr(op, a);
  switch (op) {
    case "abs": return `abs(${x})`;
    case "exp": return `exp(${x})`;
    case "log": return `log(${x})`;
    case "sqrt": return `sqrt(${x})`;
    case "rsqrt": return `(1.0 / sqrt(${x}))`;
    case "reciprocal": return `(${one} / ${x})`;
    case "sigmoid": return `(1.0 / (1.0 + exp(-${x})))`;
    case "silu": return `(${x} / (1.0 + exp(-${x})))`;
    case "tanh": return `tanh(${x})`;
    case "sin": return `sin(${x})`;
    case "cos": return `cos(${x})`;
    case "pow": return float ? `pow(${x}, ${y})` : `trainc_ipow(${x}, ${y})`;
    case "maximum": return float ? `trainc_max(${x}, ${y})` : `max(${x}, ${y})`;
    case "minimum": return float ? `trainc_min(${x}, ${y})` : `min(${x}, ${y})`;
    case "where": return `select(${z}, ${y}, ${x})`;
  }
}

function convert(x: string, from: ComputeKind, to: ComputeKind): string {
  if (compute(from) === compute(to)) return x;
  if (to === "bool") return from === "float" ? `(${x} != 0.0)` : `(${x} != 0)`;
  if (from === "float") return `trainc_float_to_int(${x})`;
  if (from === "bool") return to === "float" ? `select(0.0, 1.0, ${x})` : `select(0, 1, ${x})`;
  return `${compute(to)}(${x})`;
}

function literal(value: number, kind: ComputeKind): string {
  if (kind === "bool") return value !== 0 ? "true" : "false";
  if (compute(kind) === "i32") return `${value}`;
  if (Number.isNaN(value)) return "trainc_nan()";
  if (!Number.isFinite(value)) return value < 0 ? "(-trainc_inf())" : "trainc_inf()";
  return `${floatDigits(value)}f`;
}

/** `x` unchanged, once `dtype` is known to be storable. */
function stored(x: string, dtype: DType): string {
  storage(dtype);
  return x;
}

/** A workgroup array at module scope: `var<workgroup> name: array<array<f32, 33>, 8>;`. */
function shared(kind: ComputeKind, name: string, dims: readonly number[]): SharedDeclaration {
  const type = dims.reduceRight((inner, d) => `array<${inner}, ${d}>`, compute(kind));
  return { text: `var<workgroup> ${name}: ${type};`, moduleScope: true };
}

/** The workgroup array the reduction helpers (workgroupReduce) work in: one slot per thread. */
export function workgroupScratch(kind: ComputeKind, threads: number): SharedDeclaration {
  return shared(kind, "trainc_partial", [threads]);
}

/** The optional WebGPU features generated kernels may use, and the WGSL directive each needs. */
const DIRECTIVES = { "subgroups": "enable subgroups;", "shader-f16": "enable f16;" } as const;
export type WgslFeature = keyof typeof DIRECTIVES;

/** Whether `name` is a WebGPU feature the generated kernels may use. */
export function isWgslFeature(name: string): name is WgslFeature {
  return name in DIRECTIVES;
}

/**
 * f32 to f16 as IEEE rounds it, overflow included: WGSL leaves the conversion of a value beyond f16's range
 * indeterminate, and the fp16 loss scaler finds an overflowed step by the infinity it leaves. The infinity is made from
 * its bits (both halves of the word, so either element is it).
 */
const F16_HELPERS = `fn trainc_to_f16(x: f32) -> f16 {
  let inf = bitcast<vec2<f16>>(select(0x7c007c00u, 0xfc00fc00u, x < 0.0)).x;
  return select(f16(x), inf, abs(x) >= 65520.0);
}`;

/** What a program's kernels start with: the directives of the features they use, WGSL_PRELUDE, and f16's helper. */
export function preludeFor(features: readonly WgslFeature[]): string {
  return [...features.map((f) => DIRECTIVES[f]), WGSL_PRELUDE, ...(features.includes("shader-f16") ? [F16_HELPERS] : [])].join("\n\n");
}

/**
 * `fn trainc_block_<op>(v, t: i32)`: the workgroup-wide sum or max of every thread's v (t: the thread's index), called
 * at a workgroup-uniform point. Every thread writes its value to workgroupScratch, then a tree halves the live slots
 * with a barrier per level (uniform control flow: each loop bound is a constant); the result is the same in every
 * thread. The last barrier keeps the next use of the array from overwriting the result before every thread has read it.
 * With `subgroups`, see subgroupReduce.
 */
export function workgroupReduce(op: "sum" | "max", kind: ComputeKind, threads: number, subgroups = false): string {
  if (subgroups) return subgroupReduce(op, kind, threads);
  const type = compute(kind);
  const combine = op === "sum" ? "trainc_partial[t] + trainc_partial[t + s]"
    : expr("maximum", ["trainc_partial[t]", "trainc_partial[t + s]"], kind);
  return `fn trainc_block_${op}(v: ${type}, t: i32) -> ${type} {
  trainc_partial[t] = v;
  workgroupBarrier();
  for (var s: i32 = ${threads / 2}; s > 0; s = s / 2) {
    if (t < s) { trainc_partial[t] = ${combine}; }
    workgroupBarrier();
  }
  let total = trainc_partial[0];
  workgroupBarrier();
  return total;
}`;
}

/**
 * workgroupReduce through subgroup operations, for whatever way the device maps invocations to subgroups (WGSL does
 * not say): each subgroup reduces its values (subgroupAdd, subgroupMax) and leaves the result in workgroupScratch, a
 * sum in the slot of its first active invocation and 0 in its other slots, a max in all its slots (max is
 * idempotent); after one barrier every subgroup folds all the slots, lane r taking r, r + n, r + 2n, ... in order, and
 * reduces the lanes' results. Every subgroup folds the same slots in the same order, so every thread gets the same
 * total; two barriers instead of a tree's log2(threads) + 2.
 */
function subgroupReduce(op: "sum" | "max", kind: ComputeKind, threads: number): string {
  const type = compute(kind);
  const [reduce, combine, own] = op === "sum"
    ? ["subgroupAdd", "acc + trainc_partial[j]", `select(${literal(0, kind)}, own, rank == 0)`]
    : ["subgroupMax", expr("maximum", ["acc", "trainc_partial[j]"], kind), "own"];
  return `fn trainc_block_${op}(v: ${type}, t: i32) -> ${type} {
  let rank = i32(subgroupExclusiveAdd(1u));
  let n = i32(subgroupAdd(1u));
  let own = ${reduce}(v);
  trainc_partial[t] = ${own};
  workgroupBarrier();
  var acc = trainc_partial[rank];
  for (var j: i32 = rank + n; j < ${threads}; j += n) { acc = ${combine}; }
  let total = ${reduce}(acc);
  workgroupBarrier();
  return total;
}`;
}

/** WGSL's workgroup-level code; no float atomics, so reductions never split over workgroups. */
function blocks(subgroups: boolean): BlockDialect {
  return {
    thread: "i32(lid.x)",
    block: "i32(wid.x)",
    count: "i32(groups.x)",
    barrier: "workgroupBarrier();",
    shared,
    reduce: (op, kind, value, threads) => ({
      expr: `trainc_block_${op}(${value}, i32(lid.x))`, shared: [workgroupScratch(kind, threads)],
      helpers: workgroupReduce(op, kind, threads, subgroups),
    }),
    atomics: false,
  };
}

export const WGSL: Language = {
  name: "wgsl",
  storageType: storage,
  computeType: compute,
  load: (x, dtype) => (dtype === "bool" ? `(${x} != 0u)` : stored(x, dtype)),
  store: (x, dtype) => (dtype === "bool" ? `select(0u, 1u, ${x})` : stored(x, dtype)),
  round: (x, dtype) => (dtype === "f16" ? `f32(trainc_to_f16(${x}))` : stored(x, dtype)),
  convert,
  literal,
  expr,
  declare: (kind, name, value) => `let ${name}: ${compute(kind)} = ${value};`,
  declareVar: (kind, name, value) => `var ${name}: ${compute(kind)} = ${value};`,
  loop: (v, count) => `for (var ${v}: i32 = 0; ${v} < ${count}; ${v}++) {`,
  rangeLoop: (v, start, end, step) => `for (var ${v}: i32 = ${start}; ${v} < ${end}; ${v} += ${step}) {`,
  blocks: blocks(false),
  maxThreads: 256,
  kernelHead: (name, params, threads) => `${params.join("\n")}\n\n@compute @workgroup_size(${threads})\n` +
    `fn ${name}(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u,\n` +
    `    @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u)`,
  pointer: (name, dtype, _writable, binding) =>
    `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<${storage(dtype)}>;`,
  gridLoop: (v, count, lanes, threads) => {
    if (lanes !== 1) throw new Error("WGSL kernels have no vector path");
    return `for (var ${v}: i32 = i32(gid.x); ${v} < ${count}; ${v} += i32(groups.x) * ${threads}) {`;
  },
};

/** WGSL for a device that offers subgroups: workgroup reductions go through subgroup operations. */
export const WGSL_SUBGROUPS: Language = { ...WGSL, name: "wgsl+subgroups", blocks: blocks(true) };
