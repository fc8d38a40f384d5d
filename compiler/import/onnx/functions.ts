// Inlines model-local functions (ModelProto.functions): a node whose (domain, op_type, overload) names a function is
// replaced by the function's body, with formal inputs/outputs bound to the caller's values, internal values renamed
// under the caller's name, and attribute references (ref_attr_name) resolved from the caller or the defaults.
// Invariants: the result contains no call to a local function; inlining is recursive; a recursive function is an
// error (the spec forbids it). Names of values the caller sees are never changed.

import { fail } from "../../diagnostics.ts";
import { E_MALFORMED } from "./errors.ts";
import type { AttributeMsg, FunctionMsg, NodeMsg } from "./schema.ts";

function key(domain: string | undefined, name: string | undefined, overload: string | undefined): string {
  const d = domain === "ai.onnx" ? "" : domain ?? "";
  return `${d}::${name ?? ""}::${overload ?? ""}`;
}

/** The graph's nodes with every call of a local function replaced by its body. */
export function inlineFunctions(nodes: readonly NodeMsg[], functions: readonly FunctionMsg[]): NodeMsg[] {
  if (functions.length === 0) return [...nodes];
  const table = new Map(functions.map((f) => [key(f.domain, f.name, f.overload), f]));
  const out: NodeMsg[] = [];
  nodes.forEach((node, i) => expand(node, `${node.name || `call${i}`}`, table, [], out));
  return out;
}

function expand(node: NodeMsg, prefix: string, table: Map<string, FunctionMsg>, stack: string[], out: NodeMsg[]): void {
  const k = key(node.domain, node.op_type, node.overload);
  const fn = table.get(k);
  if (!fn) {
    out.push(node);
    return;
  }
  if (stack.includes(k)) {
    fail(E_MALFORMED, `ONNX function '${fn.name}' calls itself (through ${stack.join(" -> ")})`,
      "the model file is invalid: ONNX functions may not be recursive; re-export it");
  }
  const rename = bindNames(node, fn, prefix);
  const attrs = callerAttributes(node, fn);
  (fn.node ?? []).forEach((inner, j) => {
    const renamed: NodeMsg = {
      ...inner,
      name: `${prefix}/${inner.name || `${inner.op_type}${j}`}`,
      input: (inner.input ?? []).map((n) => (n === "" ? "" : rename(n))),
      output: (inner.output ?? []).map((n) => (n === "" ? "" : rename(n))),
      attribute: resolveAttributes(inner.attribute ?? [], attrs),
    };
    expand(renamed, renamed.name!, table, [...stack, k], out);
  });
}

/** Maps a name inside the function body to the name in the caller's scope. */
function bindNames(node: NodeMsg, fn: FunctionMsg, prefix: string): (name: string) => string {
  const binding = new Map<string, string>();
  (fn.input ?? []).forEach((formal, i) => binding.set(formal, node.input?.[i] ?? ""));
  (fn.output ?? []).forEach((formal, i) => binding.set(formal, node.output?.[i] ?? `${prefix}/${formal}`));
  return (name) => binding.get(name) ?? `${prefix}/${name}`;
}

/** The attribute values visible inside one call: the caller's, then the function's defaults. */
function callerAttributes(node: NodeMsg, fn: FunctionMsg): Map<string, AttributeMsg> {
  const attrs = new Map<string, AttributeMsg>();
  for (const d of fn.attribute_proto ?? []) attrs.set(d.name ?? "", d);
  for (const a of node.attribute ?? []) attrs.set(a.name ?? "", a);
  return attrs;
}

function resolveAttributes(list: readonly AttributeMsg[], caller: Map<string, AttributeMsg>): AttributeMsg[] {
  const out: AttributeMsg[] = [];
  for (const attr of list) {
    if (!attr.ref_attr_name) {
      out.push(attr);
      continue;
    }
    const value = caller.get(attr.ref_attr_name);
    if (value) out.push({ ...value, name: attr.name });
  }
  return out;
}
