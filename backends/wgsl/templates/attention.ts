// Attention and its gradient on WebGPU (ir/interpret/attention.ts): q [B,Tq,Hq,D], k and v [B,Tk,Hk,D], optional
// document ranges [B,T,2] (passes/packing-masks.ts) or prefix-LM ranges [B,T,4] (prefix_lm_ranges); query head h
// reads kv head h / (Hq/Hk); key j is visible from query i when (not causal or j <= i), (no window or i - j < window)
// and j is in i's range. A query's range is its document, or its keys (the first pair of prefix-LM ranges); a key's
// is its document, or its queries (the second pair). Both never decrease along T, so a row's visible keys (or
// queries) stay one interval and a block's rows see one interval too, read from its first and last rows.
// In f32, a thread per row; a workgroup takes `rows` consecutive rows of one head (256 by default) and walks the keys
// (or, for dk and dv, the queries) its rows can see in tiles that its threads load together into workgroup memory, so
// each key is read from memory once per workgroup of queries. Tiles fit WebGPU's guaranteed 16 KiB of workgroup
// memory (tileRows); rows per workgroup and per tile are a config (WgslAttentionConfig), searched by
// wgslAttentionSpace.
// forward: a thread per query runs the online softmax over its visible keys, writes the output row and the row's
// log-sum-exp (the side buffer lse [B,Hq,Tq]) for the backward pass; a row that sees no key writes zeros and lse =
// the largest f32, so the backward pass's exp(s - lse) is 0 there. The sentinels are finite: WGSL lets an
// implementation assume no infinities arise.
// backward, three kernels: (1) a thread per query writes its row's statistics (lse, delta = rowsum(dout * out)) side
// by side into the scratch `stats` [B,Hq,Tq,2]; (2) a thread per query computes dq; (3) a thread per key and kv head
// sums dk and dv over the query heads of its group and the queries that see it. (2) and (3) recompute
// p = exp(scale * q.k - lse), which is 0 for rows that see no key. Keeping lse and delta in one buffer holds every
// kernel to WebGPU's default 8 storage buffers, document ranges included.
// Invariants: Dv == D (kernels.ts refuses others first); every output element is written by exactly one thread;
// barriers sit only in loops whose bounds are the same for the whole workgroup.

import type { Kernel } from "../../schedule/partition.ts";
import { enumerate, kernelContentHash, rooflineSeconds, type SearchSpace } from "../../tunable.ts";
import { rowStatsScratch } from "../../schedule/side-buffers.ts";
import { hasDocumentRanges, hasPrefixLmRanges } from "../../schedule/documents.ts";
import { anchorOf, writtenResult, type Anchor, type Slot } from "../../cuda/templates/anchor.ts";
import type { KernelParam, KernelSource } from "../../kernel.ts";
import { f32, gridFor, makeWgslKernel, paramBytes, type Role } from "./source.ts";

interface Geometry {
  readonly B: number; readonly Tq: number; readonly Tk: number; readonly Hq: number; readonly Hk: number; readonly D: number;
  readonly causal: boolean; readonly window: number; readonly scale: number; readonly documents: boolean;
  /** The documents are prefix-LM ranges [B,T,4]. */
  readonly prefix: boolean;
}

function geometry(kernel: Kernel, a: Anchor): Geometry {
  const [q, k] = a.args;
  const [B, Tq, Hq, D] = q!.shape as [number, number, number, number];
  const [, Tk, Hk] = k!.shape as [number, number, number];
  return { B, Tq, Tk, Hq, Hk, D, causal: a.node.attrs["causal"] as boolean, window: a.node.attrs["window"] as number,
    scale: a.node.attrs["scale"] as number, documents: hasDocumentRanges(kernel), prefix: hasPrefixLmRanges(kernel) };
}

/** WebGPU's guaranteed workgroup memory (maxComputeWorkgroupStorageSize), in bytes. */
const WORKGROUP_BYTES = 16384;

/**
 * Rows per tile when each tile row holds `floats` f32 values and `reserved` bytes hold other workgroup variables: a
 * power of two, at most 64, within WORKGROUP_BYTES.
 */
export function tileRows(floats: number, reserved = 0): number {
  let rows = 64;
  while (rows > 1 && rows * floats * 4 + reserved > WORKGROUP_BYTES) rows /= 2;
  return rows;
}

