// Visibility of (query i, key j) pairs for the attention kernels, rendered as device code: which tiles of the other
// side a block must visit (causal, window and document bounds, or a block table), which of those need the
// per-element test, and the static per-element predicate. The forward kernel owns a query tile and visits key tiles;
// the backward kernel owns a key tile and visits query tiles.
// Documents arrive as ranges (document_ranges, passes/packing-masks.ts): rg[2t], rg[2t+1] = [start, end) of the
// document holding position t, one batch row's worth. They are runs partitioning [0, T), so starts and ends never
// decrease along t, and i is in j's document exactly when j is in i's. Prefix-LM ranges (prefix_lm_ranges, spec
// `prefix`) hold four per position, [klo, khi) the keys query t sees and [qlo, qhi) the queries that see key t: the
// forward reads the first pair of its query rows, the backward the second of its keys (rangeAt), so each side reads
// what documents would give it. Both pairs never decrease along t and hold t itself, which is all the walk needs: a
// tile's ranges are read from its first and last rows alone, with no table and no id compares, and the causal
// shortcuts below (a query's keys j <= i stay below its end, a key's queries i >= j above its start) still hold. With a block table (block_mask, the flex lowering), the walk
// visits the listed blocks of the owned tile's block instead, and full blocks skip the per-element test.
// Invariants: without a block table every tile in [lo, hi] holds at least one visible pair (the pairs an owned tile
// may see form one contiguous run of other-side rows); a tile for which needs_mask is false holds only visible pairs
// (key < Tk, causal, window and document rules hold for every pair), so the kernels may skip the per-element test
// there. Tiles lie inside one block of the table (the tile sizes divide it: backends/cuda/attention/index.ts).
//
// Device functions rendered here (in the kernel's detail namespace, after its constants):
//   walk(...)             the Walk of the owned tile at row own0: walk positions [lo, hi] (walkStatements calls it)
//   tile_at(w, f)         the other-side tile at walk position f (f itself without a block table)
//   needs_mask(w, f)      whether that tile needs the per-element test
//   visible(i, j)         the static part of the rule (key < Tk, causal, window); documents are compared by the caller

import { ATTENTION_BLOCK } from "../../../ir/ops/model.ts";
import type { KernelParam } from "../../kernel.ts";
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

/**
 * C++ text of the start (or end) of the range of owned row `t` for a kernel in `role`: its document, or with prefix-LM
 * ranges the keys a query sees (forward) or the queries that see a key (backward).
 */
function rangeAt(s: AttentionSpec, role: Role, t: string, bound: "start" | "end"): string {
  const offset = (s.prefix && role === "backward" ? 2 : 0) + (bound === "end" ? 1 : 0);
  const at = `${rangeWidth(s)} * ${t.includes(" ") ? `(${t})` : t}`;
  return `rg[${offset === 0 ? at : `${at} + ${offset}`}]`;
}

/** Ranges per position: 2 (document ranges) or 4 (prefix-LM ranges). */
function rangeWidth(s: AttentionSpec): number {
  return s.prefix ? 4 : 2;
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
 * rows are [own0, last]), and the statements declaring the document bounds they use (`start`, `end`).
 * Under a causal mask the forward's unmasked tiles lie below every owned row (so inside its document's end) and the
 * backward's above every owned key (so past its document's start): only the other document bound can cut them.
 */
function fullTiles(m: MaskShape): { lower: string[]; upper: string[]; bounds: string[] } {
  const s = m.spec, o = m.other;
  const lower: string[] = [], upper: string[] = [], bounds: string[] = [];
  if (m.role === "forward") {
    upper.push(`${Math.floor(s.Tk / o) - 1}`);
    if (s.causal) upper.push(`(own0 + 1) / ${o} - 1`);
    if (s.window > 0) lower.push(`last >= ${s.window} ? (last - ${s.window}) / ${o} + 1 : 0`);
  } else {
    if (s.Tk % m.own !== 0) upper.push(`own0 + ${m.own} > ${s.Tk} ? -1 : ${tiles(s.Tq, o)}`);
    if (s.causal) lower.push(`(last + ${o - 1}) / ${o}`);
    if (s.window > 0) upper.push(`(own0 + ${s.window}) / ${o} - 1`);
  }
  if (s.documents && (!s.causal || m.role === "forward")) {
    lower.push(`(start + ${o - 1}) / ${o}`);
    bounds.push(`const int start = ${rangeAt(s, m.role, "last", "start")};  // every owned row's range starts by here`);
  }
  if (s.documents && (!s.causal || m.role === "backward")) {
    upper.push(`end / ${o} - 1`);
    bounds.push(`const int end = ${rangeAt(s, m.role, "own0", "end")};  // and ends no earlier than here`);
  }
  return { lower, upper, bounds };
}

