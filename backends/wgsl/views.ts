// Parameters of one kernel that are views of the same bytes — two reshapes of one buffer, which the memory plan
// places together (aliases share their root's placement) — bind once. WebGPU rejects a dispatch that binds one range
// twice as writable storage, and every wgsl binding is read_write (language.ts). The later parameter's declaration
// goes, its identifier becomes the earlier one's (a kernel indexes every buffer by flat element index, so views of
// one range read the same element at the same index), and the bindings after it are renumbered.
// Invariant: only read parameters are shared; a kernel that writes a range it also reaches under another name is an
// error, as the plan never produces one.

import type { KernelParam, KernelSource } from "../kernel.ts";
import type { Placement } from "../schedule/memory.ts";

const DECLARATION = /^@group\(0\) @binding\((\d+)\) (var<storage, read_write> (\w+): array<\w+>;)$\n?/gm;

/** `source` with each parameter placed exactly where an earlier one is bound through the earlier one's binding. */
export function shareViews(source: KernelSource, placementOf: (param: KernelParam) => Placement | undefined): KernelSource {
  const key = (p: KernelParam) => {
    const at = placementOf(p);
    return at === undefined ? undefined : `${at.arena}:${at.offset}:${at.bytes}`;
  };
  const keys = source.params.map(key);
  const firstOf = keys.map((k, i) => (k === undefined ? i : keys.indexOf(k)));
  if (firstOf.every((f, i) => f === i)) return source;
  firstOf.forEach((f, i) => {
    if (f !== i && (source.params[i]!.access !== "read" || source.params[f]!.access !== "read")) {
      throw new Error(`${source.name}: parameters ${source.params[f]!.name} and ${source.params[i]!.name} share bytes and one is written`);
    }
  });
  const kept = source.params.map((_, i) => firstOf[i] === i);
  const renumbered = kept.map((_, i) => kept.slice(0, i).filter(Boolean).length);
  const identifiers = new Map<number, string>();
  for (const m of source.code.matchAll(DECLARATION)) identifiers.set(Number(m[1]), m[3]!);
  let code = source.code.replace(DECLARATION, (line: string, binding: string, rest: string) => {
    const k = Number(binding);
    return kept[k] ? `@group(0) @binding(${renumbered[k]}) ${rest}${line.endsWith("\n") ? "\n" : ""}` : "";
  });
  firstOf.forEach((f, i) => {
    if (f !== i) code = code.replace(new RegExp(`(?<![.\\w])${identifiers.get(i)}\\b`, "g"), identifiers.get(f)!);
  });
  return { ...source, code, params: source.params.filter((_, i) => kept[i]) };
}
