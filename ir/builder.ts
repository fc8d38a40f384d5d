// GraphBuilder: the one way IR is made. It infers each node's result types from the op table, fills attribute
// defaults, and numbers values densely (inputs first, then node results), so every built graph satisfies the
// invariants in ir/graph.ts. Type errors throw IRTypeError naming the op and node index.

import type { DType } from "./dtype.ts";
import type { Shape } from "./dim.ts";
import { BARE_NAME, type Attrs, type Graph, type NamedValue, type Node, type TensorType, type ValueId } from "./graph.ts";
import { IRTypeError, normalizeAttrs, opDef, type OpName } from "./ops/index.ts";
import { copyNodes } from "./rebuild.ts";

/** A value under construction: its id in the graph being built and its type. */
export interface Value {
  readonly id: ValueId;
  readonly type: TensorType;
}

export class GraphBuilder {
  readonly name: string;
  private readonly types: TensorType[] = [];
  private readonly inputs: NamedValue[] = [];
  private readonly nodes: Node[] = [];
  private readonly outputs: NamedValue[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** Declares a graph input. Names are unique; HF parameter names (`model.layers.0.mlp.up_proj.weight`) are fine. */
  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.nodes.length > 0) throw new Error(`input '${name}' declared after nodes; declare inputs first`);
    if (this.inputs.some((i) => i.name === name)) throw new Error(`duplicate input name '${name}'`);
    const value = this.newValue({ dtype, shape: [...shape] });
    this.inputs.push({ name, id: value.id });
    return value;
  }

  /** Adds a node with one result and returns it. */
  op(op: OpName, args: readonly Value[], attrs: Attrs = {}): Value {
    const results = this.ops(op, args, attrs);
    if (results.length !== 1) throw new Error(`${op} has ${results.length} results; use ops()`);
    return results[0]!;
  }

  /** Adds a node and returns all its results. */
  ops(op: OpName, args: readonly Value[], attrs: Attrs = {}): Value[] {
    let normalized: Attrs;
    let resultTypes: TensorType[];
    try {
      normalized = normalizeAttrs(op, args.length, attrs);
      resultTypes = opDef(op).infer(args.map((a) => a.type), normalized);
    } catch (e) {
      if (e instanceof IRTypeError) throw new IRTypeError(`${op} (node ${this.nodes.length} of @${this.name}): ${e.message}`);
      throw e;
    }
    for (const a of args) {
      if (this.types[a.id] !== a.type) throw new Error(`${op}: operand %${a.id} does not belong to graph @${this.name}`);
    }
    const results = resultTypes.map((t) => this.newValue(t));
    this.nodes.push({ op, args: args.map((a) => a.id), attrs: normalized, results: results.map((r) => r.id) });
    return results;
  }

  /** A scalar constant (shape []). */
  scalar(value: number, dtype: DType): Value {
    return this.op("constant", [], { dtype, shape: [], value });
  }

  /** `v` in `dtype`: itself when it already is, else a cast. */
  castTo(v: Value, dtype: DType): Value {
    return v.type.dtype === dtype ? v : this.op("cast", [v], { dtype });
  }

  /** Marks a value as a named graph output. */
  output(name: string, value: Value): void {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`duplicate output name '${name}'`);
    if (this.types[value.id] !== value.type) throw new Error(`output '${name}' is not a value of @${this.name}`);
    this.outputs.push({ name, id: value.id });
  }

  /**
   * Copies every node of `graph` into this builder, feeding its inputs from `inputs` (by input name; types must match)
   * and returns its outputs by name. Used to compose graphs (forward + loss) and by passes that rebuild a graph.
   */
  inline(graph: Graph, inputs: Readonly<Record<string, Value>>): Record<string, Value> {
    const map = new Map<ValueId, Value>();
    for (const input of graph.inputs) {
      const value = inputs[input.name];
      if (!value) throw new Error(`inline @${graph.name}: no value given for input '${input.name}'`);
      const want = graph.types[input.id]!;
      if (value.type.dtype !== want.dtype || value.type.shape.length !== want.shape.length ||
          value.type.shape.some((d, i) => d !== want.shape[i])) {
        throw new Error(`inline @${graph.name}: input '${input.name}' has the wrong type`);
      }
      map.set(input.id, value);
    }
    copyNodes(this, graph, map);
    return Object.fromEntries(graph.outputs.map((o) => [o.name, map.get(o.id)!]));
  }

  /** The Value for an id already in this graph (for passes that map old ids to new ones). */
  value(id: ValueId): Value {
    const type = this.types[id];
    if (!type) throw new Error(`no value %${id} in @${this.name}`);
    return { id, type };
  }

  build(): Graph {
    for (const { name } of [...this.inputs, ...this.outputs]) {
      if (!BARE_NAME.test(name) && name.includes('"')) throw new Error(`name ${name} may not contain a double quote`);
    }
    return {
      name: this.name,
      inputs: [...this.inputs],
      nodes: [...this.nodes],
      outputs: [...this.outputs],
      types: [...this.types],
    };
  }

  private newValue(type: TensorType): Value {
    const value = { id: this.types.length, type };
    this.types.push(type);
    return value;
  }
}
