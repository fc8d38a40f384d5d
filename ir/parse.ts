// Parser for the IR text form written by ir/print.ts. Whitespace-insensitive; `//` starts a comment to the end of the
// line (so golden files can carry CHECK lines). Graphs are rebuilt through GraphBuilder, so parsed IR satisfies every
// builder invariant, and each node's written result types must equal the inferred ones.
// Errors: TraincError 3001 (syntax), 3002 (type or attribute error), 3003 (undefined or duplicate value name), each
// with line:column.

import { fail } from "../compiler/diagnostics.ts";
import { GraphBuilder, type Value } from "./builder.ts";
import { isDType } from "./dtype.ts";
import { parseDim, type Dim } from "./dim.ts";
import type { AttrValue, Graph, Module, TensorType } from "./graph.ts";
import { IRTypeError, isOpName, opDef, type AttrKind, type OpName } from "./ops/index.ts";
import { printType } from "./print.ts";

/** A raw attribute before its kind is known: a number, bool, quoted string, bare word/expression, or list. */
type RawAttr =
  | { kind: "number"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "string"; value: string }
  | { kind: "bare"; value: string }
  | { kind: "list"; items: RawAttr[] };

const NUMBER = /^[+-]?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;

class Cursor {
  pos = 0;
  constructor(readonly text: string, readonly file: string) {}

  where(at = this.pos): string {
    const before = this.text.slice(0, at);
    const line = before.split("\n").length;
    return `${this.file}:${line}:${at - before.lastIndexOf("\n")}`;
  }

  error(message: string, code = 3001, at = this.pos): never {
    fail(code, `${this.where(at)}: ${message}`, "fix the IR text at that position (see `trainc ir` output for the format)");
  }

  skip(): void {
    for (;;) {
      const ws = /^(?:\s+|\/\/[^\n]*)/.exec(this.text.slice(this.pos));
      if (!ws) return;
      this.pos += ws[0].length;
    }
  }

  peek(s: string): boolean {
    this.skip();
    return this.text.startsWith(s, this.pos);
  }

  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string): void {
    if (!this.eat(s)) this.error(`expected '${s}', found ${this.describeNext()}`);
  }

  match(re: RegExp, what: string): string {
    this.skip();
    const m = new RegExp(`^(?:${re.source})`).exec(this.text.slice(this.pos));
    if (!m) this.error(`expected ${what}, found ${this.describeNext()}`);
    this.pos += m[0].length;
    return m[0];
  }

  /** The position of the next token (after whitespace and comments), for error locations. */
  mark(): number {
    this.skip();
    return this.pos;
  }

  atEnd(): boolean {
    this.skip();
    return this.pos >= this.text.length;
  }

  describeNext(): string {
    return this.pos >= this.text.length ? "end of input" : `'${this.text.slice(this.pos, this.pos + 12).split("\n")[0]}'`;
  }

  /** A name after % or @: bare, numeric, or a JSON-quoted string. */
  name(): string {
    this.skip();
    if (this.text[this.pos] === '"') return this.quoted();
    return this.match(/[A-Za-z0-9_.]+/, "a name");
  }

  quoted(): string {
    const text = this.match(/"(?:[^"\\]|\\.)*"/, "a quoted string");
    return JSON.parse(text) as string;
  }
}

/** Parses one or more `func` definitions. */
export function parseModule(text: string, file = "<ir>"): Module {
  const c = new Cursor(text, file);
  const graphs: Graph[] = [];
  while (!c.atEnd()) graphs.push(parseFunc(c));
  if (graphs.length === 0) c.error("expected 'func'");
  const names = new Set<string>();
  for (const g of graphs) {
    if (names.has(g.name)) fail(3003, `${file}: two graphs are named @${g.name}`, "rename one of them");
    names.add(g.name);
  }
  return { graphs };
}

/** Parses text holding exactly one `func`. */
export function parseGraph(text: string, file = "<ir>"): Graph {
  const module = parseModule(text, file);
  if (module.graphs.length !== 1) fail(3001, `${file}: expected one func, found ${module.graphs.length}`);
  return module.graphs[0]!;
}

function parseFunc(c: Cursor): Graph {
  c.expect("func");
  c.expect("@");
  const b = new GraphBuilder(c.name());
  const values = new Map<string, Value>();
  c.expect("(");
  while (!c.eat(")")) {
    const at = c.mark();
    c.expect("%");
    const name = c.name();
    c.expect(":");
    const type = parseType(c);
    if (values.has(name)) c.error(`input %${name} is declared twice`, 3003, at);
    values.set(name, b.input(name, type.dtype, type.shape));
    if (!c.eat(",")) {
      c.expect(")");
      break;
    }
  }
  c.expect("{");
  while (!c.peek("return")) parseNode(c, b, values);
  c.expect("return");
  const outputs = new Set<string>();
  while (!c.eat("}")) {
    const at = c.mark();
    const name = c.peek('"') ? c.quoted() : c.match(/[A-Za-z_][A-Za-z0-9_.]*/, "an output name");
    c.expect("=");
    if (outputs.has(name)) c.error(`output '${name}' is returned twice`, 3003, at);
    outputs.add(name);
    b.output(name, useValue(c, values));
    if (!c.eat(",")) {
      c.expect("}");
      break;
    }
  }
  return b.build();
}

