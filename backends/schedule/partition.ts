// Partition: cuts a specialized graph into kernels, each a small graph of its own (the kernel IR is the graph IR, so
// kernels print, verify, hash and interpret like any graph). Rules, applied in node order:
//   - anchor ops (matmul, attention, ...) get a kernel each; reductions too;
//   - elementwise ops join the latest kernel of one of their producers when that kernel is fused, has the same
//     element count, and every other operand comes from an earlier kernel (so kernels run in creation order);
//   - view ops (broadcast, transpose, slice) start a fused kernel (they are index maps on the buffer they read);
//   - a fused kernel read only by one later fused kernel of the same element count moves into it;
//   - reshape is an alias of its operand's memory; constants, iotas and sizes are recomputed where they are used;
//   - an elementwise value read only by one reduction gets a kernel of its own that becomes the reduction's
//     prologue (x*x -> reduce_mean), so it is recomputed there instead of being written out;
//   - two fused kernels of one shape at most SIBLING_GAP kernels apart that read a common buffer of that shape merge
//     (the SwiGLU backward's d_gate and d_up both read gate, up and dy): the later one moves up when all it reads is
//     ready by then, else the earlier one moves down when nothing in between reads what it writes. Farther apart,
//     a move would stretch lifetimes across the step (a value remat recomputes would rejoin its forward original).
// A value is a buffer when it is a graph input or output or crosses kernels.
// Invariants: running the kernels in order on the buffers (test/backends/schedule) gives the graph's outputs.

import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { Graph, TensorType, ValueId } from "../../ir/graph.ts";
import { shapeNumel } from "../../ir/dim.ts";
import { opClass } from "./op-classes.ts";

/** One kernel: what it is (`fused`, `reduce` or the anchor op) and its body as a graph over buffer names. */
export interface Kernel {
  readonly name: string;
  readonly kind: string;
  readonly graph: Graph;
  /**
   * Buffers a kernel reads or writes besides its graph's inputs and outputs, in parameter order after them: side
   * results a later kernel reuses (attention's log-sum-exp for its backward pass; backends/schedule/side-buffers.ts).
   */
  readonly extraReads?: readonly string[];
  readonly extraWrites?: readonly string[];
}

/** A buffer: a tensor in device memory; a reshape is an alias sharing its root's storage. */
export interface Buffer {
  readonly name: string;
  readonly type: TensorType;
  /** The buffer whose storage this one uses (itself unless it is a reshape of another). */
  readonly root: string;
}

export interface Partition {
  readonly source: Graph;
  readonly kernels: readonly Kernel[];
  readonly buffers: ReadonlyMap<string, Buffer>;
  /** Graph output name -> buffer name. */
  readonly outputs: ReadonlyMap<string, string>;
}

interface Group {
  kind: string;
  members: number[];
  alive: boolean;
}

/** Cuts `graph` (static shapes) into kernels. */
export function partition(graph: Graph): Partition {
  const producer = producers(graph);
  const alias = new Map<ValueId, ValueId>();
  const root = (v: ValueId): ValueId => alias.get(v) ?? v;
  const groupOf = new Map<ValueId, number>();
  const groups: Group[] = [];
  const nullary = (v: ValueId) => producer.has(v) && opClass(graph.nodes[producer.get(v)!]!.op) === "nullary";
  const directUses = usesByValue(graph, (v) => v);
  const before = (v: ValueId, g: number) => nullary(root(v)) || (groupOf.get(root(v)) ?? -1) < g || groupOf.get(root(v)) === g;

  graph.nodes.forEach((node, index) => {
    const cls = opClass(node.op);
    if (cls === "nullary") return;
    if (cls === "reshape") {
      alias.set(node.results[0]!, root(node.args[0]!));
      return;
    }
    let target = -1;
    if (cls === "elementwise" && !feedsOnlyAReduction(graph, node.results[0]!, directUses)) {
      const numel = shapeNumel(graph.types[node.results[0]!]!.shape);
      for (const arg of node.args) {
        const g = groupOf.get(root(arg));
        if (g === undefined || g <= target || groups[g]!.kind !== "fused") continue;
        const domain = shapeNumel(graph.types[graph.nodes[groups[g]!.members[0]!]!.results[0]!]!.shape);
        if (domain === numel && node.args.every((a) => before(a, g))) target = g;
      }
    }
    if (target < 0) {
      target = groups.length;
      groups.push({ kind: cls === "elementwise" || cls === "view" ? "fused" : cls === "reduce" ? "reduce" : node.op, members: [], alive: true });
    }
    groups[target]!.members.push(index);
    for (const r of node.results) groupOf.set(r, target);
  });

  const uses = usesByValue(graph, root);
  mergeIntoConsumers(graph, groups, groupOf, uses, root);
  mergePrologues(graph, groups, groupOf, uses, root);
  mergeSiblings(graph, groups, groupOf, uses, root);
  return build(graph, groups.filter((g) => g.alive), root, producer);
}

