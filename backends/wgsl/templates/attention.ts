// Attention and its gradient on WebGPU (ir/interpret/attention.ts): q [B,Tq,Hq,D], k and v [B,Tk,Hk,D], optional
// document segments [B,T]; query head h reads kv head h / (Hq/Hk); key j is visible from query i when (not causal or
// j <= i), (no window or i - j < window) and the segments match. In f32, a thread per row, keys and queries read from
// global memory (neighbouring threads read the same key, so the cache serves them): a first kernel for correctness
// on every adapter, not yet tiled through workgroup memory.
// forward: a thread per query runs the online softmax over its visible keys, writes the output row and the row's
// log-sum-exp (the side buffer lse [B,Hq,Tq]) for the backward pass; a row that sees no key writes zeros and lse = +inf.
// backward, three kernels: (1) a thread per query writes its row's statistics (lse, delta = rowsum(dout * out)) side
// by side into the scratch `stats` [B,Hq,Tq,2]; (2) a thread per query computes dq; (3) a thread per key and kv head
// sums dk and dv over the query heads of its group and the queries that see it. (2) and (3) recompute
// p = exp(scale * q.k - lse), which is 0 for rows with lse = +inf. Keeping lse and delta in one buffer holds every
// kernel to WebGPU's default 8 storage buffers, document segments included.
// Invariants: Dv == D (kernels.ts refuses others first); every output element is written by exactly one thread.

import type { Kernel } from "../../schedule/partition.ts";
import { rowStatsScratch } from "../../schedule/side-buffers.ts";
import { anchorOf, writtenResult, type Anchor, type Slot } from "../../cuda/templates/anchor.ts";
import type { KernelParam, KernelSource } from "../../kernel.ts";
import { f32, gridFor, makeWgslKernel, paramBytes, type Role } from "./source.ts";

interface Geometry {
  readonly B: number; readonly Tq: number; readonly Tk: number; readonly Hq: number; readonly Hk: number; readonly D: number;
  readonly causal: boolean; readonly window: number; readonly scale: number; readonly segments: boolean;
}

function geometry(a: Anchor, operands: number): Geometry {
  const [q, k] = a.args;
  const [B, Tq, Hq, D] = q!.shape as [number, number, number, number];
  const [, Tk, Hk] = k!.shape as [number, number, number];
  return { B, Tq, Tk, Hq, Hk, D, causal: a.node.attrs["causal"] as boolean, window: a.node.attrs["window"] as number,
    scale: a.node.attrs["scale"] as number, segments: a.args.length > operands };
}

function constants(g: Geometry): string {
  return `const D: i32 = ${g.D};
const TQ: i32 = ${g.Tq};
const TK: i32 = ${g.Tk};
const HQ: i32 = ${g.Hq};
const GROUP: i32 = ${g.Hq / g.Hk};  // query heads per kv head
const HK: i32 = ${g.Hk};
const SCALE: f32 = ${f32(g.scale)};

// scale * q[b, i, h] . k[b, j, kvh]
fn score(b: i32, i: i32, h: i32, j: i32, kvh: i32) -> f32 {
  let qo = ((b * TQ + i) * HQ + h) * D;
  let ko = ((b * TK + j) * HK + kvh) * D;
  var s = 0.0;
  for (var d: i32 = 0; d < D; d++) { s += q[qo + d] * k[ko + d]; }
  return s * SCALE;
}`;
}

/** The keys query i sees, as WGSL `lo`, `hi` (inclusive) and a skip test for document segments. */
function keyRange(g: Geometry): string {
  const hi = g.causal ? "min(i, TK - 1)" : "TK - 1";
  const lo = g.window > 0 ? `max(0, i - ${g.window - 1})` : "0";
  return `    let lo = ${lo};
    let hi = ${hi};`;
}

/** WGSL statement skipping key j of query i in another document (empty without segments). */
function segmentSkip(g: Geometry, i: string, j: string): string {
  return g.segments ? `      if (seg[b * TQ + ${i}] != seg[b * TK + ${j}]) { continue; }\n` : "";
}

/** The side buffers of an attention kernel and its backward pass, as kernel parameters. */
function side(name: string, access: KernelParam["access"]): KernelParam {
  return { name, dtype: "f32", access };
}

function segmentRole(a: Anchor, operands: number): Role[] {
  return a.args.length > operands ? [["seg", a.args[operands]!]] : [];
}

/** The forward kernel: out and lse (side buffer `lse`) of q, k, v. */
export function renderWgslAttention(kernel: Kernel): KernelSource {
  const a = anchorOf(kernel, "attention");
  const g = geometry(a, 3);
  const [q, k, v] = a.args;
  const out = writtenResult(a, 0);
  const lse = side(kernel.extraWrites![0]!, "write");
  const rows = g.B * g.Hq * g.Tq;
  return makeWgslKernel({
    anchor: a, kind: "attention", extra: [lse],
    roles: [["q", q!], ["k", k!], ["v", v!], ...segmentRole(a, 3), ["out", out], ["lse", lse]],
    summary: `${g.causal ? "causal " : ""}attention [${q!.shape.join(", ")}], ${g.Hk} kv heads, a thread per query`,
    helpers: constants(g),
    body: `  for (var item: i32 = i32(gid.x); item < ${rows}; item += i32(groups.x) * 256) {
    let i = item % TQ;
    let h = item / TQ % HQ;
    let b = item / (TQ * HQ);
    let kvh = h / GROUP;
${keyRange(g)}
    var acc: array<f32, ${g.D}>;
    var m = -trainc_inf();
    var l = 0.0;
    for (var j: i32 = lo; j <= hi; j++) {
${segmentSkip(g, "i", "j")}      let s = score(b, i, h, j, kvh);
      let top = max(m, s);
      let correction = exp(m - top);
      let p = exp(s - top);
      l = l * correction + p;
      let vo = ((b * TK + j) * HK + kvh) * D;
      for (var d: i32 = 0; d < D; d++) { acc[d] = acc[d] * correction + p * v[vo + d]; }
      m = top;
    }
    let oo = ((b * TQ + i) * HQ + h) * D;
    let inv = select(0.0, 1.0 / l, l > 0.0);
    for (var d: i32 = 0; d < D; d++) { out[oo + d] = acc[d] * inv; }
    lse[(b * HQ + h) * TQ + i] = select(trainc_inf(), m + log(l), l > 0.0);
  }`,
    grid: gridFor(rows),
    flops: 4 * rows * g.Tk * g.D / (g.causal ? 2 : 1),
    bytes: paramBytes([q!, k!, v!, out]) + 4 * rows,
  });
}

