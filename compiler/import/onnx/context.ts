// The per-node view an op handler works with: its operands (known at import time or runtime IR values), typed
// attribute readers, and `emit`, which adds an IR node and turns the op table's type errors into TraincErrors
// naming the ONNX node. Known operands become IR values only when a real op needs them (`runtime`).
// Invariants: handlers never touch the GraphBuilder except through `emit`/`reshape`/`concat`/`slice`/`runtime`;
// known tensors with equal contents are materialized once per graph (cached by content), so repeated uses share one
// constant; a reshape of a reshape reshapes the original, and a slice of exactly one concat part is that part.

import type { GraphBuilder, Value } from "../../../ir/builder.ts";
import { dimAdd, shapeEqual, type Dim, type Shape } from "../../../ir/dim.ts";
import type { DType } from "../../../ir/dtype.ts";
import type { Attrs } from "../../../ir/graph.ts";
import { IRTypeError, type OpName } from "../../../ir/ops/index.ts";
import type { OnnxNode } from "./decode.ts";
import { E_MALFORMED, E_TYPE, E_UNRESOLVED_SHAPE, nodeError } from "./errors.ts";
import { concreteValues, known, type Known } from "./known.ts";
import { materialize } from "./materialize.ts";
import type { AttributeMsg, TensorMsg } from "./schema.ts";
import { decodeTensor } from "./tensors.ts";

export interface Runtime {
  readonly kind: "runtime";
  readonly value: Value;
}

/** An ONNX value during import: known at import time, or an IR value computed at run time. */
export type OnnxValue = Known | Runtime;

export function runtime(value: Value): Runtime {
  return { kind: "runtime", value };
}

export function dtypeOfValue(v: OnnxValue): DType {
  return v.kind === "known" ? v.dtype : v.value.type.dtype;
}

export function shapeOfValue(v: OnnxValue): Shape {
  return v.kind === "known" ? v.shape : v.value.type.shape;
}

/** State shared by all nodes of one import: the builder, the model folder and the constant cache. */
export interface ImportState {
  readonly builder: GraphBuilder;
  readonly dir: string;
  /** Materialized known tensors by content (dtype, shape, elements), so equal constants are emitted once. */
  readonly constants: Map<string, Value>;
  /** For each value the importer made with `reshape`, the value it reshaped (so reshape chains collapse). */
  readonly reshapeSources: Map<number, Value>;
  /** For each value the importer made with `concat`, its axis and parts (so slicing a part back is free). */
  readonly concatParts: Map<number, { readonly axis: number; readonly parts: readonly Value[] }>;
}

export class NodeContext {
  constructor(
    readonly node: OnnxNode,
    private readonly operands: readonly (OnnxValue | undefined)[],
    private readonly state: ImportState,
  ) {}

  /** Number of operand slots given (including empty optional ones). */
  get arity(): number {
    return this.operands.length;
  }

  /** Operand i, or undefined when absent or given as "" (an omitted optional input). */
  input(i: number): OnnxValue | undefined {
    return this.operands[i];
  }

  /** Operand i, which the op requires. */
  need(i: number): OnnxValue {
    return this.operands[i] ?? this.fail(E_MALFORMED, `input ${i} is missing`, "the model file is invalid; re-export it");
  }

  /** Operand i as an import-time tensor; a runtime value here is a shape computation we cannot resolve. */
  known(i: number, what: string): Known {
    const v = this.need(i);
    if (v.kind === "known") return v;
    return this.fail(E_UNRESOLVED_SHAPE, `its ${what} (input '${this.node.inputs[i]}') is only known at run time`,
      "trainc needs shapes, axes and indices that are computable at import time; export with static values for them");
  }

  /** Operand i as concrete integers (axes, starts, repeats...). */
  ints(i: number, what: string): number[] {
    const k = this.known(i, what);
    return concreteValues(k) ?? this.fail(E_UNRESOLVED_SHAPE,
      `its ${what} [${k.data.join(", ")}] depends on symbolic sizes`, "export with concrete values for this operand");
  }