function producers(graph: Graph): Map<ValueId, number> {
  const out = new Map<ValueId, number>();
  graph.nodes.forEach((node, i) => node.results.forEach((r) => out.set(r, i)));
  return out;
}

/**
 * Whether value `v` is read by exactly one node, a reduction, and is no graph output: then its node starts a kernel
 * of its own that becomes the reduction's prologue, instead of joining its producer's kernel (x*x of RMSNorm is
 * recomputed inside the reduction rather than written out).
 */
function feedsOnlyAReduction(graph: Graph, v: ValueId, uses: ReadonlyMap<ValueId, number[]>): boolean {
  const readers = uses.get(v) ?? [];
  return readers.length === 1 && opClass(graph.nodes[readers[0]!]!.op) === "reduce" && !graph.outputs.some((o) => o.id === v);
}

/** For each storage root, the nodes that read it (through any reshape alias). */
function usesByValue(graph: Graph, root: (v: ValueId) => ValueId): Map<ValueId, number[]> {
  const uses = new Map<ValueId, number[]>();
  graph.nodes.forEach((node, i) => {
    if (opClass(node.op) === "reshape") return;
    for (const a of node.args) uses.set(root(a), [...(uses.get(root(a)) ?? []), i]);
  });
  return uses;
}

/** Values of group `g` that something outside it reads, or that are graph outputs. */
function escaping(graph: Graph, groups: Group[], g: number, groupOf: Map<ValueId, number>, uses: Map<ValueId, number[]>,
  outputs: ReadonlySet<ValueId>): ValueId[] {
  return groups[g]!.members.flatMap((m) => graph.nodes[m]!.results)
    .filter((v) => outputs.has(v) || (uses.get(v) ?? []).some((u) => groupOf.get(graph.nodes[u]!.results[0]!) !== g));
}

/**
 * A fused group read only by one later fused group with the same element count moves into it (silu(gate) joins
 * silu(gate) * up, which had to wait for the up projection). Safe: nothing between the two reads the moved values.
 */
function mergeIntoConsumers(graph: Graph, groups: Group[], groupOf: Map<ValueId, number>, uses: Map<ValueId, number[]>,
  root: (v: ValueId) => ValueId): void {
  const outputs = new Set(graph.outputs.map((o) => root(o.id)));
  const numel = (g: Group) => shapeNumel(graph.types[graph.nodes[g.members[0]!]!.results[0]!]!.shape);
  for (let g = groups.length - 1; g >= 0; g--) {
    const group = groups[g]!;
    if (!group.alive || group.kind !== "fused") continue;
    if (group.members.some((m) => graph.nodes[m]!.results.some((r) => outputs.has(r)))) continue;
    const readers = new Set(escaping(graph, groups, g, groupOf, uses, outputs)
      .flatMap((v) => uses.get(v)!.map((u) => groupOf.get(graph.nodes[u]!.results[0]!)!)).filter((h) => h !== g));
    if (readers.size !== 1) continue;
    const [h] = [...readers] as [number];
    const target = groups[h]!;
    if (!target.alive || target.kind !== "fused" || numel(target) !== numel(group)) continue;
    if (viewReadsFrom(graph, target, group, root)) continue;
    target.members = [...group.members, ...target.members].sort((a, b) => a - b);
    group.alive = false;
    for (const m of group.members) for (const v of graph.nodes[m]!.results) groupOf.set(v, h);
  }
}