function useValue(c: Cursor, values: Map<string, Value>): Value {
  const at = c.mark();
  c.expect("%");
  const name = c.name();
  return values.get(name) ?? c.error(`%${name} is not defined before this use`, 3003, at);
}

function parseNode(c: Cursor, b: GraphBuilder, values: Map<string, Value>): void {
  const start = c.mark();
  const results: string[] = [];
  do {
    c.expect("%");
    results.push(c.name());
  } while (c.eat(","));
  c.expect("=");
  const opAt = c.mark();
  const opName = c.match(/[a-z_][a-z0-9_]*/, "an op name");
  if (!isOpName(opName)) c.error(`unknown op '${opName}'`, 3002, opAt);
  const args: Value[] = [];
  if (c.peek("%")) {
    do args.push(useValue(c, values));
    while (c.eat(","));
  }
  const attrs = c.peek("{") ? parseAttrs(c, opName) : {};
  c.expect(":");
  const declared: TensorType[] = [parseType(c)];
  while (c.eat(",")) declared.push(parseType(c));
  let made: Value[];
  try {
    made = b.ops(opName, args, attrs);
  } catch (e) {
    if (e instanceof IRTypeError) c.error(e.message, 3002, opAt);
    throw e;
  }
  if (made.length !== results.length) c.error(`${opName} has ${made.length} results, ${results.length} named`, 3002, start);
  made.forEach((value, i) => {
    const want = printType(value.type);
    if (printType(declared[i]!) !== want) {
      c.error(`${opName} result ${i} is ${want}, but the text says ${printType(declared[i]!)}`, 3002, opAt);
    }
    if (values.has(results[i]!)) c.error(`%${results[i]} is defined twice`, 3003, start);
    values.set(results[i]!, value);
  });
}

function parseType(c: Cursor): TensorType {
  const at = c.mark();
  const dtype = c.match(/[a-z][a-z0-9]*/, "a dtype");
  if (!isDType(dtype)) c.error(`unknown dtype '${dtype}'`, 3001, at);
  c.expect("[");
  const shape: Dim[] = [];
  while (!c.eat("]")) {
    shape.push(parseDimText(c));
    if (!c.eat(",")) {
      c.expect("]");
      break;
    }
  }
  return { dtype, shape };
}

function parseDimText(c: Cursor): Dim {
  const at = c.mark();
  const text = c.match(/[A-Za-z0-9_*+\- ]+/, "a dimension");
  try {
    return parseDim(text);
  } catch (e) {
    return c.error((e as Error).message, 3001, at);
  }
}

function parseAttrs(c: Cursor, op: OpName): Record<string, AttrValue> {
  const specs = opDef(op).attrs;
  const attrs: Record<string, AttrValue> = {};
  c.expect("{");
  while (!c.eat("}")) {
    const at = c.mark();
    const key = c.match(/[a-z_][a-z0-9_]*/, "an attribute name");
    c.expect("=");
    const raw = parseRaw(c);
    const spec = specs[key];
    if (!spec) c.error(`${op} has no attribute '${key}'`, 3002, at);
    if (key in attrs) c.error(`attribute '${key}' is given twice`, 3002, at);
    attrs[key] = coerce(c, raw, spec.kind, at, `${op}.${key}`);
    if (!c.eat(",")) {
      c.expect("}");
      break;
    }
  }
  return attrs;
}

function parseRaw(c: Cursor): RawAttr {
  if (c.eat("[")) {
    const items: RawAttr[] = [];
    while (!c.eat("]")) {
      items.push(parseRaw(c));
      if (!c.eat(",")) {
        c.expect("]");
        break;
      }
    }
    return { kind: "list", items };
  }
  if (c.peek('"')) return { kind: "string", value: c.quoted() };
  const word = c.match(/[A-Za-z0-9_.*+\-]+/, "an attribute value").trim();
  if (word === "true" || word === "false") return { kind: "bool", value: word === "true" };
  if (NUMBER.test(word)) return { kind: "number", value: readNumber(word) };
  return { kind: "bare", value: word };
}

function readNumber(word: string): number {
  const body = word.replace(/^[+-]/, "");
  const sign = word.startsWith("-") ? -1 : 1;
  if (body === "inf") return sign * Infinity;
  if (body === "nan") return NaN;
  return Number(word);
}

function coerce(c: Cursor, raw: RawAttr, kind: AttrKind, at: number, what: string): AttrValue {
  const bad = (): never => c.error(`${what} must be ${kind}`, 3002, at);
  const dim = (r: RawAttr): Dim => {
    if (r.kind === "number" && Number.isInteger(r.value)) return r.value;
    if (r.kind !== "bare") return bad();
    try {
      return parseDim(r.value);
    } catch {
      return bad();
    }
  };
  const number = (r: RawAttr): number => (r.kind === "number" ? r.value : bad());
  switch (kind) {
    case "int":
    case "float":
      return number(raw);
    case "bool":
      return raw.kind === "bool" ? raw.value : bad();
    case "string":
      return raw.kind === "string" ? raw.value : bad();
    case "dtype":
      return raw.kind === "bare" && isDType(raw.value) ? raw.value : bad();
    case "dim":
      return dim(raw);
    case "ints":
    case "floats":
      return raw.kind === "list" ? raw.items.map(number) : bad();
    case "dims":
      return raw.kind === "list" ? raw.items.map(dim) : bad();
  }
}