/** Rows per key tile (k and v rows) and per query tile (q and dout rows plus the rows' lse and delta). */
function keyTileRows(g: Geometry): number {
  return tileRows(2 * g.D, boundsBytes(g));
}

function queryTileRows(g: Geometry): number {
  return tileRows(2 * g.D + 2, boundsBytes(g));
}

function constants(g: Geometry, tile: number): string {
  return `const D: i32 = ${g.D};
const TQ: i32 = ${g.Tq};
const TK: i32 = ${g.Tk};
const HQ: i32 = ${g.Hq};
const GROUP: i32 = ${g.Hq / g.Hk};  // query heads per kv head
const HK: i32 = ${g.Hk};
const SCALE: f32 = ${f32(g.scale)};
const TILE: i32 = ${tile};  // rows per tile in workgroup memory
const F32_MAX: f32 = 0x1.fffffep+127f;  // the running max starts at -F32_MAX; a row that sees no key has lse F32_MAX`;
}

/**
 * How the kernels that walk tiles run: rows (threads) per workgroup, rows per key tile (forward, dq) and per query
 * tile (dk and dv; the forward has none).
 */
export type WgslAttentionConfig = { readonly rows: number; readonly keyTile: number; readonly queryTile: number };

/**
 * The head of a workgroup loop over (b, head, block of `block` rows) of `rows` rows per head and `heads` heads:
 * uniform `b`, `head`, `first`, `last` (the block's rows) and the thread's row `r` with `live` when it exists.
 */
function blockLoop(rows: string, heads: string, count: number, block: number): string {
  return `  let blocks = (${rows} + ${block - 1}) / ${block};
  for (var w: i32 = i32(wg.x); w < ${count}; w += i32(groups.x)) {
    let block = w % blocks;
    let head = w / blocks % ${heads};
    let b = w / (blocks * ${heads});
    let first = block * ${block};
    let last = min(first + ${block - 1}, ${rows} - 1);
    let r = first + i32(lid.x);
    let live = r < ${rows};`;
}

/**
 * Statements loading rows [t0, t0 + TILE) of `src` (row `row` at ((b * T + row) * H + head) * D) into `tile`, by a
 * workgroup of `threads`.
 */
function loadTile(tile: string, src: string, t: string, h: string, head: string, threads: number, indent = "      "): string {
  return `${indent}for (var e: i32 = i32(lid.x); e < TILE * D; e += ${threads}) {
${indent}  let row = min(t0 + e / D, ${t} - 1);
${indent}  ${tile}[e] = ${src}[((b * ${t} + row) * ${h} + ${head}) * D + e % D];
${indent}}`;
}

/**
 * `lo` and `hi` clamped to the range of row `t` (of length `length`) on `side`: [start, end) read from rg, the row's
 * document, or with prefix-LM ranges the keys a query sees or the queries that see a key.
 */
function inDocument(g: Geometry, [lo, hi]: readonly [string, string], t: string, length: string,
  side: "query" | "key"): [string, string] {
  if (!g.documents) return [lo, hi];
  const row = `${g.prefix ? 4 : 2} * (b * ${length} + min(${t}, ${length} - 1))`;
  const at = g.prefix && side === "key" ? `${row} + 2` : row;
  return [`max(${lo}, rg[${at}])`, `min(${hi}, rg[${at} + 1] - 1)`];
}

/**
 * WGSL lets `${name}_lo` and `${name}_hi`, the block's loop bounds. Values read from a storage buffer are not uniform
 * to WGSL, so with documents thread 0 computes them and the workgroup reads them back with workgroupUniformLoad
 * (after a barrier: the previous block's reads must be done).
 */
function blockBounds(g: Geometry, name: string, lo: string, hi: string): string {
  if (!g.documents) return `    let ${name}_lo = ${lo};
    let ${name}_hi = ${hi};`;
  return `    workgroupBarrier();
    if (lid.x == 0u) {
      bounds[0] = ${lo};
      bounds[1] = ${hi};
    }
    let ${name}_lo = workgroupUniformLoad(&bounds[0]);
    let ${name}_hi = workgroupUniformLoad(&bounds[1]);`;
}

/** The workgroup variable blockBounds hands uniform bounds through (none without documents), and its bytes. */
function boundsDeclaration(g: Geometry): string {
  return g.documents ? "\nvar<workgroup> bounds: array<i32, 2>;" : "";
}