/** Whether a view op in `target` reads a value made in `source` (views must read buffers, so they cannot merge). */
function viewReadsFrom(graph: Graph, target: Group, source: Group, root: (v: ValueId) => ValueId): boolean {
  const made = new Set(source.members.flatMap((m) => graph.nodes[m]!.results));
  return target.members.some((m) => opClass(graph.nodes[m]!.op) === "view" && graph.nodes[m]!.args.some((a) => made.has(root(a))));
}

/** A fused group whose single result is read only by one reduction (and is no graph output) joins it. */
function mergePrologues(graph: Graph, groups: Group[], groupOf: Map<ValueId, number>, uses: Map<ValueId, number[]>,
  root: (v: ValueId) => ValueId): void {
  const outputs = new Set(graph.outputs.map((o) => root(o.id)));
  groups.forEach((group, r) => {
    if (group.kind !== "reduce") return;
    const reduceNode = graph.nodes[group.members[0]!]!;
    const input = root(reduceNode.args[0]!);
    const g = groupOf.get(input);
    if (g === undefined || groups[g]!.kind !== "fused" || !groups[g]!.alive) return;
    const out = escaping(graph, groups, g, groupOf, uses, outputs);
    const onlyReduce = (uses.get(input) ?? []).every((u) => u === group.members[0]);
    if (out.length !== 1 || out[0] !== input || !onlyReduce) return;
    group.members = [...groups[g]!.members, ...group.members];
    groups[g]!.alive = false;
    for (const m of groups[g]!.members) for (const v of graph.nodes[m]!.results) groupOf.set(v, r);
  });
}

/** Shape of a group's domain (its first member's result). */
function domainOf(graph: Graph, g: Group): string {
  return JSON.stringify(graph.types[graph.nodes[g.members[0]!]!.results[0]!]!.shape);
}

/** Storage roots group `g` reads from outside itself (nullaries are recomputed inside, so they do not count). */
function externalReads(graph: Graph, g: number, groups: Group[], groupOf: Map<ValueId, number>, root: (v: ValueId) => ValueId): Set<ValueId> {
  const out = new Set<ValueId>();
  for (const m of groups[g]!.members) {
    for (const a of graph.nodes[m]!.args) if (groupOf.get(root(a)) !== g) out.add(root(a));
  }
  return out;
}

/** Moves every member of group `from` into group `to`. */
function moveGroup(graph: Graph, groups: Group[], groupOf: Map<ValueId, number>, from: number, to: number): void {
  groups[to]!.members = [...groups[to]!.members, ...groups[from]!.members].sort((x, y) => x - y);
  groups[from]!.alive = false;
  for (const m of groups[from]!.members) for (const v of graph.nodes[m]!.results) groupOf.set(v, to);
}

/** Merges group `b` with the earlier group `a` if one of the two may move to the other's place (see the header). */
function mergePair(graph: Graph, groups: Group[], groupOf: Map<ValueId, number>, uses: Map<ValueId, number[]>,
  root: (v: ValueId) => ValueId, a: number, b: number): boolean {
  if (viewReadsFrom(graph, groups[b]!, groups[a]!, root)) return false;
  const ready = [...externalReads(graph, b, groups, groupOf, root)].every((v) => (groupOf.get(v) ?? -1) <= a);
  if (ready) {
    moveGroup(graph, groups, groupOf, b, a);
    return true;
  }
  const made = groups[a]!.members.flatMap((m) => graph.nodes[m]!.results);
  const readBetween = made.some((v) => (uses.get(v) ?? []).some((u) => {
    const g = groupOf.get(graph.nodes[u]!.results[0]!)!;
    return g > a && g < b;
  }));
  if (readBetween) return false;
  moveGroup(graph, groups, groupOf, a, b);
  return true;
}

/** Most kernels between two sibling kernels that merge. */
const SIBLING_GAP = 8;