/** max(...) or min(...) of C++ int expressions, nested; `empty` when there are none. */
function fold(f: "max" | "min", terms: readonly string[], empty: string): string {
  return terms.length === 0 ? empty : terms.reduce((acc, t) => `${f}(${acc}, ${t})`);
}

/** The walk without a block table: positions are tiles, [lo, hi] from the rules and the documents. */
function rangeWalk(m: MaskShape): string {
  const s = m.spec;
  const ownLength = m.role === "forward" ? s.Tq : s.Tk;
  const { first, last } = staticRows(m);
  const [side, others] = m.role === "forward" ? ["query", "key"] : ["key", "query"];
  const firstVisible = s.documents ? `max(${first}, ${rangeAt(s, m.role, "own0", "start")})` : first;
  const lastVisible = !s.documents || (m.role === "forward" && s.causal) ? last
    : `min(${last}, ${rangeAt(s, m.role, "last", "end")} - 1)`;
  const full = fullTiles(m);
  const otherTiles = tiles(m.role === "forward" ? s.Tk : s.Tq, m.other);
  const documents = full.bounds.map((statement) => `\n  ${statement}`).join("");
  return `// The ${others} tiles [lo, hi] that ${side} rows [own0, own0 + ${m.own}) may see (lo > hi: none), and the
// tiles [full_lo, full_hi] among them whose every pair is visible.
struct Walk {
  int lo, hi, full_lo, full_hi;
};
__device__ __forceinline__ Walk walk(${s.documents ? "const int* rg, " : ""}int own0) {
  const int last = min(own0 + ${m.own}, ${ownLength}) - 1;${documents}
  return Walk{(${firstVisible}) / ${m.other}, (${lastVisible}) / ${m.other},
              ${fold("max", full.lower, "0")}, ${fold("min", full.upper, `${otherTiles}`)}};
}

// The tile at walk position f, and whether it holds a pair that is not visible (so the per-element test must run).
__device__ __forceinline__ int tile_at(const Walk&, int f) {
  return f;
}
__device__ __forceinline__ bool needs_mask(const Walk& w, int f) {
  return f < w.full_lo || f > w.full_hi;
}`;
}

/**
 * The walk of a block table (block_mask, flex): positions run over the listed blocks of the owned tile's block and
 * the tiles inside each. Full blocks need no per-element test, except where a tile reaches past the keys.
 */
function blockWalk(m: MaskShape): string {
  const s = m.spec;
  const sub = ATTENTION_BLOCK / m.other;
  const half = m.role === "forward" ? 0 : 1;
  const tail = m.role === "forward"
    ? (s.Tk % m.other === 0 ? "" : ` || (tile_at(w, f) + 1) * ${m.other} > ${s.Tk}`)
    : (s.Tk % m.own === 0 ? "" : " || w.past_keys");
  const pastKeys = m.role === "backward" && s.Tk % m.own !== 0;
  const [side, others] = m.role === "forward" ? ["query", "key"] : ["key", "query"];
  const blocks = tiles(s.Tq, ATTENTION_BLOCK);
  const pastKeysField = pastKeys ? "\n  bool past_keys;  // the owned keys reach past Tk" : "";
  return `// The ${others} tiles that ${side} rows [own0, own0 + ${m.own}) visit: walk positions [lo, hi] cover the listed
// blocks of their block (bl: this batch row's block table), ${sub} tile${sub > 1 ? "s" : ""} each. walk copies the
// list into shared memory (every thread of the block must call it), where the walk reads it.
struct Walk {
  int lo, hi;
  const int* list;  // the listed blocks: 2 * block + (1 when every pair of it is visible)${pastKeysField}
};
__device__ __forceinline__ Walk walk(const int* bl, int own0, int* shared_list) {
  const int* list = bl + (${half === 0 ? "" : `${blocks} + `}own0 / ${ATTENTION_BLOCK}) * ${blocks + 1};
  for (int e = static_cast<int>(threadIdx.x); e <= ${blocks}; e += static_cast<int>(blockDim.x)) {
    shared_list[e] = list[e];
  }
  __syncthreads();
  return Walk{0, shared_list[0] * ${sub} - 1, shared_list + 1${pastKeys ? `, own0 + ${m.own} > ${s.Tk}` : ""}};
}

// The tile at walk position f, and whether it holds a pair that is not visible (so the per-element test must run).
__device__ __forceinline__ int tile_at(const Walk& w, int f) {
  return (w.list[f / ${sub}] >> 1) * ${sub} + f % ${sub};
}
__device__ __forceinline__ bool needs_mask(const Walk& w, int f) {
  return (w.list[f / ${sub}] & 1) == 0${tail};
}`;
}