function boundsBytes(g: Geometry): number {
  return g.documents ? 8 : 0;
}

/** The keys query r sees and the keys any query of the block sees, as WGSL `lo`, `hi`, `keys_lo`, `keys_hi`. */
function keyRange(g: Geometry): string {
  const range = (i: string): [string, string] =>
    [g.window > 0 ? `max(0, ${i} - ${g.window - 1})` : "0", g.causal ? `min(${i}, TK - 1)` : "TK - 1"];
  const [lo, hi] = inDocument(g, range("r"), "r", "TQ", "query");
  const tileLo = inDocument(g, range("first"), "first", "TQ", "query")[0];
  const tileHi = inDocument(g, range("last"), "last", "TQ", "query")[1];
  return `    let lo = ${lo};  // the keys this thread's query sees
    let hi = ${hi};
${blockBounds(g, "keys", tileLo, tileHi)}  // the keys any query of the block sees`;
}

/** The side buffers of an attention kernel and its backward pass, as kernel parameters: f32 but the forward's output. */
function side(name: string, access: KernelParam["access"], dtype: KernelParam["dtype"] = "f32"): KernelParam {
  return { name, dtype, access };
}

function documentRole(a: Anchor, operands: number): Role[] {
  return a.args.length > operands ? [["rg", a.args[operands]!]] : [];
}

/** Workgroups for `work` blocks of rows: one each, at most 65535 (the loop strides over the rest). */
function blockGrid(work: number): [number, number, number] {
  return [Math.max(1, Math.min(65535, work)), 1, 1];
}

/** The module-scope declarations of a kernel that walks keys in tiles of `tile` rows: constants and the k and v tiles. */
function keyTileDeclarations(g: Geometry, tile: number): string {
  return `${constants(g, tile)}

var<workgroup> k_tile: array<f32, ${tile * g.D}>;
var<workgroup> v_tile: array<f32, ${tile * g.D}>;${boundsDeclaration(g)}`;
}

/** Blocks of `rows` queries over every (batch, query head). */
function queryBlocks(g: Geometry, rows: number): number {
  return g.B * g.Hq * Math.ceil(g.Tq / rows);
}

/**
 * The start of a kernel with a thread per query: the block loop, the thread's head, kv head and key range, `qo` (its
 * row's offset) and `qv` (its query row).
 */
function queryPrologue(g: Geometry, rows: number): string {
  return `${blockLoop("TQ", "HQ", queryBlocks(g, rows), rows)}
    let h = head;
    let kvh = h / GROUP;
${keyRange(g)}
    let qo = ((b * TQ + min(r, TQ - 1)) * HQ + h) * D;
    var qv: array<f32, ${g.D}>;
    for (var d: i32 = 0; d < D; d++) { qv[d] = q[qo + d]; }`;
}

/** The walk over the block's keys, a tile at a time: `body` runs for every key j the thread's query sees. */
function keyTileLoop(body: string, threads: number): string {
  return `    for (var t0: i32 = keys_lo; t0 <= keys_hi; t0 += TILE) {
      workgroupBarrier();
${loadTile("k_tile", "k", "TK", "HK", "kvh", threads)}
${loadTile("v_tile", "v", "TK", "HK", "kvh", threads)}
      workgroupBarrier();
      for (var jj: i32 = 0; jj < TILE; jj++) {
        let j = t0 + jj;
        if (!live || j < lo || j > hi) { continue; }
${body}
      }
    }`;
}

