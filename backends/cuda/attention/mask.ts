// Visibility of (query i, key j) pairs for the attention kernels, rendered as device code: which tiles of the other
// side a block must visit (causal and window block skipping), a per-block flag table built in the prologue (skip /
// no per-element mask / per-element mask, with blocks lying wholly in other documents skipped), and the per-element
// predicate. The forward kernel owns a query tile and visits key tiles; the backward kernel owns a key tile and
// visits query tiles.
// Invariants: a visited tile whose flag is 1 contains only visible pairs (every key < Tk, causal, window and segment
// rules hold for every pair), so the kernels may skip the per-element test there; flag 0 tiles hold no visible pair.
// The segment skip compares [min, max] ranges of ids, so it is right for any ids, sorted or not.
//
// Device functions rendered here (in the kernel's detail namespace, after its constants):
//   visit_range(own0, lo, hi)   inclusive range of other-side tile indices the owned tile may see (lo > hi: none)
//   build_flags(seg, own0, lo, hi, flags)   every warp of the block fills flags[n - lo] for n in [lo, hi]
//   visible(i, j)   the static part of the rule (key < Tk, causal, window); segments are compared by the caller

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
  readonly warps: number;
}

/** The mask shape of a kernel with tile config `c`: the forward owns Br query rows, the backward Bc keys. */
export function maskShape(s: AttentionSpec, c: AttentionConfig, role: Role): MaskShape {
  return role === "forward" ? { spec: s, role, own: c.Br, other: c.Bc, warps: c.warps }
    : { spec: s, role, own: c.Bc, other: c.Br, warps: c.warps };
}

/** Number of tiles of `size` rows over `length` rows. */
export function tiles(length: number, size: number): number {
  return Math.ceil(length / size);
}

function rangeFunction(m: MaskShape): string {
  const s = m.spec;
  if (m.role === "forward") {
    const lo = s.window > 0 ? `max(0, own0 - ${s.window - 1}) / ${m.other}` : "0";
    const hi = s.causal ? `(min(own0 + ${m.own}, ${s.Tq}) - 1) / ${m.other}` : `${tiles(s.Tk, m.other) - 1}`;
    return `// Key tiles [lo, hi] that query rows [own0, own0 + ${m.own}) may see.
__device__ __forceinline__ void visit_range(int own0, int& lo, int& hi) {
  lo = ${lo};
  hi = ${hi};
}`;
  }
  const lo = s.causal ? `own0 / ${m.other}` : "0";
  const last = tiles(s.Tq, m.other) - 1;
  const hi = s.window > 0 ? `min(${last}, (min(own0 + ${m.own}, ${s.Tk}) - 1 + ${s.window - 1}) / ${m.other})`
    : `${last}`;
  return `// Query tiles [lo, hi] that may see key rows [own0, own0 + ${m.own}).
__device__ __forceinline__ void visit_range(int own0, int& lo, int& hi) {
  lo = ${lo};
  hi = ${hi};
}`;
}

/** C++ expression: does the tile pair need the per-element test for causal, window or the key tail? */
function staticMaskExpr(m: MaskShape): string {
  const s = m.spec;
  const other0 = `n * ${m.other}`;
  const [q0, k0, qRows, kRows] = m.role === "forward" ? ["own0", other0, m.own, m.other]
    : [other0, "own0", m.other, m.own];
  const terms = [`${k0} + ${kRows} > ${s.Tk}`];
  if (s.causal) terms.push(`min(${k0} + ${kRows}, ${s.Tk}) - 1 > ${q0}`);
  if (s.window > 0) terms.push(`${k0} <= min(${q0} + ${qRows}, ${s.Tq}) - 1 - ${s.window}`);
  return terms.map((t) => `(${t})`).join(" || ");
}

function segmentRange(name: string, first: string, rows: number, length: number): string {
  return `  int ${name}_min = INT_MAX, ${name}_max = INT_MIN;
  for (int r = lane; r < ${rows}; r += 32) {
    if (${first} + r < ${length}) {
      const int id = seg[${first} + r];
      ${name}_min = min(${name}_min, id);
      ${name}_max = max(${name}_max, id);
    }
  }
  for (int m = 16; m > 0; m >>= 1) {
    ${name}_min = min(${name}_min, shfl_xor(${name}_min, m));
    ${name}_max = max(${name}_max, shfl_xor(${name}_max, m));
  }`;
}

function flagsFunction(m: MaskShape): string {
  const s = m.spec;
  const length = s.Tq;
  if (!s.segments) {
    return `// flags[n - lo] for visited tiles n in [lo, hi]: 1 = every pair visible, 2 = per-element test.
__device__ __forceinline__ void build_flags(int own0, int lo, int hi, unsigned char* flags) {
  for (int n = lo + static_cast<int>(threadIdx.x); n <= hi; n += ${m.warps * 32}) {
    flags[n - lo] = (${staticMaskExpr(m)}) ? 2 : 1;
  }
}`;
  }
  return `// flags[n - lo] for visited tiles n in [lo, hi]: 0 = no pair in one document (skipped), 1 = every pair
// visible, 2 = per-element test. seg is this batch row's ids; ranges of ids that do not meet share no document.
__device__ __forceinline__ void build_flags(const int* seg, int own0, int lo, int hi, unsigned char* flags) {
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
${segmentRange("own", "own0", m.own, length)}
  for (int n = lo + warp; n <= hi; n += ${m.warps}) {
    const int other0 = n * ${m.other};
  ${segmentRange("other", "other0", m.other, length).replaceAll("\n", "\n  ")}
    unsigned char flag = (${staticMaskExpr(m)}) ? 2 : 1;
    if (other_max < own_min || other_min > own_max) flag = 0;
    else if (other_min != other_max || own_min != own_max || other_min != own_min) flag = 2;
    if (lane == 0) flags[n - lo] = flag;
  }
}`;
}

function visibleFunction(s: AttentionSpec): string {
  const terms = [`j < ${s.Tk}`];
  if (s.causal) terms.push("j <= i");
  if (s.window > 0) terms.push(`i - j < ${s.window}`);
  return `// Key j visible from query i by the static rules (segments are compared by the caller).
__device__ __forceinline__ bool visible(int i, int j) {
  return ${terms.join(" && ")};
}`;
}

/** Device code of visit_range, build_flags and visible for one kernel. */
export function renderMask(m: MaskShape): string {
  return [rangeFunction(m), flagsFunction(m), visibleFunction(m.spec)].join("\n\n");
}

/** Bytes of the flag table: one per tile of the visited side. */
export function flagBytes(m: MaskShape): number {
  const length = m.role === "forward" ? m.spec.Tk : m.spec.Tq;
  return Math.ceil(tiles(length, m.other) / 16) * 16;
}
