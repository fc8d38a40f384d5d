// Visibility of (query i, key j) pairs for the attention kernels, rendered as device code: which tiles of the other
// side a block must visit (causal, window and document bounds), which of those need the per-element test, and the
// static per-element predicate. The forward kernel owns a query tile and visits key tiles; the backward kernel owns a
// key tile and visits query tiles.
// Documents arrive as ranges (document_ranges, passes/packing-masks.ts): rg[2t], rg[2t+1] = [start, end) of the
// document holding position t, one batch row's worth. They are runs partitioning [0, T), so starts and ends never
// decrease along t, and i is in j's document exactly when j is in i's; a tile's documents are read from its first and
// last rows alone, with no table and no id compares.
// Invariants: every tile in [lo, hi] holds at least one visible pair (the pairs an owned tile may see form one
// contiguous run of other-side rows); a tile for which needs_mask is false holds only visible pairs (key < Tk,
// causal, window and document rules hold for every pair), so the kernels may skip the per-element test there.
//
// Device functions rendered here (in the kernel's detail namespace, after its constants):
//   walk([rg, ]own0)      the Walk of the owned tile at row own0: tiles [lo, hi] to visit, and the tiles
//                         [full_lo, full_hi] among them that need no per-element test
//   needs_mask(w, n)      whether visited tile n needs the per-element test
//   visible(i, j)         the static part of the rule (key < Tk, causal, window); documents are compared by the caller

import type { AttentionConfig, AttentionSpec } from "./spec.ts";

/** Which side of the pair a block owns. */
export type Role = "forward" | "backward";

/** Sizes the mask code needs, named as in the kernels' constants. */
export interface MaskShape {
  readonly spec: AttentionSpec;
  readonly role: Role;
  /** Rows of the owned tile and of each visited tile. */
  readonly own: number;
  readonly other: number;
}

/** The mask shape of a kernel with tile config `c`: the forward owns Br query rows, the backward Bc keys. */
export function maskShape(s: AttentionSpec, c: AttentionConfig, role: Role): MaskShape {
  return role === "forward" ? { spec: s, role, own: c.Br, other: c.Bc } : { spec: s, role, own: c.Bc, other: c.Br };
}

/** Number of tiles of `size` rows over `length` rows. */
export function tiles(length: number, size: number): number {
  return Math.ceil(length / size);
}

/** C++ expressions of the first and last other-side rows the owned rows [own0, last] may see, before documents. */
function staticRows(m: MaskShape): { first: string; last: string } {
  const s = m.spec;
  if (m.role === "forward") {
    return {
      first: s.window > 0 ? `max(0, own0 - ${s.window - 1})` : "0",
      last: s.causal ? "last" : `${s.Tk - 1}`,
    };
  }
  return {
    first: s.causal ? "own0" : "0",
    last: s.window > 0 ? `min(${s.Tq - 1}, last + ${s.window - 1})` : `${s.Tq - 1}`,
  };
}

/**
 * C++ bounds on the visited tiles n that hold only visible pairs: n >= every `lower`, n <= every `upper` (the owned
 * rows are [own0, last]; `start` and `end` are the document bounds every owned row shares, with documents).
 * Under a causal mask the forward's unmasked tiles lie below every owned row (so inside its document's end) and the
 * backward's above every owned key (so past its document's start): only the other document bound can cut them.
 */
function fullTiles(m: MaskShape): { lower: string[]; upper: string[] } {
  const s = m.spec, o = m.other;
  const lower: string[] = [], upper: string[] = [];
  if (m.role === "forward") {
    upper.push(`${Math.floor(s.Tk / o) - 1}`);
    if (s.causal) upper.push(`(own0 + 1) / ${o} - 1`);
    if (s.window > 0) lower.push(`last >= ${s.window} ? (last - ${s.window}) / ${o} + 1 : 0`);
  } else {
    if (s.Tk % m.own !== 0) upper.push(`own0 + ${m.own} > ${s.Tk} ? -1 : ${tiles(s.Tq, o)}`);
    if (s.causal) lower.push(`(last + ${o - 1}) / ${o}`);
    if (s.window > 0) upper.push(`(own0 + ${s.window}) / ${o} - 1`);
  }
  if (s.documents) {
    if (!s.causal || m.role === "forward") lower.push(`(start + ${o - 1}) / ${o}`);
    if (!s.causal || m.role === "backward") upper.push(`end / ${o} - 1`);
  }
  return { lower, upper };
}

/** max(...) or min(...) of C++ int expressions, nested; `empty` when there are none. */
function fold(f: "max" | "min", terms: readonly string[], empty: string): string {
  return terms.length === 0 ? empty : terms.reduce((acc, t) => `${f}(${acc}, ${t})`);
}

function walkFunction(m: MaskShape): string {
  const s = m.spec;
  const ownLength = m.role === "forward" ? s.Tq : s.Tk;
  const { first, last } = staticRows(m);
  const [side, others] = m.role === "forward" ? ["query", "key"] : ["key", "query"];
  const firstVisible = s.documents ? `max(${first}, rg[2 * own0])` : first;
  const lastVisible = !s.documents || (m.role === "forward" && s.causal) ? last : `min(${last}, rg[2 * last + 1] - 1)`;
  const full = fullTiles(m);
  const bounds = [["start", "rg[2 * last]"], ["end", "rg[2 * own0 + 1]"]]
    .filter(([name]) => [...full.lower, ...full.upper].some((t) => new RegExp(`\\b${name}\\b`).test(t)));
  const documents = bounds.map(([name, value]) => `\n  const int ${name} = ${value};`).join("") +
    (bounds.length > 0 ? "  // every owned row's document holds [start, end)" : "");
  return `// The ${others} tiles [lo, hi] that ${side} rows [own0, own0 + ${m.own}) may see (lo > hi: none), and the
// tiles [full_lo, full_hi] among them whose every pair is visible.
struct Walk {
  int lo, hi, full_lo, full_hi;
};
__device__ __forceinline__ Walk walk(${s.documents ? "const int* rg, " : ""}int own0) {
  const int last = min(own0 + ${m.own}, ${ownLength}) - 1;${documents}
  return Walk{(${firstVisible}) / ${m.other}, (${lastVisible}) / ${m.other},
              ${fold("max", full.lower, "0")}, ${fold("min", full.upper, `${tiles(m.role === "forward" ? s.Tk : s.Tq, m.other)}`)}};
}

// Whether visited tile n holds a pair that is not visible (so the per-element test must run there).
__device__ __forceinline__ bool needs_mask(const Walk& w, int n) {
  return n < w.full_lo || n > w.full_hi;
}`;
}

function visibleFunction(s: AttentionSpec): string {
  const terms = [`j < ${s.Tk}`];
  if (s.causal) terms.push("j <= i");
  if (s.window > 0) terms.push(`i - j < ${s.window}`);
  return `// Key j visible from query i by the static rules (documents are compared by the caller).
__device__ __forceinline__ bool visible(int i, int j) {
  return ${terms.join(" && ")};
}`;
}

/** Device code of walk, needs_mask and visible for one kernel. */
export function renderMask(m: MaskShape): string {
  return [walkFunction(m), visibleFunction(m.spec)].join("\n\n");
}
