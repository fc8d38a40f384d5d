// Writes the per-element code of a fused kernel: the value of any kernel-graph value at a linear index of its own
// shape, as C statements and expressions in a Language. Buffers (graph inputs) are loaded, constants, iotas and sizes
// are computed in place, reshapes are the identity on linear indices, view ops map indices to their operand, and
// elementwise ops combine their operands read with broadcasting. Values computed at the same index are computed once.
// In a vector kernel, buffers already loaded into registers (`registers`: input -> the C name of its vector) are read
// from there at the lane indices (`lanes`: index expression -> lane), and from memory at any other index.
// Invariant: every op result is rounded to its dtype (Language.round), so fused code means what the interpreter means.

import type { DType } from "../../ir/dtype.ts";
import type { Attrs, Graph, ValueId } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import { broadcastIndex, joinIndex, numel, splitIndex, viewIndex, type Shape } from "./indexing.ts";
import { computeKind, type ExprOp, type Language } from "./language.ts";

const EXPR_OPS = new Set<string>([
  "neg", "abs", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sigmoid", "silu", "tanh", "sin", "cos", "not", "add", "sub",
  "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "where",
]);

interface Producer {
  readonly op: OpName;
  readonly args: readonly ValueId[];
  readonly attrs: Attrs;
}

export class Emitter {
  readonly lines: string[] = [];
  private readonly cache = new Map<string, string>();
  private readonly producers = new Map<ValueId, Producer>();
  private readonly inputs: Map<ValueId, string>;
  private next = 0;

  /**
   * `identifiers` maps each graph input's name to the C identifier of its pointer parameter; `prefix` names the
   * emitter's variables (v0, v1, ...).
   */
  constructor(readonly graph: Graph, readonly lang: Language, readonly indent: string,
    identifiers: ReadonlyMap<string, string>, private readonly prefix = "v",
    private readonly registers: ReadonlyMap<ValueId, string> = new Map(), private readonly lanes: ReadonlyMap<string, number> = new Map()) {
    for (const node of graph.nodes) for (const r of node.results) this.producers.set(r, node);
    this.inputs = new Map(graph.inputs.map((i) => [i.id, identifiers.get(i.name)!]));
  }

  shape(v: ValueId): Shape {
    return this.graph.types[v]!.shape as Shape;
  }

  dtype(v: ValueId): DType {
    return this.graph.types[v]!.dtype;
  }

  /** A C expression for value `v` at linear index `i` (a C expression) of its own shape. */
  at(v: ValueId, i: string): string {
    const key = `${v}@${i}`;
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    const text = this.compute(v, i);
    if (/^[\w.+-]+$/.test(text)) {
      this.cache.set(key, text);
      return text;
    }
    const name = `${this.prefix}${this.next++}`;
    this.lines.push(`${this.indent}${this.lang.declare(computeKind(this.dtype(v)), name, text)}`);
    this.cache.set(key, name);
    return name;
  }

  /** Operand `arg` as read by a value of shape `out` at linear index `i` (NumPy broadcasting). */
  private operand(arg: ValueId, out: Shape, i: string): string {
    const from = this.shape(arg);
    if (numel(from) === numel(out)) return this.at(arg, i);
    return this.at(arg, joinIndex(broadcastIndex(splitIndex(i, out), out, from), from));
  }

  private compute(v: ValueId, i: string): string {
    const buffer = this.inputs.get(v);
    if (buffer !== undefined) {
      const [vector, lane] = [this.registers.get(v), this.lanes.get(i)];
      return this.lang.load(vector !== undefined && lane !== undefined ? `${vector}.v[${lane}]` : `${buffer}[${i}]`, this.dtype(v));
    }
    const node = this.producers.get(v)!;
    const shape = this.shape(v);
    const kind = computeKind(this.dtype(v));
    switch (node.op) {
      case "constant": {
        const values = node.attrs["values"] as readonly number[] | undefined;
        if (!values) return this.lang.literal(node.attrs["value"] as number, kind);
        return values.reduceRight((rest, x, k) => this.lang.expr("where", [`${i} == ${k}`, this.lang.literal(x, kind), rest], kind),
          this.lang.literal(0, kind));
      }
      case "iota":
        return this.lang.convert(splitIndex(i, shape)[node.attrs["axis"] as number] ?? "0", "int64", kind);
      case "size":
        return this.lang.literal(node.attrs["dim"] as number, kind);
      case "reshape":
        return this.at(node.args[0]!, i);
      case "broadcast": case "transpose": case "slice": {
        const arg = node.args[0]!;
        return this.at(arg, joinIndex(viewIndex(node.op, node.attrs, splitIndex(i, shape), shape, this.shape(arg)), this.shape(arg)));
      }
      case "cast": {
        const arg = node.args[0]!;
        return this.lang.round(this.lang.convert(this.operand(arg, shape, i), computeKind(this.dtype(arg)), kind), this.dtype(v));
      }
      default: {
        if (!EXPR_OPS.has(node.op)) throw new Error(`fused kernels cannot evaluate ${node.op} per element`);
        const args = node.args.map((a) => this.operand(a, shape, i));
        const operandKind = computeKind(this.dtype(node.args[node.op === "where" ? 1 : 0]!));
        return this.lang.round(this.lang.expr(node.op as ExprOp, args, operandKind), this.dtype(v));
      }
    }
  }
}