  /** The IR value of an operand, emitting a `constant` (or a size computation) for known tensors. */
  runtime(v: OnnxValue): Value {
    if (v.kind === "runtime") return v.value;
    const key = `${v.dtype}[${v.shape.join(",")}]:${v.data.map(String).join(",")}`;
    const cached = this.state.constants.get(key);
    if (cached) return cached;
    const value = materialize((op, args, attrs) => this.emit(op, args, attrs), v);
    this.state.constants.set(key, value);
    return value;
  }

  /** Adds one IR node; type errors name this ONNX node. */
  emit(op: OpName, args: readonly Value[], attrs: Attrs = {}): Value {
    try {
      return this.state.builder.op(op, args, attrs);
    } catch (e) {
      if (e instanceof IRTypeError) {
        return this.fail(E_TYPE, `mapping to '${op}' failed: ${e.message}`,
          "the model's shapes or types do not fit this op; check the export (or report it as a trainc bug)");
      }
      throw e;
    }
  }

  /** `x` with a new shape (same elements); a reshape of a reshape reshapes the original; no node if unchanged. */
  reshape(x: Value, shape: Shape): Value {
    const source = this.state.reshapeSources.get(x.id) ?? x;
    if (shapeEqual(source.type.shape, shape)) return source;
    const out = this.emit("reshape", [source], { shape });
    this.state.reshapeSources.set(out.id, source);
    return out;
  }

  /** Joins values along `axis` and remembers the parts, so a slice that covers exactly one part returns it. */
  concat(parts: readonly Value[], axis: number): Value {
    const out = this.emit("concat", parts, { axis });
    this.state.concatParts.set(out.id, { axis, parts });
    return out;
  }

  /** Elements start, start+step, ... < end of `x` along `axis`: `x` for the whole axis, a concat part, or a slice. */
  slice(x: Value, axis: number, start: Dim, end: Dim, step = 1): Value {
    if (step !== 1) return this.emit("slice", [x], { axis, start, end, step });
    if (start === 0 && end === x.type.shape[axis]) return x;
    const joined = this.state.concatParts.get(x.id);
    let offset: Dim = 0;
    for (const part of joined?.axis === axis ? joined.parts : []) {
      const next = dimAdd(offset, part.type.shape[axis]!);
      if (offset === start && next === end) return part;
      offset = next;
    }
    return this.emit("slice", [x], { axis, start, end });
  }

  /** Emits `op` unless it would be the identity (then returns `x`). */
  emitUnless(identity: boolean, op: OpName, x: Value, attrs: Attrs): Value {
    return identity ? x : this.emit(op, [x], attrs);
  }

  fail(code: number, message: string, fix: string): never {
    return nodeError(code, this.node, message, fix);
  }

  private attr(name: string): AttributeMsg | undefined {
    return this.node.attrs.get(name);
  }

  hasAttr(name: string): boolean {
    return this.node.attrs.has(name);
  }

  attrInt(name: string, fallback: number): number {
    return this.attr(name)?.i ?? fallback;
  }

  attrFloat(name: string, fallback: number): number {
    return this.attr(name)?.f ?? fallback;
  }

  attrInts(name: string): number[] | undefined {
    const a = this.attr(name);
    return a ? (a.ints ?? []).map(Number) : undefined;
  }

  attrFloats(name: string): number[] | undefined {
    const a = this.attr(name);
    return a ? a.floats ?? [] : undefined;
  }

  /** A tensor-valued attribute (Constant's `value`, ConstantOfShape's `value`) as a known tensor. */
  attrTensor(name: string): Known | undefined {
    const t: TensorMsg | undefined = this.attr(name)?.t;
    if (!t) return undefined;
    const decoded = decodeTensor(t, this.state.dir, `'${name}' of ${this.node.name}`);
    return known(decoded.dtype, decoded.shape, Array.from(decoded.data) as Dim[]);
  }
}