/** Horizontal fusion: nearby fused groups of one shape that read a common buffer of that shape become one kernel. */
function mergeSiblings(graph: Graph, groups: Group[], groupOf: Map<ValueId, number>, uses: Map<ValueId, number[]>,
  root: (v: ValueId) => ValueId): void {
  const between = (a: number, b: number) => groups.slice(a + 1, b).filter((g) => g.alive).length;
  for (let b = 0; b < groups.length; b++) {
    if (!groups[b]!.alive || groups[b]!.kind !== "fused") continue;
    const domain = domainOf(graph, groups[b]!);
    for (const input of externalReads(graph, b, groups, groupOf, root)) {
      if (JSON.stringify(graph.types[input]!.shape) !== domain) continue;
      const partners = (uses.get(input) ?? []).map((u) => groupOf.get(graph.nodes[u]!.results[0]!)!);
      const a = partners.find((g) => g < b && groups[g]!.alive && groups[g]!.kind === "fused" &&
        domainOf(graph, groups[g]!) === domain && between(g, b) <= SIBLING_GAP);
      if (a !== undefined && mergePair(graph, groups, groupOf, uses, root, a, b)) break;
    }
  }
}

/** What partition's builders share: the graph, its producer table and the alias roots. */
interface Context {
  readonly graph: Graph;
  readonly producer: ReadonlyMap<ValueId, number>;
  readonly root: (v: ValueId) => ValueId;
  readonly name: (v: ValueId) => string;
}

/** Whether a kernel may recompute operand `arg` of member `node` itself: in-kernel values, and nullaries except for anchors. */
function computedInside(c: Context, members: ReadonlySet<number>, node: number, arg: ValueId): boolean {
  const p = c.producer.get(c.root(arg));
  if (p === undefined) return false;
  if (members.has(p)) return true;
  return opClass(c.graph.nodes[p]!.op) === "nullary" && opClass(c.graph.nodes[node]!.op) !== "anchor";
}

/** Builds each group's kernel graph and the buffer table. */
function build(graph: Graph, groups: Group[], root: (v: ValueId) => ValueId, producer: Map<ValueId, number>): Partition {
  const names = new Map(graph.inputs.map((i) => [i.id, i.name]));
  const c: Context = { graph, producer, root, name: (v) => names.get(v) ?? `t${v}` };
  const crossing = new Set<ValueId>(graph.outputs.map((o) => o.id));
  for (const g of groups) {
    const members = new Set(g.members);
    for (const m of g.members) for (const a of graph.nodes[m]!.args) if (!computedInside(c, members, m, a)) crossing.add(a);
  }
  const written = new Set([...crossing].map(root));
  const buffers = new Map<string, Buffer>();
  const nullaries: Group[] = [];
  for (const v of crossing) {
    for (const u of new Set([v, root(v)])) buffers.set(c.name(u), { name: c.name(u), type: graph.types[u]!, root: c.name(root(u)) });
    const p = producer.get(root(v));
    if (p !== undefined && opClass(graph.nodes[p]!.op) === "nullary" && !nullaries.some((g) => g.members[0] === p)) {
      nullaries.push({ kind: "fused", members: [p], alive: true });
    }
  }
  const kernels = [...nullaries, ...groups].map((g, k) => kernelGraph(c, g, `k${k}_${g.kind}`, written));
  const outputs = new Map(graph.outputs.map((o) => [o.name, c.name(o.id)]));
  return { source: graph, kernels, buffers, outputs };
}

function kernelGraph(c: Context, group: Group, kernelName: string, written: ReadonlySet<ValueId>): Kernel {
  const { graph, root } = c;
  const b = new GraphBuilder(kernelName);
  const members = new Set(group.members);
  const local = new Map<ValueId, Value>();
  const external = new Set<ValueId>();
  for (const m of group.members) for (const a of graph.nodes[m]!.args) if (!computedInside(c, members, m, a)) external.add(a);
  for (const v of external) local.set(v, b.input(c.name(v), graph.types[v]!.dtype, graph.types[v]!.shape));
  const value = (v: ValueId): Value => {
    const known = local.get(v);
    if (known) return known;
    const made = root(v) !== v
      ? b.op("reshape", [value(root(v))], { shape: graph.types[v]!.shape })
      : (() => {
        const node = graph.nodes[c.producer.get(v)!]!;
        return b.op(node.op, [], node.attrs);
      })();
    local.set(v, made);
    return made;
  };
  for (const m of group.members) {
    const node = graph.nodes[m]!;
    const results = b.ops(node.op, node.args.map(value), node.attrs);
    node.results.forEach((r, i) => local.set(r, results[i]!));
  }
  for (const m of group.members) for (const r of graph.nodes[m]!.results) if (written.has(r)) b.output(c.name(r), local.get(r)!);
  return { name: kernelName, kind: group.kind, graph: b.build() };
}