/** The backward kernels: the rows' statistics, dq, then dk and dv. */
export function renderWgslAttentionGrad(kernel: Kernel): KernelSource[] {
  const a = anchorOf(kernel, "attention_grad");
  const g = geometry(a, 4);
  const [q, k, v, dout] = a.args as Slot[];
  const [dq, dk, dv] = [0, 1, 2].map((r) => writtenResult(a, r));
  const [out, lse] = kernel.extraReads!.map((name) => side(name, "read"));
  const scratch = rowStatsScratch(kernel)[0]!.name;
  const [stats, statsRead] = [side(scratch, "write"), side(scratch, "read")];
  const rows = g.B * g.Hq * g.Tq;
  const keys = g.B * g.Hk * g.Tk;
  const inputs: Role[] = [["q", q!], ["k", k!], ["v", v!], ["dout", dout!], ...segmentRole(a, 4)];
  const flops = 4 * rows * g.Tk * g.D / (g.causal ? 2 : 1);
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
    summary: `attention gradient [${q!.shape.join(", ")}]: dq, a thread per query`,
    helpers: constants(g),
    body: `  for (var item: i32 = i32(gid.x); item < ${rows}; item += i32(groups.x) * 256) {
    let i = item % TQ;
    let h = item / TQ % HQ;
    let b = item / (TQ * HQ);
    let kvh = h / GROUP;
    let oo = ((b * TQ + i) * HQ + h) * D;
    let row = (b * HQ + h) * TQ + i;
    let row_lse = stats[2 * row];
    let delta = stats[2 * row + 1];
${keyRange(g)}
    var acc: array<f32, ${g.D}>;
    for (var j: i32 = lo; j <= hi; j++) {
${segmentSkip(g, "i", "j")}      let p = exp(score(b, i, h, j, kvh) - row_lse);
      let ko = ((b * TK + j) * HK + kvh) * D;
      var dp = 0.0;
      for (var d: i32 = 0; d < D; d++) { dp += dout[oo + d] * v[ko + d]; }
      let ds = p * (dp - delta) * SCALE;
      for (var d: i32 = 0; d < D; d++) { acc[d] += ds * k[ko + d]; }
    }
    for (var d: i32 = 0; d < D; d++) { dq[oo + d] = acc[d]; }
  }`,
    grid: gridFor(rows), flops, bytes: paramBytes([q!, k!, v!, dout!, dq!]) + 8 * rows,
  });
  const qLo = g.causal ? "j" : "0";
  const qHi = g.window > 0 ? `min(TQ - 1, j + ${g.window - 1})` : "TQ - 1";
  const dkvKernel = makeWgslKernel({
    anchor: a, kind: "attention_grad_dkv", extra: [statsRead],
    roles: [...inputs, ["stats", statsRead], ["dk", dk!], ["dv", dv!]],
    summary: `attention gradient [${q!.shape.join(", ")}]: dk and dv, a thread per key and kv head`,
    helpers: constants(g),
    body: `  for (var item: i32 = i32(gid.x); item < ${keys}; item += i32(groups.x) * 256) {
    let j = item % TK;
    let kvh = item / TK % HK;
    let b = item / (TK * HK);
    let ko = ((b * TK + j) * HK + kvh) * D;
    var dk_acc: array<f32, ${g.D}>;
    var dv_acc: array<f32, ${g.D}>;
    for (var h: i32 = kvh * GROUP; h < (kvh + 1) * GROUP; h++) {
      for (var i: i32 = ${qLo}; i <= ${qHi}; i++) {
${segmentSkip(g, "i", "j")}        let row = (b * HQ + h) * TQ + i;
        let p = exp(score(b, i, h, j, kvh) - stats[2 * row]);
        let qo = ((b * TQ + i) * HQ + h) * D;
        var dp = 0.0;
        for (var d: i32 = 0; d < D; d++) {
          dp += dout[qo + d] * v[ko + d];
          dv_acc[d] += p * dout[qo + d];
        }
        let ds = p * (dp - stats[2 * row + 1]) * SCALE;
        for (var d: i32 = 0; d < D; d++) { dk_acc[d] += ds * q[qo + d]; }
      }
    }
    for (var d: i32 = 0; d < D; d++) {
      dk[ko + d] = dk_acc[d];
      dv[ko + d] = dv_acc[d];
    }
  }`,
    grid: gridFor(keys), flops: 2 * flops, bytes: paramBytes([q!, k!, v!, dout!, dk!, dv!]) + 8 * rows,
  });
  return [prep, dqKernel, dkvKernel];
}
