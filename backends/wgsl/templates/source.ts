// Assembles one WGSL anchor template's KernelSource (backends/kernel.ts): module-scope bindings named by role (the
// parameters the roles bind, in kernelParams order, side buffers after them), helper functions, the entry point over a
// 1-D grid of workgroups (256 threads unless the template says otherwise), and the launch shape and costs. The kernel is named after its code (namedByCode).
// Invariants: each parameter has one role and the body uses every role (WebGPU's automatic layout drops unused
// bindings, and the host binds every parameter); the entry point sees gid (global id), lid (local
// id), wg (workgroup id) and groups (workgroups in the grid); grids never exceed 65535 workgroups per dimension.

import { numel, type Anchor, type Slot } from "../../cuda/templates/anchor.ts";
import { KERNEL_NAME, namedByCode, type KernelParam, type KernelSource } from "../../kernel.ts";
import { WGSL, WORKGROUP_SIZE } from "../language.ts";

/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension. */
export const MAX_WORKGROUPS = 65535;

/** A role: a local name for an anchor slot, or for a side buffer passed after the kernel's own parameters. */
export type Role = readonly [string, Slot] | readonly [string, KernelParam];

/** Everything one WGSL template decides about a kernel. */
export interface WgslParts {
  readonly anchor: Anchor;
  /** The kernel's kind (its name's prefix). */
  readonly kind: string;
  /** One line for the reader of the generated code. */
  readonly summary: string;
  readonly roles: readonly Role[];
  /** Side buffers bound after the kernel's own parameters (their roles name them by KernelParam). */
  readonly extra?: readonly KernelParam[];
  /** Module-scope declarations before the entry point: constants, workgroup variables, helper functions. */
  readonly helpers?: string;
  /** Entry point statements, indented by two spaces. */
  readonly body: string;
  readonly grid: readonly [number, number, number];
  /** Threads per workgroup (default WORKGROUP_SIZE). */
  readonly threads?: number;
  readonly flops: number;
  readonly bytes: number;
}

/** Workgroups of `threads` for a grid-stride loop over `items`: one item per thread, at most `cap` (MAX_WORKGROUPS). */
export function gridFor(items: number, threads = WORKGROUP_SIZE, cap = MAX_WORKGROUPS): [number, number, number] {
  return [Math.max(1, Math.min(cap, Math.ceil(items / threads))), 1, 1];
}

/** f32 literal of `x` (finite). */
export function f32(x: number): string {
  return WGSL.literal(x, "float");
}

/** `const NAME = array<f32, n>(...)` holding `values` rounded to f32. */
export function f32Table(name: string, values: readonly number[]): string {
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += 4) rows.push(`  ${values.slice(i, i + 4).map(f32).join(", ")},`);
  return `const ${name} = array<f32, ${values.length}>(\n${rows.join("\n")}\n);`;
}

function isSlot(x: Slot | KernelParam): x is Slot {
  return "shape" in x;
}

/** The parameter a role binds: a slot's `in<k>` / `out<k>` in kernelParams order, or a side buffer itself. */
function paramOf(parts: WgslParts, target: Slot | KernelParam): KernelParam {
  if (!isSlot(target)) {
    if (!(parts.extra ?? []).includes(target)) throw new Error(`${parts.kind}: side buffer ${target.name} is not in extra`);
    return target;
  }
  const slot = target.param ?? "";
  const index = slot.startsWith("in") ? Number(slot.slice(2)) : parts.anchor.kernel.graph.inputs.length + Number(slot.slice(3));
  const param = parts.anchor.params[index];
  if (!/^(in|out)\d+$/.test(slot) || !param) throw new Error(`${parts.kind}: a role is bound to no parameter (${slot})`);
  return param;
}

/**
 * The KernelSource of a WGSL template. Its parameters are those the roles bind, in kernelParams order and then the
 * side buffers (one kernel of several may bind a subset: attention's backward pass), each at its index there.
 */
export function makeWgslKernel(parts: WgslParts): KernelSource {
  const bound = new Map<KernelParam, string>();
  for (const [name, target] of parts.roles) {
    const param = paramOf(parts, target);
    if (bound.has(param)) throw new Error(`${parts.kind}: roles ${bound.get(param)} and ${name} read one buffer (${param.name})`);
    bound.set(param, name);
  }
  const params = [...parts.anchor.params, ...(parts.extra ?? [])].filter((p) => bound.has(p));
  const declarations = params.map((p, k) => WGSL.pointer(bound.get(p)!, p.dtype, p.access !== "read", k));
  const code = `// ${parts.summary}
${declarations.join("\n")}
${parts.helpers ? `\n${parts.helpers}\n` : ""}
@compute @workgroup_size(${parts.threads ?? WORKGROUP_SIZE})
fn ${KERNEL_NAME}(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u,
    @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u) {
${parts.body}
}`;
  return namedByCode(parts.kind, {
    code, params, grid: parts.grid, block: [parts.threads ?? WORKGROUP_SIZE, 1, 1], sharedBytes: 0, flops: parts.flops, bytes: parts.bytes,
  });
}

/** Bytes of every parameter's buffer once, as the wgsl target stores it (4 bytes per element). */
export function paramBytes(slots: readonly Slot[]): number {
  return slots.reduce((n, s) => n + 4 * numel(s.shape), 0);
}
