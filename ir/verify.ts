// Verifier: checks a Graph (or Module) against every invariant the rest of trainc relies on — dense value ids, uses
// after definitions, unique names, attributes normalized, result types equal to the op table's inference, and every
// symbolic size in an attribute bound by some input's shape. Passes run it after each rewrite in tests.
// Errors: TraincError 3002 naming the graph, the node index and op, and what is wrong.

import { fail } from "../compiler/diagnostics.ts";
import { dimSymbols, type Dim } from "./dim.ts";
import type { AttrValue, Graph, Module, Node } from "./graph.ts";
import { IRTypeError, isOpName, normalizeAttrs, opDef } from "./ops/index.ts";
import { printType } from "./print.ts";

export function verifyModule(module: Module): void {
  const names = new Set<string>();
  for (const graph of module.graphs) {
    if (names.has(graph.name)) fail(3002, `module has two graphs named @${graph.name}`);
    names.add(graph.name);
    verifyGraph(graph);
  }
}

export function verifyGraph(graph: Graph): void {
  const bad = (message: string): never =>
    fail(3002, `@${graph.name}: ${message}`, "this graph was built or rewritten incorrectly; report it with the IR dump");
  let next = 0;
  const bound = new Set<string>();
  checkNames(graph.inputs.map((i) => i.name), "input", bad);
  checkNames(graph.outputs.map((o) => o.name), "output", bad);
  for (const input of graph.inputs) {
    if (input.id !== next++) bad(`input '${input.name}' has id ${input.id}, expected ${next - 1}`);
    for (const d of graph.types[input.id]?.shape ?? bad(`input '${input.name}' has no type`)) {
      for (const s of dimSymbols(d)) bound.add(s);
    }
  }
  graph.nodes.forEach((node, index) => {
    const where = `node ${index} (${node.op})`;
    for (const a of node.args) if (!(a >= 0 && a < next)) bad(`${where} uses %${a} before it is defined`);
    for (const r of node.results) if (r !== next++) bad(`${where} defines %${r}, expected %${next - 1}`);
    checkNode(graph, node, where, bad);
    for (const s of attrSymbols(node)) if (!bound.has(s)) bad(`${where}: size '${s}' is not the size of any input`);
  });
  if (graph.types.length !== next) bad(`has ${graph.types.length} types for ${next} values`);
  for (const o of graph.outputs) if (!(o.id >= 0 && o.id < next)) bad(`output '${o.name}' refers to undefined %${o.id}`);
}

function checkNames(names: string[], what: string, bad: (m: string) => never): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) bad(`${what} name '${n}' is used twice`);
    seen.add(n);
  }
}

function checkNode(graph: Graph, node: Node, where: string, bad: (m: string) => never): void {
  if (!isOpName(node.op)) bad(`${where}: unknown op`);
  try {
    const attrs = normalizeAttrs(node.op, node.args.length, node.attrs);
    if (JSON.stringify(sorted(attrs)) !== JSON.stringify(sorted(node.attrs))) bad(`${where}: attributes are not normalized`);
    const inferred = opDef(node.op).infer(node.args.map((a) => graph.types[a]!), attrs);
    if (inferred.length !== node.results.length) bad(`${where}: has ${node.results.length} results, op gives ${inferred.length}`);
    inferred.forEach((t, i) => {
      const have = graph.types[node.results[i]!];
      if (!have || printType(have) !== printType(t)) {
        bad(`${where}: result ${i} is ${have ? printType(have) : "untyped"}, op gives ${printType(t)}`);
      }
    });
  } catch (e) {
    if (e instanceof IRTypeError) bad(`${where}: ${e.message}`);
    throw e;
  }
}

function sorted(attrs: Readonly<Record<string, AttrValue>>): [string, AttrValue][] {
  return Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1));
}

function attrSymbols(node: Node): string[] {
  const specs = opDef(node.op).attrs;
  const out: string[] = [];
  for (const [key, value] of Object.entries(node.attrs)) {
    const kind = specs[key]?.kind;
    if (kind === "dim") out.push(...dimSymbols(value as Dim));
    if (kind === "dims") for (const d of value as Dim[]) out.push(...dimSymbols(d));
  }
  return out;
}
