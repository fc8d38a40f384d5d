// The CUDA language table for the C-style generators (backends/c-style/language.ts). bf16/f16/f8 are stored as the
// cuda_bf16/cuda_fp16/cuda_fp8 types and computed in float; the prelude (backends/cuda/prelude.ts) defines the few
// helpers the expressions below call (trainc_cast_int, trainc_max, ...).

import type { DType } from "../../ir/dtype.ts";
import {
  floatDigits, isOperator, operatorExpr, type BlockDialect, type ComputeKind, type ExprOp, type Language, type SharedDeclaration,
} from "../c-style/language.ts";

const STORAGE: Record<DType, string> = {
  f64: "double", f32: "float", f16: "__half", bf16: "__nv_bfloat16", f8e4m3: "__nv_fp8_e4m3", f8e5m2: "__nv_fp8_e5m2",
  i64: "long long", i32: "int", i8: "signed char", u8: "unsigned char", bool: "unsigned char",
  nf4: "unsigned char", int4: "unsigned char",
};

const COMPUTE: Record<ComputeKind, string> = { float: "float", double: "double", int64: "long long", int32: "int", bool: "bool" };

function floating(kind: ComputeKind): boolean {
  return kind === "float" || kind === "double";
}

/** Math function name for a compute kind: expf for float, exp for double. */
function fn(name: string, kind: ComputeKind): string {
  return kind === "float" ? `${name}f` : name;
}

function expr(op: ExprOp, a: readonly string[], kind: ComputeKind): string {
  const [x, y, z] = a;
  const one = kind === "float" ? "1.0f" : kind === "double" ? "1.0" : "1";
  if (isOperator(op)) return operatorExpr(op, a);
  switch (op) {
    case "abs": return floating(kind) ? `${fn("fabs", kind)}(${x})` : kind === "int64" ? `llabs(${x})` : `abs(${x})`;
    case "exp": return `${fn("exp", kind)}(${x})`;
    case "log": return `${fn("log", kind)}(${x})`;
    case "sqrt": return `${fn("sqrt", kind)}(${x})`;
    case "rsqrt": return kind === "float" ? `(1.0f / sqrtf(${x}))` : `(1.0 / sqrt(${x}))`;
    case "reciprocal": return `(${one} / ${x})`;
    case "sigmoid": return `(${one} / (${one} + ${fn("exp", kind)}(-${x})))`;
    case "silu": return `(${x} / (${one} + ${fn("exp", kind)}(-${x})))`;
    case "tanh": return `${fn("tanh", kind)}(${x})`;
    case "sin": return `${fn("sin", kind)}(${x})`;
    case "cos": return `${fn("cos", kind)}(${x})`;
    case "pow": return floating(kind) ? `${fn("pow", kind)}(${x}, ${y})` : `trainc_ipow(${x}, ${y})`;
    case "maximum": return `trainc_max(${x}, ${y})`;
    case "minimum": return `trainc_min(${x}, ${y})`;
    case "where": return `(${x} ? ${y} : ${z})`;
  }
}

const GLOBAL_INDEX = "(long long)blockIdx.x * blockDim.x + threadIdx.x";
const GLOBAL_SIZE = "(long long)gridDim.x * blockDim.x";

/** A block-shared array: `__shared__ float name[8][33];`. */
function shared(kind: ComputeKind, name: string, dims: readonly number[]): SharedDeclaration {
  return { text: `__shared__ ${COMPUTE[kind]} ${name}${dims.map((d) => `[${d}]`).join("")};`, moduleScope: false };
}

/** CUDA's block-level code: block reductions are the prelude's trainc_block_sum / trainc_block_max (a slot per warp). */
const BLOCKS: BlockDialect = {
  thread: "threadIdx.x",
  block: "blockIdx.x",
  count: "gridDim.x",
  barrier: "__syncthreads();",
  shared,
  reduce: (op, kind, value, threads) => ({
    expr: `trainc_block_${op}(${value}, partial)`, shared: [shared(kind, "partial", [threads / 32])], helpers: "",
  }),
  atomics: true,
};

