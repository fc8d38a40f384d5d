// Tensors a kernel reaches through functions instead of indexing its binding: those larger than the device's
// maxStorageBufferBindingSize, and those stored as f16. One WGSL binding covers at most that many bytes, so a larger
// tensor binds as several consecutive parts of its range, `partBytes` each but the last (KernelParam.part); an f16
// tensor is stored in 16 bits and computed on in f32. The kernel reaches the elements of such a tensor through two
// functions declared for it, `<name>_load(i)` and `<name>_store(i, v)`, which pick the part and the index within it and
// convert f16 to f32 and back (trainc_to_f16, the prelude's IEEE conversion). Every access `name[i]` in the kernel's
// text becomes a call: a read a load, an assignment a store, a compound assignment (`+=`, ...) a load and a store; so
// the generators and templates write every kernel as if each tensor were one f32 (i32, u32) array.
// Invariants: a kernel whose tensors all fit and none of them f16 is returned unchanged; bindings stay numbered in
// parameter order; the rewritten code declares nothing under such a tensor's own name, so an access form this rewrite
// does not know (a pointer, arrayLength) fails WGSL validation (E5702) rather than reading wrong data; part offsets
// are multiples of 256 bytes (minStorageBufferOffsetAlignment); the rewrite depends only on the code, partBytes and
// the parts of each parameter (which follow from sizes the code holds), so equal kernels stay equal and keep their name.

import type { KernelParam, KernelSource } from "../kernel.ts";
import { alignDown } from "../schedule/memory.ts";

/**
 * The bytes of every part but a tensor's last: the largest multiple of 256 bytes (the memory plan's alignment, and
 * WebGPU's minStorageBufferOffsetAlignment) one binding may cover.
 */
export function partBytesFor(maxBindingBytes: number): number {
  return alignDown(maxBindingBytes);
}

/** How many bindings a tensor of `bytes` takes. */
export function partsOf(bytes: number, partBytes: number): number {
  return Math.max(1, Math.ceil(bytes / partBytes));
}

const DECLARATION = /^@group\(0\) @binding\((\d+)\) var<storage, read_write> (\w+): array<(\w+)>;$/gm;

/** Index of the `]` closing the `[` at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "[") depth++;
    else if (text[i] === "]" && --depth === 0) return i;
  }
  throw new Error(`unbalanced [ in WGSL at ${open}`);
}

/** Index of the `;` ending the statement that continues at `from` (outside any brackets). */
function statementEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === ";" && depth === 0) return i;
  }
  throw new Error(`unterminated WGSL statement at ${from}`);
}

/** `text` with every access to a tensor of `split` made a call of its load or store function. */
function rewriteAccesses(text: string, split: ReadonlySet<string>): string {
  const access = new RegExp(`(?<![\\w.])(${[...split].join("|")})\\[`, "g");
  let out = "";
  let at = 0;
  for (let m = access.exec(text); m; access.lastIndex = at, m = access.exec(text)) {
    const name = m[1]!;
    const open = m.index + name.length;
    const close = closing(text, open);
    const index = `i32(${rewriteAccesses(text.slice(open + 1, close), split)})`;
    const assign = /^\s*(<<|>>|[-+*/%&|^])?=(?!=)/.exec(text.slice(close + 1));
    out += text.slice(at, m.index);
    if (!assign) {
      out += `${name}_load(${index})`;
      at = close + 1;
      continue;
    }
    const start = close + 1 + assign[0].length;
    const end = statementEnd(text, start);
    const value = rewriteAccesses(text.slice(start, end).trim(), split);
    out += `${name}_store(${index}, ${assign[1] ? `${name}_load(${index}) ${assign[1]} (${value})` : value})`;
    at = end;
  }
  return out + text.slice(at);
}

/**
 * The bindings of `count` parts of tensor `name` (elements of WGSL type `type`: f16 2 bytes, the others 4), from binding
 * `first` on, and its load and store functions, which take and give f32 for f16 elements.
 */
function accessorDeclaration(name: string, type: string, first: number, count: number, partBytes: number): string {
  const part = (k: number) => `${name}_part${k}`;
  const per = partBytes / (type === "f16" ? 2 : 4);
  const value = type === "f16" ? "f32" : type;
  const bindings = Array.from({ length: count }, (_, k) =>
    `@group(0) @binding(${first + k}) var<storage, read_write> ${part(k)}: array<${type}>;`);
  const pick = (use: (p: string) => string) => Array.from({ length: count - 1 }, (_, k) =>
    `  if (p == ${k}) { ${use(part(k))} }\n`).join("") + `  ${use(part(count - 1))}`;
  return `${bindings.join("\n")}
fn ${name}_load(i: i32) -> ${value} {
  let p = i / ${per};
  let j = i - p * ${per};
${pick((x) => `return ${value === type ? `${x}[j]` : `${value}(${x}[j])`};`)}
}
fn ${name}_store(i: i32, v: ${value}) {
  let p = i / ${per};
  let j = i - p * ${per};
${pick((x) => `${x}[j] = ${value === type ? "v" : "trainc_to_f16(v)"}; return;`)}
}`;
}

/**
 * `source` with each parameter that `parts` gives more than one part bound as that many parts of `partBytes` (the
 * last shorter), and each of those and each f16 parameter reached through its load and store functions.
 */
export function bindAccessors(source: KernelSource, parts: (param: KernelParam) => number, partBytes: number): KernelSource {
  const counts = source.params.map(parts);
  const through = source.params.map((p, k) => counts[k]! > 1 || p.dtype === "f16");
  if (!through.some((t) => t)) return source;
  const first = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
  const split = new Set<string>();
  const code = source.code.replace(DECLARATION, (line, binding: string, name: string, type: string) => {
    const k = Number(binding);
    if (!through[k]) return line.replace(`@binding(${k})`, `@binding(${first[k]})`);
    split.add(name);
    return accessorDeclaration(name, type, first[k]!, counts[k]!, partBytes);
  });
  if (split.size !== through.filter((t) => t).length) {
    throw new Error(`${source.name}: a parameter reached through functions has no binding declaration of the form accessors.ts knows`);
  }
  const params = source.params.flatMap((p, k) =>
    counts[k] === 1 ? [p] : Array.from({ length: counts[k]! }, (_, index) => ({ ...p, part: { index, bytes: partBytes } })));
  return { ...source, code: rewriteAccesses(code, split), params };
}