/** The forward kernel: out and lse (side buffer `lse`) of q, k, v. */
export function renderWgslAttention(kernel: Kernel, config?: WgslAttentionConfig): KernelSource {
  const a = anchorOf(kernel, "attention");
  const g = geometry(kernel, a);
  const { rows: block, keyTile } = config ?? defaultConfig(kernel);
  const [q, k, v] = a.args;
  const out = writtenResult(a, 0);
  const lse = side(kernel.extraWrites![0]!, "write");
  const rows = g.B * g.Hq * g.Tq;
  return makeWgslKernel({
    anchor: a, kind: "attention", extra: [lse],
    roles: [["q", q!], ["k", k!], ["v", v!], ...documentRole(a, 3), ["out", out], ["lse", lse]],
    summary: `${g.causal ? "causal " : ""}attention [${q!.shape.join(", ")}], ${g.Hk} kv heads, a thread per query, keys in tiles of ${keyTile}`,
    helpers: keyTileDeclarations(g, keyTile),
    body: `${queryPrologue(g, block)}
    var acc: array<f32, ${g.D}>;
    var m = -F32_MAX;
    var l = 0.0;
${keyTileLoop(`        var s = 0.0;
        for (var d: i32 = 0; d < D; d++) { s += qv[d] * k_tile[jj * D + d]; }
        s *= SCALE;
        let top = max(m, s);
        let correction = exp(m - top);
        let p = exp(s - top);
        l = l * correction + p;
        for (var d: i32 = 0; d < D; d++) { acc[d] = acc[d] * correction + p * v_tile[jj * D + d]; }
        m = top;`, block)}
    if (live) {
      let inv = select(0.0, 1.0 / l, l > 0.0);
      for (var d: i32 = 0; d < D; d++) { out[qo + d] = acc[d] * inv; }
      lse[(b * HQ + h) * TQ + r] = select(F32_MAX, m + log(l), l > 0.0);
    }
  }`,
    grid: blockGrid(queryBlocks(g, block)), threads: block,
    flops: 4 * rows * g.Tk * g.D / (g.causal || g.prefix ? 2 : 1),
    bytes: paramBytes([q!, k!, v!, out]) + 4 * rows,
  });
}