function walkFunction(m: MaskShape): string {
  return m.spec.blocks ? blockWalk(m) : rangeWalk(m);
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

/** The kernel parameters of the masks a spec reads: document ranges, then the block table. */
export function maskParams(s: AttentionSpec): KernelParam[] {
  return [
    ...(s.documents ? [{ name: "ranges", dtype: "i32", access: "read" } as const] : []),
    ...(s.blocks ? [{ name: "blocks", dtype: "i32", access: "read" } as const] : []),
  ];
}

/**
 * Kernel statements, after `b` (the batch row) and `smem` (shared memory) are known: pointers to this row's document
 * ranges (rg) and block table (bl) where the spec has them, then `const Walk w` for the tile owned from row `own`.
 */
export function walkStatements(s: AttentionSpec, own: string): string {
  const table = 2 * tiles(s.Tq, ATTENTION_BLOCK) * (tiles(s.Tq, ATTENTION_BLOCK) + 1);
  const args = s.blocks ? ["bl", own, "reinterpret_cast<int*>(smem + LIST_OFFSET)"] : s.documents ? ["rg", own] : [own];
  return (s.documents ? `  const int* rg = ranges + static_cast<long long>(b) * TQ * ${rangeWidth(s)};\n` : "") +
    (s.blocks ? `  const int* bl = blocks + static_cast<long long>(b) * ${table};\n` : "") +
    `  const Walk w = walk(${args.join(", ")});`;
}

/** Shared memory for the owned block's list of a block table (0 without one), 16-byte aligned. */
export function listBytes(s: AttentionSpec): number {
  return s.blocks ? Math.ceil((tiles(s.Tq, ATTENTION_BLOCK) + 1) / 4) * 16 : 0;
}

/** The kernel constant walkStatements reads: where the list goes in shared memory (none without a block table). */
export function listConstant(s: AttentionSpec, offset: number): [string, string, number][] {
  return s.blocks ? [["int", "LIST_OFFSET", offset]] : [];
}

/**
 * The C++ terms (joined with ||) by which query i is outside key j's document, reading rg (the backward kernels' per-
 * element test; causal pairs i >= j are past the key's start already), or "" without documents.
 */
export function outsideKeyDocument(s: AttentionSpec): string {
  if (!s.documents) return "";
  return `${s.causal ? "" : ` || i < ${rangeAt(s, "backward", "j", "start")}`} || i >= ${rangeAt(s, "backward", "j", "end")}`;
}

/**
 * The document bounds a kernel keeps in registers per owned row (forward: query rows; wgmma backward: its keys), as
 * C++ text. Causal pairs need only one bound: a query's keys j <= i never pass its document's end, and a key's queries
 * i >= j never precede its document's start. `dims` is the arrays' extent ("[MT][2]"), `at` an element ("[mt][half]").
 */
export function ownedDocuments(s: AttentionSpec, role: Role) {
  const names = !s.documents ? [] : s.causal ? [role === "forward" ? "start" : "end"] : ["start", "end"];
  const other = role === "forward" ? "j" : "i";
  return {
    /** Declarations `int doc_start[...], doc_end[...];` (empty without documents). */
    declare: (dims: string) => (names.length === 0 ? "" : `int ${names.map((n) => `doc_${n}${dims}`).join(", ")};`),
    /** Stores of the bounds of position `t` (0 past `length`: nothing visible) into element `at`. */
    load: (at: string, t: string, length: string) => names.map((n) =>
      `doc_${n}${at} = ${t} < ${length} ? ${rangeAt(s, role, t, n as "start" | "end")} : 0;`),
    /** Parameters passing the arrays by reference, each preceded by ", ". */
    params: (dims: string) => names.map((n) => `, const int (&doc_${n})${dims}`).join(""),
    /** Arguments passing them, each preceded by ", ". */
    args: names.map((n) => `, doc_${n}`).join(""),
    /** Terms, each preceded by " && ", true when the other side's row (j forward, i backward) is in the document. */
    inside: (at: string) =>
      names.map((n) => (n === "start" ? ` && ${other} >= doc_start${at}` : ` && ${other} < doc_end${at}`)).join(""),
  };
}

/** Device code of walk, tile_at, needs_mask and visible for one kernel. */
export function renderMask(m: MaskShape): string {
  return [walkFunction(m), visibleFunction(m.spec)].join("\n\n");
}