export const CUDA: Language = {
  name: "cuda",
  storageType: (dtype) => STORAGE[dtype],
  computeType: (kind) => COMPUTE[kind],
  load: (x, dtype) => {
    switch (dtype) {
      case "bf16": return `__bfloat162float(${x})`;
      case "f16": return `__half2float(${x})`;
      case "f8e4m3": case "f8e5m2": return `float(${x})`;
      case "bool": return `(${x} != 0)`;
      case "i8": case "u8": return `int(${x})`;
      default: return x;
    }
  },
  store: (x, dtype) => {
    switch (dtype) {
      case "bf16": return `__float2bfloat16_rn(${x})`;
      case "f16": return `__float2half_rn(${x})`;
      case "f8e4m3": return `__nv_fp8_e4m3(${x})`;
      case "f8e5m2": return `__nv_fp8_e5m2(${x})`;
      case "bool": return `(unsigned char)(${x})`;
      case "i8": return `(signed char)(${x})`;
      case "u8": return `(unsigned char)(${x})`;
      default: return x;
    }
  },
  round: (x, dtype) => {
    switch (dtype) {
      case "bf16": return `__bfloat162float(__float2bfloat16_rn(${x}))`;
      case "f16": return `__half2float(__float2half_rn(${x}))`;
      case "f8e4m3": return `float(__nv_fp8_e4m3(${x}))`;
      case "f8e5m2": return `float(__nv_fp8_e5m2(${x}))`;
      case "i8": return `int((signed char)(${x}))`;
      case "u8": return `int((unsigned char)(${x}))`;
      default: return x;
    }
  },
  convert: (x, from, to) => {
    if (from === to) return x;
    if (to === "bool") return `(${x} != 0)`;
    if (floating(from) && !floating(to)) return `trainc_float_to_int<${COMPUTE[to]}>(${x})`;
    return `(${COMPUTE[to]})(${x})`;
  },
  literal: (value, kind) => {
    if (kind === "bool") return value !== 0 ? "true" : "false";
    if (Number.isNaN(value)) return kind === "double" ? "CUDART_NAN" : "CUDART_NAN_F";
    if (!Number.isFinite(value)) return `${value < 0 ? "-" : ""}${kind === "double" ? "CUDART_INF" : "CUDART_INF_F"}`;
    if (kind === "int64") return `${value}LL`;
    if (kind === "int32") return String(value);
    const text = floatDigits(value);
    return kind === "float" ? `${text}f` : text;
  },
  expr,
  declare: (kind, name, value) => `const ${COMPUTE[kind]} ${name} = ${value};`,
  declareVar: (kind, name, value) => `${COMPUTE[kind]} ${name} = ${value};`,
  loop: (v, count) => `for (long long ${v} = 0; ${v} < ${count}LL; ++${v}) {`,
  rangeLoop: (v, start, end, step) => `for (long long ${v} = ${start}; ${v} < ${end}; ${v} += ${step}) {`,
  blocks: BLOCKS,
  maxThreads: 1024,
  kernelHead: (name, params, threads) => `extern "C" __global__ void __launch_bounds__(${threads}) ${name}(${params.join(", ")})`,
  pointer: (name, dtype, writable) => `${writable ? "" : "const "}${STORAGE[dtype]}* __restrict__ ${name}`,
  gridLoop: (v, count, lanes) => lanes === 1
    ? `for (long long ${v} = ${GLOBAL_INDEX}; ${v} < ${count}LL; ${v} += ${GLOBAL_SIZE}) {`
    : `for (long long ${v} = (${GLOBAL_INDEX}) * ${lanes}; ${v} < ${count}LL; ${v} += (${GLOBAL_SIZE}) * ${lanes}) {`,
  vectorType: (dtype, count) => `trainc_vec<${count}, ${STORAGE[dtype]}>`,
};