/** The backward kernels: the rows' statistics, dq, then dk and dv. */
export function renderWgslAttentionGrad(kernel: Kernel, config?: WgslAttentionConfig): KernelSource[] {
  const a = anchorOf(kernel, "attention_grad");
  const g = geometry(kernel, a);
  const { rows: block, keyTile, queryTile: qTile } = config ?? defaultConfig(kernel);
  const [q, k, v, dout] = a.args as Slot[];
  const [dq, dk, dv] = [0, 1, 2].map((r) => writtenResult(a, r));
  const [out, lse] = [side(kernel.extraReads![0]!, "read", q!.dtype), side(kernel.extraReads![1]!, "read")];
  const scratch = rowStatsScratch(kernel)[0]!.name;
  const [stats, statsRead] = [side(scratch, "write"), side(scratch, "read")];
  const rows = g.B * g.Hq * g.Tq;
  const inputs: Role[] = [["q", q!], ["k", k!], ["v", v!], ["dout", dout!], ...documentRole(a, 4)];
  const flops = 4 * rows * g.Tk * g.D / (g.causal || g.prefix ? 2 : 1);
  const prep = makeWgslKernel({
    anchor: a, kind: "attention_grad_stats", extra: [out!, lse!, stats],
    roles: [["dout", dout!], ["out", out!], ["lse", lse!], ["stats", stats]],
    summary: `attention gradient [${q!.shape.join(", ")}]: each row's lse and delta = rowsum(dout * out)`,
    helpers: `const D: i32 = ${g.D};
const TQ: i32 = ${g.Tq};
const HQ: i32 = ${g.Hq};`,
    body: `  for (var row: i32 = i32(gid.x); row < ${rows}; row += i32(groups.x) * 256) {
    let i = row % TQ;
    let h = row / TQ % HQ;
    let b = row / (TQ * HQ);
    let oo = ((b * TQ + i) * HQ + h) * D;
    var dot = 0.0;
    for (var d: i32 = 0; d < D; d++) { dot += dout[oo + d] * out[oo + d]; }
    stats[2 * row] = lse[row];
    stats[2 * row + 1] = dot;
  }`,
    grid: gridFor(rows), flops: 2 * rows * g.D, bytes: paramBytes([dout!]) * 2 + 12 * rows,
  });
  const dqKernel = makeWgslKernel({
    anchor: a, kind: "attention_grad_dq", extra: [statsRead],
    roles: [...inputs, ["stats", statsRead], ["dq", dq!]],
    summary: `attention gradient [${q!.shape.join(", ")}]: dq, a thread per query, keys in tiles of ${keyTile}`,
    helpers: keyTileDeclarations(g, keyTile),
    body: `${queryPrologue(g, block)}
    let row = (b * HQ + h) * TQ + min(r, TQ - 1);
    let row_lse = stats[2 * row];
    let delta = stats[2 * row + 1];
    var gv: array<f32, ${g.D}>;
    for (var d: i32 = 0; d < D; d++) { gv[d] = dout[qo + d]; }
    var acc: array<f32, ${g.D}>;
${keyTileLoop(`        var s = 0.0;
        var dp = 0.0;
        for (var d: i32 = 0; d < D; d++) {
          s += qv[d] * k_tile[jj * D + d];
          dp += gv[d] * v_tile[jj * D + d];
        }
        let ds = exp(s * SCALE - row_lse) * (dp - delta) * SCALE;
        for (var d: i32 = 0; d < D; d++) { acc[d] += ds * k_tile[jj * D + d]; }`, block)}
    if (live) {
      for (var d: i32 = 0; d < D; d++) { dq[qo + d] = acc[d]; }
    }
  }`,
    grid: blockGrid(queryBlocks(g, block)), threads: block, flops, bytes: paramBytes([q!, k!, v!, dout!, dq!]) + 8 * rows,
  });
  const kWork = g.B * g.Hk * Math.ceil(g.Tk / block);
  const queries = (j: string): [string, string] => inDocument(g,
    [g.causal ? j : "0", g.window > 0 ? `min(TQ - 1, ${j} + ${g.window - 1})` : "TQ - 1"], j, "TK", "key");
  const dkvKernel = makeWgslKernel({
    anchor: a, kind: "attention_grad_dkv", extra: [statsRead],
    roles: [...inputs, ["stats", statsRead], ["dk", dk!], ["dv", dv!]],
    summary: `attention gradient [${q!.shape.join(", ")}]: dk and dv, a thread per key and kv head, queries in tiles of ${qTile}`,
    helpers: `${constants(g, qTile)}

var<workgroup> q_tile: array<f32, ${qTile * g.D}>;
var<workgroup> g_tile: array<f32, ${qTile * g.D}>;
var<workgroup> s_tile: array<f32, ${qTile * 2}>;${boundsDeclaration(g)}`,
    body: `${blockLoop("TK", "HK", kWork, block)}
    let kvh = head;
    let j = r;
    let ko = ((b * TK + min(j, TK - 1)) * HK + kvh) * D;
    let lo = ${queries("j")[0]};  // the queries that see this thread's key
    let hi = ${queries("j")[1]};
${blockBounds(g, "queries", queries("first")[0], queries("last")[1])}  // the queries that see any key of the block
    var kv: array<f32, ${g.D}>;
    var vv: array<f32, ${g.D}>;
    for (var d: i32 = 0; d < D; d++) {
      kv[d] = k[ko + d];
      vv[d] = v[ko + d];
    }
    var dk_acc: array<f32, ${g.D}>;
    var dv_acc: array<f32, ${g.D}>;
    for (var h: i32 = kvh * GROUP; h < (kvh + 1) * GROUP; h++) {
      for (var t0: i32 = queries_lo; t0 <= queries_hi; t0 += TILE) {
        workgroupBarrier();
${loadTile("q_tile", "q", "TQ", "HQ", "h", block, "        ")}
${loadTile("g_tile", "dout", "TQ", "HQ", "h", block, "        ")}
        for (var e: i32 = i32(lid.x); e < 2 * TILE; e += ${block}) {
          s_tile[e] = stats[2 * ((b * HQ + h) * TQ + min(t0 + e / 2, TQ - 1)) + e % 2];
        }
        workgroupBarrier();
        for (var ii: i32 = 0; ii < TILE; ii++) {
          let i = t0 + ii;
          if (!live || i < lo || i > hi) { continue; }
          var s = 0.0;
          var dp = 0.0;
          for (var d: i32 = 0; d < D; d++) {
            s += q_tile[ii * D + d] * kv[d];
            dp += g_tile[ii * D + d] * vv[d];
          }
          let p = exp(s * SCALE - s_tile[2 * ii]);
          let ds = p * (dp - s_tile[2 * ii + 1]) * SCALE;
          for (var d: i32 = 0; d < D; d++) {
            dv_acc[d] += p * g_tile[ii * D + d];
            dk_acc[d] += ds * q_tile[ii * D + d];
          }
        }
      }
    }
    if (live) {
      for (var d: i32 = 0; d < D; d++) {
        dk[ko + d] = dk_acc[d];
        dv[ko + d] = dv_acc[d];
      }
    }
  }`,
    grid: blockGrid(kWork), threads: block, flops: 2 * flops, bytes: paramBytes([q!, k!, v!, dout!, dk!, dv!]) + 8 * rows,
  });
  return [prep, dqKernel, dkvKernel];
}

