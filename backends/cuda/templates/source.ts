// Assembles one anchor template's KernelSource (backends/kernel.ts): constants and helpers in `<name>_detail`, the
// kernel signature over kernelParams (in<k> read, out<k> written), role names bound to those parameters, the body,
// and the launch shape and costs. The name is `<op>_<12 hex digits>` of the hash of the code and launch, so identical
// kernels (the same op on the same shapes, as in every layer) share one name and one definition.
// Invariants: the code defines `extern "C" __global__ void <name>(...)` and `namespace <name>_detail`, plus the
// guarded device error variables (device-error.ts) when it raises; it needs the CUDA prelude (headers, trainc_max);
// pointers are __restrict__ unless outputs may alias inputs; dynamic shared memory is never used (sizes are static).

import { fail } from "../../../compiler/diagnostics.ts";
import { hashText } from "../../../ir/hash.ts";
import type { KernelSource } from "../../kernel.ts";
import { cType, tensorBytes, type Anchor, type Slot } from "./anchor.ts";
import { DEVICE_ERROR_SOURCE } from "./device-error.ts";
import { renderHelpers, type Helper } from "./device.ts";

/** Everything one template decides about a kernel. */
export interface TemplateParts {
  readonly anchor: Anchor;
  /** One line for the reader of the generated file. */
  readonly summary: string;
  readonly helpers: readonly Helper[];
  /** Constants and op-specific device functions, inside the detail namespace after the shared helpers. */
  readonly detail: string;
  /** Local names bound to operands and results at the top of the body; unwritten results become nullptr. */
  readonly roles: readonly (readonly [string, Slot])[];
  /** Kernel body statements, indented by two spaces. */
  readonly body: string;
  readonly threads: number;
  /** Blocks per SM the register allocator must allow (__launch_bounds__'s second argument); default: its choice. */
  readonly minBlocks?: number;
  readonly grid: readonly [number, number, number];
  readonly flops: number;
  /** Least bytes a launch moves; default: every parameter's buffer once. */
  readonly bytes?: number;
  /** Outputs may share memory with inputs (AdamW updates in place), so no pointer is __restrict__. */
  readonly inPlace?: boolean;
  /** The kernel calls trainc_raise (it uses the constant SITE). */
  readonly raises?: boolean;
}

const NAME = "@KERNEL@";
const SITE = "@SITE@";

/** A double literal that reads back as the same double. */
export function doubleLiteral(x: number): string {
  if (Number.isNaN(x)) return "static_cast<double>(NAN)";
  if (!Number.isFinite(x)) return x < 0 ? "-static_cast<double>(INFINITY)" : "static_cast<double>(INFINITY)";
  const text = String(x);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** A `static __device__ const double NAME[n]` table (global memory: threads index it divergently), short lines. */
export function doubleTable(name: string, values: readonly number[]): string {
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += 4) rows.push(`    ${values.slice(i, i + 4).map(doubleLiteral).join(", ")},`);
  return `static __device__ const double ${name}[${values.length}] = {\n${rows.join("\n")}\n};`;
}

function paramList(parts: TemplateParts): string {
  const restrict = parts.inPlace ? "" : " __restrict__";
  return parts.anchor.params.map((p, i) => {
    const inputs = parts.anchor.params.filter((q) => q.access === "read").length;
    const name = p.access === "read" ? `in${i}` : `out${i - inputs}`;
    return `${p.access === "read" ? "const " : ""}${cType(p.dtype, parts.anchor.kernel.name)}*${restrict} ${name}`;
  }).join(",\n    ");
}

function roleLines(parts: TemplateParts): string {
  return parts.roles.map(([role, slot]) => {
    const t = cType(slot.dtype, parts.anchor.kernel.name);
    const isArg = parts.anchor.args.includes(slot);
    return isArg ? `  const ${t}* const ${role} = ${slot.param};` : `  ${t}* const ${role} = ${slot.param ?? "nullptr"};`;
  }).join("\n");
}

function render(parts: TemplateParts): string {
  const op = parts.anchor.node.op;
  const site = parts.raises ? `constexpr long long SITE = ${SITE};  // this kernel in trainc_error_info[0]\n` : "";
  return `${parts.raises ? `${DEVICE_ERROR_SOURCE}\n\n` : ""}// ${op}: ${parts.summary}
namespace ${NAME}_detail {

${site}${renderHelpers(parts.helpers)}

${parts.detail.trim()}

}  // namespace ${NAME}_detail

extern "C" __global__ void __launch_bounds__(${parts.threads}${parts.minBlocks ? `, ${parts.minBlocks}` : ""}) ${NAME}(
    ${paramList(parts)}) {
  using namespace ${NAME}_detail;
${roleLines(parts)}
${parts.body.replace(/\s+$/, "")}
}
`;
}

/** The finished kernel: code with its hashed name and site, launch shape and costs. */
export function makeKernel(parts: TemplateParts): KernelSource {
  const [x, y, z] = parts.grid;
  if (x > 2 ** 31 - 1 || y > 65535 || z > 65535) {
    fail(5601, `kernel ${parts.anchor.kernel.name} (${parts.anchor.node.op}): grid [${parts.grid.join(", ")}] exceeds a CUDA launch`,
      "use a smaller micro_batch_size or sequence_len");
  }
  const draft = render(parts);
  const hash = hashText(`${draft}\n${parts.grid.join(",")}|${parts.threads}`);
  const name = `${parts.anchor.node.op}_${hash.slice(0, 12)}`;
  const params = parts.anchor.params;
  const bytes = parts.bytes ?? [...parts.anchor.args, ...parts.anchor.results]
    .filter((s, i, all) => s.param !== undefined && all.findIndex((o) => o.param === s.param) === i)
    .reduce((sum, s) => sum + tensorBytes(s), 0);
  return {
    name,
    code: draft.replaceAll(NAME, name).replaceAll(SITE, String(parseInt(hash.slice(0, 7), 16))),
    params,
    grid: parts.grid,
    block: [parts.threads, 1, 1],
    sharedBytes: 0,
    flops: parts.flops,
    bytes,
  };
}

/** Blocks of `threads` threads covering `count` work items, as a 1-D grid (at least one block). */
export function grid1d(count: number, threads: number): [number, number, number] {
  return [Math.max(1, Math.ceil(count / threads)), 1, 1];
}

/** The largest power of two <= maxElements that divides every one of `sizes` (1 if none does). */
export function vectorWidth(sizes: readonly number[], maxElements: number): number {
  let w = 1;
  while (w * 2 <= maxElements && sizes.every((s) => s % (w * 2) === 0)) w *= 2;
  return w;
}

/** The type templates compute in: double when any of the dtypes is f64, float otherwise (bf16, f16, f32). */
export function mathType(...dtypes: readonly string[]): "float" | "double" {
  return dtypes.includes("f64") ? "double" : "float";
}
