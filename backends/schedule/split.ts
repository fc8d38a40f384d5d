// Splits fused kernels that bind more buffers than a target allows (WebGPU guarantees 8 storage buffers per shader
// stage; lavapipe offers 16). The gradient-norm kernel of the optimizer step reads one partial sum per parameter, 21
// buffers for a small Llama. A fused kernel's nodes are cut, in order, into pieces that each bind at most `max`
// buffers; a value one piece makes and a later one reads becomes a new buffer (`<kernel>.s<k>`). Constants, iotas and
// sizes are recomputed in every piece that uses them, as partition does for kernels. A buffer may count as several
// bindings (`weight`: WebGPU binds a tensor larger than its binding size in parts).
// Invariants: running the pieces in order computes what the kernel computed; a kernel within the limit, or not fused,
// is kept as it is; a single node that alone needs more than `max` buffers is E5703.

import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { Graph, TensorType, ValueId } from "../../ir/graph.ts";
import { fail } from "../../compiler/diagnostics.ts";
import { opClass } from "./op-classes.ts";
import type { Buffer, Kernel, Partition } from "./partition.ts";

/** Values node `i` reads that are not recomputed in place (constants, iotas and sizes are). */
function reads(graph: Graph, i: number, producer: ReadonlyMap<ValueId, number>): ValueId[] {
  return graph.nodes[i]!.args.filter((a) => {
    const p = producer.get(a);
    return p === undefined || opClass(graph.nodes[p]!.op) !== "nullary";
  });
}

/** How many bindings a buffer of this type takes. */
export type BindingWeight = (type: TensorType) => number;

/** Bindings a piece made of `members` binds: values it reads from outside, and values it makes that `later` reads. */
function bindings(graph: Graph, members: readonly number[], later: ReadonlySet<ValueId>,
  producer: ReadonlyMap<ValueId, number>, weight: BindingWeight): number {
  const inside = new Set(members.flatMap((m) => graph.nodes[m]!.results));
  const inputs = new Set(members.flatMap((m) => reads(graph, m, producer)).filter((v) => !inside.has(v)));
  return [...inputs, ...[...inside].filter((v) => later.has(v))].reduce((n, v) => n + weight(graph.types[v]!), 0);
}

/** Node indices of `kernel` in pieces of at most `max` bindings each. */
function pieces(kernel: Kernel, max: number, producer: ReadonlyMap<ValueId, number>, weight: BindingWeight): number[][] {
  const { graph } = kernel;
  const bound = (members: readonly number[], later: ReadonlySet<ValueId>) => bindings(graph, members, later, producer, weight);
  const work = graph.nodes.map((_, i) => i).filter((i) => opClass(graph.nodes[i]!.op) !== "nullary");
  const outputs = graph.outputs.map((o) => o.id);
  /** Values read by the nodes from position `from` of `work` on, or by the kernel's outputs. */
  const readFrom = (from: number) => new Set([...outputs, ...work.slice(from).flatMap((i) => reads(graph, i, producer))]);
  const result: number[][] = [[]];
  work.forEach((node, k) => {
    const current = result.at(-1)!;
    const later = readFrom(k + 1);
    if (current.length > 0 && bound([...current, node], later) > max) result.push([]);
    result.at(-1)!.push(node);
    if (bound([node], later) > max) {
      fail(5703, `${kernel.name}: one ${graph.nodes[node]!.op} needs ${bound([node], later)} bindings, ` +
        `more than the ${max} the target binds per kernel`, "use a device with a higher maxStorageBuffersPerShaderStage, or " +
        "(WebGPU) a higher maxStorageBufferBindingSize: a tensor larger than it binds in parts");
    }
  });
  return result;
}

/** The graph of one piece: its inputs by buffer name, the nullary nodes it uses, its nodes, its escaping values. */
function pieceGraph(kernel: Kernel, members: readonly number[], later: ReadonlySet<ValueId>,
  name: (v: ValueId) => string, producer: ReadonlyMap<ValueId, number>): Graph {
  const { graph } = kernel;
  const b = new GraphBuilder(kernel.name);
  const map = new Map<ValueId, Value>();
  const nullary = (v: ValueId) => producer.has(v) && opClass(graph.nodes[producer.get(v)!]!.op) === "nullary";
  const inside = new Set(members.flatMap((m) => graph.nodes[m]!.results));
  for (const v of members.flatMap((m) => graph.nodes[m]!.args)) {
    if (inside.has(v) || nullary(v) || map.has(v)) continue;
    const t = graph.types[v]!;
    map.set(v, b.input(name(v), t.dtype, t.shape));
  }
  const value = (v: ValueId): Value => {
    if (!map.has(v)) map.set(v, b.ops(graph.nodes[producer.get(v)!]!.op, [], graph.nodes[producer.get(v)!]!.attrs)[0]!);
    return map.get(v)!;
  };
  for (const m of members) {
    const node = graph.nodes[m]!;
    const results = b.ops(node.op, node.args.map(value), node.attrs);
    node.results.forEach((r, j) => map.set(r, results[j]!));
  }
  for (const m of members) {
    for (const r of graph.nodes[m]!.results) if (later.has(r)) b.output(name(r), map.get(r)!);
  }
  return b.build();
}

/** `part` with every fused kernel binding more than `max` buffers cut into pieces that bind at most `max`. */
export function splitByBuffers(part: Partition, max: number, weight: BindingWeight = () => 1): Partition {
  const buffers = new Map<string, Buffer>(part.buffers);
  const kernels = part.kernels.flatMap((kernel): Kernel[] => {
    const { graph } = kernel;
    const all = [...graph.inputs, ...graph.outputs].reduce((n, io) => n + weight(graph.types[io.id]!), 0);
    if (kernel.kind !== "fused" || all <= max) return [kernel];
    const names = new Map<ValueId, string>([...graph.inputs, ...graph.outputs].map((io) => [io.id, io.name]));
    const name = (v: ValueId): string => {
      if (!names.has(v)) {
        const fresh = `${kernel.name}.s${names.size}`;
        names.set(v, fresh);
        buffers.set(fresh, { name: fresh, type: graph.types[v]!, root: fresh });
      }
      return names.get(v)!;
    };
    const producer = new Map(graph.nodes.flatMap((n, i) => n.results.map((r) => [r, i] as const)));
    const cut = pieces(kernel, max, producer, weight);
    const outputs = new Set(graph.outputs.map((o) => o.id));
    return cut.map((members, k) => {
      const readLater = new Set(cut.slice(k + 1).flat().flatMap((m) => graph.nodes[m]!.args));
      const later = new Set([...outputs, ...readLater]);
      return { name: `${kernel.name}.${k}`, kind: "fused", graph: pieceGraph(kernel, members, later, name, producer) };
    });
  });
  return { ...part, kernels, buffers };
}