/** The default config: 256 rows per workgroup, the largest tiles that fit (tileRows). */
function defaultConfig(kernel: Kernel): WgslAttentionConfig {
  const g = geometry(kernel, anchorOf(kernel, kernel.kind as "attention" | "attention_grad"));
  return { rows: 256, keyTile: keyTileRows(g), queryTile: kernel.kind === "attention" ? 0 : queryTileRows(g) };
}

/**
 * The search space of an attention (forward) or attention_grad (backward) kernel on wgsl: 64 to 256 rows per
 * workgroup, and tiles of 8 rows up to the largest that fits workgroup memory (key tiles; the backward's query tiles
 * too). Every config does the same work, so the cost model predicts the roofline for all. None with prefix-LM ranges,
 * which random inputs cannot stand for (document ranges are measured as one document per row).
 */
export function wgslAttentionSpace(kernel: Kernel): SearchSpace<WgslAttentionConfig> | undefined {
  const backward = kernel.kind === "attention_grad";
  const a = anchorOf(kernel, backward ? "attention_grad" : "attention");
  const g = geometry(kernel, a);
  if (g.prefix) return undefined;
  const upTo = (most: number) => [8, 16, 32, 64].filter((t) => t <= most);
  const axes = { rows: [64, 128, 256], keyTile: upTo(keyTileRows(g)), queryTile: backward ? upTo(queryTileRows(g)) : [0] };
  const heuristic = defaultConfig(kernel);
  const rows = g.B * g.Hq * g.Tq;
  const flops = (backward ? 3 : 1) * 4 * rows * g.Tk * g.D / (g.causal || g.prefix ? 2 : 1);
  const bytes = (backward ? 2 : 1) * 4 * 4 * rows * g.D;
  const render = (c: WgslAttentionConfig) => (backward ? renderWgslAttentionGrad(kernel, c) : [renderWgslAttention(kernel, c)]);
  const out = (backward ? kernel.extraReads! : kernel.extraWrites!)[0]!;
  const lseRows = { name: backward ? kernel.extraReads![1]! : kernel.extraWrites![0]!, count: rows, scratch: false };
  const sideBuffers = backward
    ? [{ name: out, count: rows * g.D, scratch: false }, lseRows, { name: rowStatsScratch(kernel)[0]!.name, count: 2 * rows, scratch: true }]
    : [lseRows];
  const rangesId = a.node.args[backward ? 4 : 3];
  const ranges = g.documents
    ? { documentRanges: { name: kernel.graph.inputs.find((i) => i.id === rangesId)!.name, tokens: g.Tq } } : {};
  return {
    sideBuffers, ...ranges, ...(backward ? { setup: [renderWgslAttention(pairedForward(kernel))] } : {}),
    id: `wgsl-attention-${backward ? "backward" : "forward"}/1`, kernelHash: kernelContentHash(kernel),
    problem: `attention ${backward ? "backward" : "forward"} f32 B=${g.B} T=${g.Tq} H=${g.Hq}/${g.Hk} D=${g.D}` +
      `${g.causal ? " causal" : ""}${g.documents ? " documents" : ""}`,
    axes, candidates: enumerate(axes, () => true, heuristic), heuristic, flops, bytes,
    describe: (c) => `${c.rows} rows, key tiles of ${c.keyTile}${backward ? `, query tiles of ${c.queryTile}` : ""}`,
    render,
    predict: (_c, ceilings) => rooflineSeconds(flops, bytes, ceilings),
  };
}

/**
 * The forward kernel an attention_grad kernel's side inputs come from: attention of its q, k, v (and ranges) writing
 * the output and lse buffers it reads (what backends/schedule/side-buffers.ts pairs it with).
 */
function pairedForward(kernel: Kernel): Kernel {
  const g = kernel.graph;
  const grad = g.nodes.find((n) => n.op === "attention_grad")!;
  const args = grad.args.filter((_, i) => i !== 3);
  const id = g.types.length;
  const node = { ...grad, op: "attention" as const, args, results: [id] };
  const used = new Set(args);
  const graph = {
    ...g, nodes: [node], types: [...g.types, g.types[grad.args[0]!]!],
    inputs: g.inputs.filter((i) => used.has(i.id)), outputs: [{ name: kernel.extraReads![0]!, id }],
  };
  return { name: `${kernel.name}.forward`, kind: "attention", graph, extraWrites: [kernel.extraReads![1]!] };
}
