// The YAML text of a config file and where each key sits in it. First step of compiler/config: parse the text with
// the `yaml` package (YAML 1.2 core schema plus `<<` merge keys, which Axolotl's PyYAML loader also accepts), turn
// syntax errors into TraincErrors that name file, line and column, and answer "where is key path P?" for every later
// error and warning.
// Invariants: a ConfigSource always holds a top-level mapping; `data` has every null-valued mapping entry removed
// (Axolotl treats `key: null` exactly like an absent key); lines and columns are 1-based.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { fail } from "../diagnostics.ts";
import { CONFIG_ERRORS } from "./codes.ts";

/** A key path into the config: mapping keys and list indices, e.g. ["datasets", 0, "type"]. */
export type KeyPath = readonly (string | number)[];

/** A parsed config file: its name (for messages), its data and its key positions. */
export interface ConfigSource {
  readonly file: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly yamlWarnings: readonly string[];
  /** The line and column of the key (or list item) at `path`; undefined when the path is not written in the file. */
  locate(path: KeyPath): Position | undefined;
  /** True when `path` names a key written in the file (even one whose value is null). */
  has(path: KeyPath): boolean;
}

/** A 1-based line and column in the config file. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Parses config text; throws E1002 for malformed YAML and E1003 when the top level is not a mapping. */
export function readConfigSource(text: string, file: string): ConfigSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const at = lineCounter.linePos(first.pos[0]);
    fail(
      CONFIG_ERRORS.YAML_SYNTAX,
      `${file}:${at.line}:${at.col}: malformed YAML: ${describeYamlProblem(first.message)}`,
      `fix the YAML syntax at line ${at.line}, column ${at.col} of ${file}`,
    );
  }
  const root = topLevelMapping(doc, file);
  const positionOf = (node: Node | null | undefined): Position | undefined => {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset);
  };
  return {
    file,
    data: dropNulls(doc.toJS()) as Record<string, unknown>,
    yamlWarnings: doc.warnings.map((w) => {
      const at = lineCounter.linePos(w.pos[0]);
      return `${file}:${at.line}:${at.col}: ${describeYamlProblem(w.message)}`;
    }),
    locate: (path) => positionOf(findNode(root, path)),
    has: (path) => findNode(root, path) !== undefined,
  };
}

/** The yaml package's message without its trailing source excerpt, with the excerpt appended on its own lines. */
function describeYamlProblem(message: string): string {
  const [head = message, ...excerpt] = message.split("\n");
  const text = head.replace(/ at line \d+, column \d+:?$/, "");
  const context = excerpt.filter((line) => line.trim() !== "").join("\n");
  return context === "" ? text : `${text}\n${context}`;
}

function topLevelMapping(doc: Document, file: string): Node {
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    fail(CONFIG_ERRORS.NOT_A_MAPPING, `${file} is empty`, "write the training config as YAML keys, e.g. `base_model: ./my-model`");
  }
  if (!isMap(root)) {
    const kind = isSeq(root) ? "a list" : "a single value";
    fail(
      CONFIG_ERRORS.NOT_A_MAPPING,
      `${file}: the top level is ${kind}, not a mapping of config keys`,
      "write the config as `key: value` lines at the top level (base_model, datasets, learning_rate, ...)",
    );
  }
  return root;
}

/** Walks `path` through mappings and lists: the node at its end (a key node for a mapping key), or undefined. */
function findNode(root: Node, path: KeyPath): Node | null | undefined {
  let node: Node | null | undefined = root;
  for (const [i, segment] of path.entries()) {
    node = childNode(node, segment, i === path.length - 1);
    if (node === undefined) return undefined;
  }
  return node;
}

/** The child at one path segment: a mapping key's node (its key when `wantKey`, else its value) or a list item. */
function childNode(node: Node | null, segment: string | number, wantKey: boolean): Node | null | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment);
    if (pair === undefined) return undefined;
    return wantKey ? (pair.key as Node) : (pair.value as Node | null);
  }
  if (isSeq(node) && typeof segment === "number") {
    return (node.items[segment] as Node | undefined) ?? undefined;
  }
  return undefined;
}

/** Removes null-valued entries from mappings, recursively (list items are kept as written). */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== null) out[key] = dropNulls(v);
  }
  return out;
}

/** `file:line:col` for a path, or just `file` when the path is not in the file. */
export function where(source: ConfigSource, path: KeyPath): string {
  const at = source.locate(path);
  return at === undefined ? source.file : `${source.file}:${at.line}:${at.col}`;
}

/** `line 12` for a path written in the file, else `not in the file`. */
export function lineOf(source: ConfigSource, path: KeyPath): string {
  const at = source.locate(path);
  return at === undefined ? "not in the file" : `line ${at.line}`;
}

/** A value as it would be written in YAML flow style: `lora`, `true`, `[a, b]`, `{factor: 4}`. */
export function yamlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlValue).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${yamlValue(v)}`).join(", ")}}`;
  }
  const special = /^[\s[\]{}:#,&*!|>'"%@`-]|[:#]\s|\s$|^(true|false|null|~|[-+.\d][\d._]*([eE][-+]?\d+)?)$/i;
  if (typeof value === "string" && (value === "" || special.test(value))) {
    return JSON.stringify(value);
  }
  return String(value);
}

/** `datasets[0].type` for ["datasets", 0, "type"]. */
export function formatPath(path: KeyPath): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}
