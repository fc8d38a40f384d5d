// What a kernel template reads off a schedule kernel (backends/schedule/partition.ts) whose kind is an anchor op: the
// one node of that op, which kernel parameter (backends/kernel.ts `kernelParams`) holds each operand and each result,
// and every type with static sizes. An anchor kernel's graph holds the node plus reshapes of its inputs; a reshape is
// the same memory under another shape, so an operand reached through reshapes is its root input's parameter.
// Invariants: parameters are named `in<k>` / `out<k>` in kernelParams order (buffer names are not C identifiers and
// must not enter the code, whose hash names the kernel); a result the schedule does not write has no parameter.
//
// Error codes defined here (the anchor templates use 5600-5619 and 9600-9609):
//   5600  a buffer dtype the CUDA templates cannot hold (f8 formats, packed 4-bit outside dequantize)
//   5601  a kernel too large for one launch (grid or 32-bit position limits)
//   9600  the kernel is not one node of its kind plus reshapes of inputs (a schedule bug)
//   9601  a size is still symbolic (the schedule specializes every size first)
//   9602  a result the template must write has no output parameter (a schedule bug)

import { fail } from "../../../compiler/diagnostics.ts";
import type { DType } from "../../../ir/dtype.ts";
import type { Graph, Node, ValueId } from "../../../ir/graph.ts";
import type { OpName } from "../../../ir/ops/index.ts";
import { kernelParams, type KernelParam } from "../../kernel.ts";
import type { Kernel } from "../../schedule/partition.ts";

/** A concrete tensor type: dtype and numeric sizes. */
export interface StaticType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** An operand or result of the anchor node and the C name of the parameter that holds it. */
export interface Slot extends StaticType {
  /** `in<k>` / `out<k>`; undefined for a result the schedule does not write. */
  readonly param: string | undefined;
}

/** The anchor node of a kernel, with its operands and results bound to kernel parameters. */
export interface Anchor {
  readonly kernel: Kernel;
  readonly node: Node;
  readonly params: readonly KernelParam[];
  readonly args: readonly Slot[];
  readonly results: readonly Slot[];
}

const C_TYPES: Readonly<Partial<Record<DType, string>>> = {
  f64: "double", f32: "float", f16: "__half", bf16: "__nv_bfloat16",
  i64: "long long", i32: "int", i8: "signed char", u8: "unsigned char", bool: "unsigned char",
  nf4: "unsigned char", int4: "unsigned char",
};

function unsupported(dtype: DType, where: string): never {
  return fail(5600, `${where}: the CUDA kernel templates cannot hold ${dtype} tensors`,
    "train in bf16, f16 or f32 (`bf16: true`, `fp16: true` or `bf16: false` in the config); 4-bit weights are " +
      "dequantized first");
}

/** The C type a buffer of `dtype` is stored as on the device: packed 4-bit codes are bytes (5600 for f8 formats). */
export function cType(dtype: DType, where: string): string {
  return C_TYPES[dtype] ?? unsupported(dtype, where);
}

/** Number of elements of a static shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes one element of `dtype` occupies (packed 4-bit types: half a byte). */
export function elementBytes(dtype: DType): number {
  switch (dtype) {
    case "f64": case "i64": return 8;
    case "f32": case "i32": return 4;
    case "f16": case "bf16": return 2;
    case "nf4": case "int4": return 0.5;
    default: return 1;
  }
}

/** Bytes of a whole static tensor. */
export function tensorBytes(t: StaticType): number {
  return Math.ceil(numel(t.shape) * elementBytes(t.dtype));
}

function staticType(graph: Graph, id: ValueId, what: string): StaticType {
  const t = graph.types[id]!;
  const shape = t.shape.map((d) => (typeof d === "number" ? d : fail(9601, `${what} has the symbolic size '${d}'`,
    "specialize the graph (backends/schedule/specialize.ts) before rendering kernels")));
  return { dtype: t.dtype, shape };
}

/** The input a value is read from, following reshapes back to their operand. */
function rootInput(graph: Graph, id: ValueId, producers: ReadonlyMap<ValueId, Node>, where: string): number {
  let v = id;
  for (let node = producers.get(v); node; node = producers.get(v)) {
    if (node.op !== "reshape") fail(9600, `${where}: operand %${id} is computed by ${node.op}, not read from a buffer`);
    v = node.args[0]!;
  }
  return graph.inputs.findIndex((i) => i.id === v);
}

/** Binds the single `op` node of `kernel` to the kernel's parameters. */
export function anchorOf(kernel: Kernel, op: OpName): Anchor {
  const { graph } = kernel;
  const where = `kernel ${kernel.name} (${kernel.kind})`;
  const anchors = graph.nodes.filter((n) => n.op !== "reshape");
  if (kernel.kind !== op || anchors.length !== 1 || anchors[0]!.op !== op) {
    fail(9600, `${where}: expected one ${op} node plus reshapes, got ${graph.nodes.map((n) => n.op).join(", ")}`);
  }
  const node = anchors[0]!;
  const producers = new Map<ValueId, Node>();
  for (const n of graph.nodes) for (const r of n.results) producers.set(r, n);
  const args = node.args.map((id, i) => ({
    ...staticType(graph, id, `${where} operand ${i}`),
    param: `in${rootInput(graph, id, producers, where)}`,
  }));
  const results = node.results.map((id, i) => {
    const k = graph.outputs.findIndex((o) => o.id === id);
    return { ...staticType(graph, id, `${where} result ${i}`), param: k < 0 ? undefined : `out${k}` };
  });
  for (const t of [...args, ...results]) {
    const packed = t.dtype === "nf4" || t.dtype === "int4";
    if (packed && (op !== "dequantize" || t !== args[0])) unsupported(t.dtype, where);
    cType(t.dtype, where);
  }
  return { kernel, node, params: kernelParams(graph), args, results };
}

/** The parameter of result `i`, which this template must write (9602 when the schedule gave it none). */
export function writtenResult(a: Anchor, i: number): Slot & { readonly param: string } {
  const r = a.results[i]!;
  if (r.param === undefined) {
    fail(9602, `kernel ${a.kernel.name} (${a.node.op}): result ${i} is not a kernel output`,
      "the schedule must write every result of this op; report it with the IR dump");
  }
  return r as Slot & { readonly param: string };
}

/** An attribute of the anchor node as a number. */
export function attrNumber(a: Anchor, name: string): number {
  return a.node.attrs[name] as number;
}

/** 5601 unless `count` positions fit a signed 32-bit index (lists and positions some templates keep as int). */
export function checkInt32(a: Anchor, count: number, what: string): void {
  if (count > 2 ** 31 - 1) {
    fail(5601, `kernel ${a.kernel.name} (${a.node.op}): ${count} ${what} exceed the 2^31 - 1 this template indexes`,
      "use a smaller micro_batch_size or sequence_len");
  }
}
