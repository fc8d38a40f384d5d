// The IR's text form. One function per construct; output is deterministic (attributes sorted, defaults omitted,
// node results renumbered %0, %1, ... in node order), so the text is both the dump users read and the input of every
// content hash. Invariant: parse(print(g)) rebuilds g exactly (ir/parse.ts), for every graph the builder can make.
//
//   func @name(%x: f32[B,T,64], %w: f32[64,64]) {
//     %0 = matmul %x, %w {transpose_b = true} : f32[B,T,64]
//     %1, %2 = rope_tables %pos {dim = 8, theta = 10000} : f32[B,T,8], f32[B,T,8]
//     return y = %0
//   }

import { formatDim, formatShape, type Dim } from "./dim.ts";
import { BARE_NAME, type AttrValue, type Attrs, type Graph, type Module, type TensorType } from "./graph.ts";
import { opDef, type AttrKind, type OpName } from "./ops/index.ts";

/** Lists longer than this (in characters) print one item per line. */
const WRAP = 100;

export function printModule(module: Module): string {
  return module.graphs.map(printGraph).join("\n");
}

export function printGraph(graph: Graph): string {
  const names = valueNames(graph);
  const inputs = graph.inputs.map((i) => `${names[i.id]}: ${printType(graph.types[i.id]!)}`);
  const lines = [`func @${graph.name}(${wrap(inputs, "  ")}) {`];
  for (const node of graph.nodes) {
    const results = node.results.map((r) => names[r]).join(", ");
    const args = node.args.map((a) => names[a]).join(", ");
    const attrs = printAttrs(node.op, node.attrs);
    const types = node.results.map((r) => printType(graph.types[r]!)).join(", ");
    lines.push(`  ${results} = ${[node.op, args, attrs].filter((s) => s !== "").join(" ")} : ${types}`);
  }
  const outputs = graph.outputs.map((o) => `${printName(o.name)} = ${names[o.id]}`);
  lines.push(outputs.length === 0 ? "  return" : `  return ${wrap(outputs, "    ", false)}`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

export function printType(type: TensorType): string {
  return `${type.dtype}${formatShape(type.shape)}`;
}

/** `%name` for inputs (quoted when not a bare identifier), `%<n>` for node results. */
function valueNames(graph: Graph): string[] {
  const names: string[] = [];
  for (const input of graph.inputs) names[input.id] = `%${printName(input.name)}`;
  let next = 0;
  for (const node of graph.nodes) for (const r of node.results) names[r] = `%${next++}`;
  return names;
}

function printName(name: string): string {
  return BARE_NAME.test(name) ? name : JSON.stringify(name);
}

function wrap(items: string[], indent: string, parens = true): string {
  const flat = items.join(", ");
  if (flat.length <= WRAP) return flat;
  const body = items.map((item) => `\n${indent}${item}`).join(",");
  return parens ? `${body}\n` : body;
}

function printAttrs(op: OpName, attrs: Attrs): string {
  const specs = opDef(op).attrs;
  const parts: string[] = [];
  for (const key of Object.keys(attrs).sort()) {
    const spec = specs[key]!;
    const value = attrs[key]!;
    if (spec.default !== undefined && sameValue(spec.default, value)) continue;
    parts.push(`${key} = ${printAttr(spec.kind, value)}`);
  }
  return parts.length === 0 ? "" : `{${parts.join(", ")}}`;
}

function printAttr(kind: AttrKind, value: AttrValue): string {
  switch (kind) {
    case "int":
    case "float":
      return printNumber(value as number);
    case "bool":
      return String(value);
    case "string":
      return JSON.stringify(value);
    case "dtype":
      return value as string;
    case "dim":
      return formatDim(value as Dim);
    case "ints":
    case "floats":
      return `[${(value as number[]).map(printNumber).join(", ")}]`;
    case "dims":
      return `[${(value as Dim[]).map(formatDim).join(", ")}]`;
  }
}

/** Shortest text that reads back as the same double (integers in plain digits): `1e-8`, `0.5`, `10000`, `-0`, `inf`. */
export function printNumber(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0";
  const plain = String(x);
  if (Number.isInteger(x) && !plain.includes("e")) return plain;
  const exponent = x.toExponential().replace("e+", "e");
  return exponent.length < plain.length ? exponent : plain;
}

function sameValue(a: AttrValue, b: AttrValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}
