// Assembles one attention kernel's KernelSource (backends/kernel.ts) from its parts: constants, helper text, the
// kernel body and its launch shape. Names come from the content hash of everything that defines the launch.
// Invariants: the rendered code defines exactly `extern "C" __global__ void <name>(params...)` plus the namespace
// `<name>_detail`; the name is `<prefix>_<12 hex digits>` and changes whenever the code or the launch changes.

import { hashText } from "../../../ir/hash.ts";
import type { DType } from "../../../ir/dtype.ts";
import type { KernelParam, KernelSource } from "../../kernel.ts";
import { HALF_TYPES, type HalfDType } from "../half.ts";
import { renderPrimitives, type Primitive } from "./primitives.ts";

/** Placeholder for the kernel name while the code is hashed. */
const NAME = "@KERNEL@";

/** Everything that defines one kernel before it has a name. */
export interface KernelParts {
  /** Readable stem of the name (attn_fwd, attn_bwd, ...). */
  readonly prefix: string;
  /** One line saying what the kernel computes, for the reader of the generated file. */
  readonly summary: string;
  /** The element type of q, k, v and their gradients: a 16-bit kernel spells it half_t. */
  readonly dtype: HalfDType | "f32";
  readonly params: readonly KernelParam[];
  /** Compile-time constants, emitted as `constexpr` in the detail namespace, in order (a bool as 0 or 1). */
  readonly constants: readonly (readonly [string, string, number])[];
  readonly primitives: readonly Primitive[];
  /** Device functions of this kernel (may use the constants and primitives). */
  readonly helpers: string;
  /** Body of the kernel function (statements, indented by two spaces). */
  readonly body: string;
  readonly grid: readonly [number, number, number];
  readonly threads: number;
  /** Minimum resident blocks per SM asked of the register allocator (__launch_bounds__). */
  readonly minBlocks: number;
  readonly sharedBytes: number;
  readonly flops: number;
  readonly bytes: number;
}

const C_TYPES: Partial<Record<DType, string>> = { bf16: HALF_TYPES.bf16.c, f16: HALF_TYPES.f16.c, f32: "float", i32: "int" };

/** The C element type of a kernel buffer. */
export function cType(dtype: DType): string {
  const t = C_TYPES[dtype];
  if (t === undefined) throw new Error(`attention kernels have no buffer of dtype ${dtype}`);
  return t;
}

function paramList(params: readonly KernelParam[]): string {
  return params
    .map((p) => `${p.access === "read" ? "const " : ""}${cType(p.dtype)}* __restrict__ ${p.name}`)
    .join(",\n    ");
}

function constantList(constants: KernelParts["constants"]): string {
  return constants.map(([type, name, value]) => `constexpr ${type} ${name} = ${formatConstant(type, value)};`)
    .join("\n");
}

function formatConstant(type: string, value: number): string {
  if (type === "bool") return value ? "true" : "false";
  if (type !== "float") return String(value);
  if (value === Infinity) return "INFINITY";
  const text = Math.fround(value).toPrecision(9);
  return text.includes("e") || text.includes(".") ? `${text}f` : `${text}.0f`;
}

function render(parts: KernelParts, name: string): string {
  const half = parts.dtype === "f32" ? "" : `typedef ${HALF_TYPES[parts.dtype].c} half_t;\n`;
  return `#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <climits>
#include <cmath>

// ${parts.summary}
namespace ${name}_detail {

${half}${constantList(parts.constants)}

${renderPrimitives(parts.primitives, parts.dtype)}

${parts.helpers.trim()}

}  // namespace ${name}_detail

extern "C" __global__ void __launch_bounds__(${parts.threads}, ${parts.minBlocks}) ${name}(
    ${paramList(parts.params)}) {
  using namespace ${name}_detail;
${parts.body.replace(/\s+$/, "")}
}
`;
}

/** The finished kernel: code with its hashed name, launch shape and costs. */
export function makeKernel(parts: KernelParts): KernelSource {
  const draft = render(parts, NAME);
  const launch = `${parts.grid.join(",")}|${parts.threads}|${parts.sharedBytes}`;
  const name = `${parts.prefix}_${hashText(`${draft}\n${launch}`).slice(0, 12)}`;
  return {
    name,
    code: draft.replaceAll(NAME, name),
    params: parts.params,
    grid: parts.grid,
    block: [parts.threads, 1, 1],
    sharedBytes: parts.sharedBytes,
    flops: parts.flops,
    bytes: parts.bytes,
  };
}
