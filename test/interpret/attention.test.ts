// attention and attention_grad against a naive per-head loop written here (explicit visibility predicate, explicit
// softmax), covering GQA, causal + sliding window + document segments (ids and ranges), prefix-LM (ranges of
// prefix_lm_ranges against the predicate "same document and (j <= i or j in the prefix)"), Tq != Tk, queries that see no key, the type
// rule that causal attention needs Tk == Tq, and the gradient checked by central finite differences of the naive loop.

import { describe, expect, it } from "vitest";
import type { GraphBuilder, Value } from "../../ir/builder.ts";
import { IRTypeError } from "../../ir/ops/index.ts";
import { toArray } from "../../ir/tensor.ts";
import { expectClose, expectTrainc, feed, random, run, runOp } from "./helpers.ts";

interface Case {
  B: number; Tq: number; Tk: number; Hq: number; Hk: number; D: number; Dv: number;
  causal: boolean; window: number; scale: number; seg?: number[];
  /** Prefix-LM: the end of each position's document prefix, whose keys every query of the document sees. */
  prefix?: number[];
}

/** Naive attention on row-major [B,T,H,D] arrays. */
function naive(c: Case, q: number[], k: number[], v: number[]): number[] {
  const out = new Array<number>(c.B * c.Tq * c.Hq * c.Dv).fill(0);
  for (let b = 0; b < c.B; b++) for (let h = 0; h < c.Hq; h++) for (let i = 0; i < c.Tq; i++) {
    const kvh = Math.floor((h * c.Hk) / c.Hq);
    const visible = (j: number) => (!c.causal || j <= i || (c.prefix !== undefined && j < c.prefix[b * c.Tq + i]!)) &&
      (c.window === 0 || i - j < c.window) &&
      (!c.seg || c.seg[b * c.Tq + i] === c.seg[b * c.Tk + j]);
    const js = [...Array(c.Tk).keys()].filter(visible);
    if (js.length === 0) continue;
    const scores = js.map((j) => {
      let s = 0;
      for (let d = 0; d < c.D; d++) s += q[((b * c.Tq + i) * c.Hq + h) * c.D + d]! * k[((b * c.Tk + j) * c.Hk + kvh) * c.D + d]!;
      return Math.exp(s * c.scale);
    });
    const total = scores.reduce((x, y) => x + y, 0);
    js.forEach((j, n) => {
      for (let d = 0; d < c.Dv; d++) {
        out[((b * c.Tq + i) * c.Hq + h) * c.Dv + d]! += (scores[n]! / total) * v[((b * c.Tk + j) * c.Hk + kvh) * c.Dv + d]!;
      }
    });
  }
  return out;
}

function data(c: Case, seed: number) {
  return {
    q: random(c.B * c.Tq * c.Hq * c.D, seed),
    k: random(c.B * c.Tk * c.Hk * c.D, seed + 1),
    v: random(c.B * c.Tk * c.Hk * c.Dv, seed + 2),
  };
}

function feeds(c: Case, q: number[], k: number[], v: number[]) {
  const f = [feed("f64", [c.B, c.Tq, c.Hq, c.D], q), feed("f64", [c.B, c.Tk, c.Hk, c.D], k),
    feed("f64", [c.B, c.Tk, c.Hk, c.Dv], v)];
  return c.seg ? [...f, feed("i32", [c.B, c.Tq], c.seg)] : f;
}

const attrs = (c: Case) => ({ causal: c.causal && !c.prefix, window: c.window, scale: c.scale });

/**
 * A prefix-LM case over segment ids and per-position trained flags: the prefix ends where each document's leading run
 * of untrained positions does. Returns the case and the graph computing the prefix-LM ranges from the two inputs.
 */
function prefixCase(base: Case, seg: number[], trained: number[]) {
  const { B, Tq: T } = base;
  const prefix = seg.map((id, at) => {
    const row = Math.floor(at / T) * T;
    let p = row + seg.slice(row, row + T).indexOf(id);
    while (p < row + T && seg[p] === id && trained[p] === 0) p++;
    return p - row;
  });
  const c: Case = { ...base, causal: true, seg, prefix };
  const inputs = [feed("i32", [B, T], seg), feed("i32", [B, T], trained)];
  const ranges = (b: GraphBuilder, s: Value, t: Value) =>
    b.op("prefix_lm_ranges", [b.op("document_ranges", [s]), b.op("cumsum", [t], { axis: 1 })]);
  return { c, inputs, ranges };
}

/** Two rows: documents [0,3) [3,7) [7,8) with prefixes of 2, 0 and 1; [0,5) [5,8) with 5 (all) and 2. */
const prefixed = prefixCase({ B: 2, Tq: 8, Tk: 8, Hq: 4, Hk: 2, D: 3, Dv: 2, causal: true, window: 0, scale: 0.6 },
  [0, 0, 0, 1, 1, 1, 1, 2, 0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

const packed: Case = {
  B: 2, Tq: 6, Tk: 6, Hq: 4, Hk: 2, D: 3, Dv: 2, causal: true, window: 3, scale: 0.7,
  seg: [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1],
};

describe("attention", () => {
  it("GQA with causal + window + segments matches the naive loop", () => {
    const { q, k, v } = data(packed, 10);
    const out = runOp(feeds(packed, q, k, v), "attention", attrs(packed));
    expect(out.shape).toEqual([2, 6, 4, 2]);
    expectClose(out, naive(packed, q, k, v), 1e-14);
  });

  it("document ranges give what equal segment ids give", () => {
    const runs: Case = { ...packed, seg: [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 2] };
    const { q, k, v } = data(runs, 15);
    const ranges = feed("i32", [2, 6, 2], [0, 3, 0, 3, 0, 3, 3, 6, 3, 6, 3, 6, 0, 2, 0, 2, 2, 5, 2, 5, 2, 5, 5, 6]);
    for (const causal of [true, false]) {
      const c = { ...runs, causal };
      const [qf, kf, vf] = feeds(c, q, k, v);
      expectClose(runOp([qf!, kf!, vf!, ranges], "attention", attrs(c)), naive(c, q, k, v), 1e-14);
    }
  });

  it("rejects document ranges that are not runs partitioning the row", () => {
    const c: Case = { B: 1, Tq: 3, Tk: 3, Hq: 1, Hk: 1, D: 1, Dv: 1, causal: true, window: 0, scale: 1 };
    const [qf, kf, vf] = feeds(c, [1, 2, 3], [1, 2, 3], [1, 2, 3]);
    for (const [bad, at] of [[[0, 2, 0, 3, 2, 3], 1], [[0, 1, 1, 3, 1, 2], 2], [[0, 1, 1, 4, 1, 4], 1]] as const) {
      expectTrainc(() => runOp([qf!, kf!, vf!, feed("i32", [1, 3, 2], [...bad])], "attention", attrs(c)), 6123,
        new RegExp(`batch row 0, position ${at} does not partition`));
    }
  });

  it("with the block table of block_mask, gives what it gives without (causal or not, with a window)", () => {
    const T = 300;
    const docs = [0, 150, 170, 300];
    const ranges = Array.from({ length: T }, (_, t) => { const d = docs.findIndex((e) => e > t); return [docs[d - 1]!, docs[d]!]; }).flat();
    const seg = Array.from({ length: T }, (_, t) => docs.findIndex((e) => e > t));
    for (const [causal, window] of [[true, 0], [false, 0], [true, 140], [false, 60]] as const) {
      const c: Case = { B: 1, Tq: T, Tk: T, Hq: 2, Hk: 1, D: 2, Dv: 2, causal, window, scale: 0.5, seg };
      const { q, k, v } = data(c, 70);
      const [qf, kf, vf] = feeds(c, q, k, v);
      const rf = feed("i32", [1, T, 2], ranges);
      const out = run([qf!, kf!, vf!, rf], (b, x, y, z, r) =>
        [b.op("attention", [x!, y!, z!, r!, b.op("block_mask", [r!], { causal, window })], attrs(c))])[0]!;
      expectClose(out, naive(c, q, k, v), 1e-13);
    }
  });

  it("prefix-LM ranges: each document's prefix seen by all its queries, the rest causal (with a block table too)", () => {
    const { c, inputs, ranges } = prefixed;
    const { q, k, v } = data(c, 80);
    const [qf, kf, vf] = feeds(c, q, k, v);
    for (const blocks of [false, true]) {
      const out = run([qf!, kf!, vf!, ...inputs], (b, x, y, z, s, t) => {
        const r = ranges(b, s!, t!);
        const table = blocks ? [b.op("block_mask", [r], { causal: false, window: 0 })] : [];
        return [b.op("attention", [x!, y!, z!, r, ...table], attrs(c))];
      })[0]!;
      expectClose(out, naive(c, q, k, v), 1e-14);
    }
  });

  it("rejects prefix-LM ranges whose keys move back or whose queries are not the keys' transpose", () => {
    const c: Case = { B: 1, Tq: 3, Tk: 3, Hq: 1, Hk: 1, D: 1, Dv: 1, causal: false, window: 0, scale: 1 };
    const [qf, kf, vf] = feeds(c, [1, 2, 3], [1, 2, 3], [1, 2, 3]);
    const attend = (r: number[]) => runOp([qf!, kf!, vf!, feed("i32", [1, 3, 4], r)], "attention", attrs(c));
    expectTrainc(() => attend([0, 2, 0, 2, 0, 2, 0, 3, 1, 2, 2, 3]), 6123, /prefix-LM keys \[1, 2\) at batch row 0, position 2/);
    expectTrainc(() => attend([0, 2, 0, 2, 0, 2, 0, 3, 2, 3, 2, 3]), 6123,
      /prefix-LM queries \[0, 3\) at batch row 0, position 1 are not the queries that see the key, \[0, 2\)/);
    expect(toArray(attend([0, 2, 0, 2, 0, 2, 0, 2, 2, 3, 2, 3]))).toHaveLength(3);
  });

  it("plain causal, and non-causal with Tq != Tk", () => {
    const causal: Case = { ...packed, window: 0, seg: undefined };
    const a = data(causal, 20);
    expectClose(runOp(feeds(causal, a.q, a.k, a.v), "attention", attrs(causal)), naive(causal, a.q, a.k, a.v), 1e-14);
    const cross: Case = { B: 1, Tq: 2, Tk: 5, Hq: 2, Hk: 1, D: 4, Dv: 3, causal: false, window: 0, scale: 0.5 };
    const b = data(cross, 30);
    expectClose(runOp(feeds(cross, b.q, b.k, b.v), "attention", attrs(cross)), naive(cross, b.q, b.k, b.v), 1e-14);
  });

  it("a query that sees no key gets zeros", () => {
    const c: Case = { B: 1, Tq: 5, Tk: 2, Hq: 1, Hk: 1, D: 2, Dv: 2, causal: false, window: 2, scale: 1 };
    const { q, k, v } = data(c, 40);
    const out = toArray(runOp(feeds(c, q, k, v), "attention", attrs(c)));
    expect(out.slice(6)).toEqual([0, 0, 0, 0]);
    expectClose(out, naive(c, q, k, v), 1e-14);
  });

  it("the first query of a causal row attends only to itself", () => {
    const c: Case = { B: 1, Tq: 2, Tk: 2, Hq: 1, Hk: 1, D: 1, Dv: 2, causal: true, window: 0, scale: 1 };
    const out = runOp(feeds(c, [5, 6], [1, 2], [7, 8, 9, 10]), "attention", attrs(c));
    expect(toArray(out).slice(0, 2)).toEqual([7, 8]);
  });

  it("checks heads once sizes are known", () => {
    const q = feed("f32", [1, 2, 3, 2], new Array(12).fill(0), [1, 2, "H", 2]);
    const kv = feed("f32", [1, 2, 2, 2], new Array(8).fill(0), [1, 2, "G", 2]);
    expectTrainc(() => run([q, kv, kv], (b, x, y, z) => b.op("attention", [x!, y!, z!], { scale: 1 })), 6115,
      /3 query heads are not a multiple of 2/);
  });

  it("has a type rule that rejects causal attention with Tk != Tq (numbers or different symbols)", () => {
    const zeros = (shape: number[], declared: (number | string)[]) =>
      feed("f32", shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0), declared);
    const attend = (tq: number | string, tk: number | string, causal: boolean, op: "attention" | "attention_grad") =>
      run([zeros([1, 2, 1, 2], [1, tq, 1, 2]), zeros([1, 2, 1, 2], [1, tk, 1, 2]), zeros([1, 2, 1, 2], [1, tq, 1, 2])],
        (b, q, k, d) => b.ops(op, op === "attention" ? [q!, k!, k!] : [q!, k!, k!, d!], { scale: 1, causal }));
    expect(() => attend(2, 3, true, "attention")).toThrow(IRTypeError);
    expect(() => attend(2, 3, true, "attention")).toThrow(/causal attention: key length: size 3 does not match 2/);
    expect(() => attend("T", "S", true, "attention_grad")).toThrow(/causal attention: key length: size S does not match T/);
    expect(toArray(attend("T", "T", true, "attention")[0]!)).toEqual([0, 0, 0, 0]);
    expect(attend("T", "S", false, "attention")[0]!.shape).toEqual([1, 2, 1, 2]);
  });
});

describe("attention_grad", () => {
  /** Central differences of sum(naive(q,k,v) * w) with respect to every element of one operand. */
  function numeric(c: Case, x: { q: number[]; k: number[]; v: number[] }, w: number[], which: "q" | "k" | "v"): number[] {
    const loss = (y: typeof x) => naive(c, y.q, y.k, y.v).reduce((s, o, i) => s + o * w[i]!, 0);
    const eps = 1e-6;
    return x[which].map((_, i) => {
      const plus = { ...x, [which]: x[which].map((val, j) => (j === i ? val + eps : val)) };
      const minus = { ...x, [which]: x[which].map((val, j) => (j === i ? val - eps : val)) };
      return (loss(plus) - loss(minus)) / (2 * eps);
    });
  }

  for (const [name, c] of [
    ["GQA + causal + window + segments", packed],
    ["non-causal, Tq != Tk", { B: 1, Tq: 3, Tk: 4, Hq: 2, Hk: 2, D: 2, Dv: 3, causal: false, window: 0, scale: 0.9 }],
  ] as [string, Case][]) {
    it(`equals finite differences of the naive loop: ${name}`, () => {
      const x = data(c, 50);
      const w = random(c.B * c.Tq * c.Hq * c.Dv, 60);
      const dout = feed("f64", [c.B, c.Tq, c.Hq, c.Dv], w);
      const [qf, kf, vf, seg] = feeds(c, x.q, x.k, x.v);
      const inputs = seg ? [qf!, kf!, vf!, dout, seg] : [qf!, kf!, vf!, dout];
      const [dq, dk, dv] = run(inputs, (b, ...vals) => b.ops("attention_grad", vals, attrs(c)));
      expectClose(dq!, numeric(c, x, w, "q"), 1e-8);
      expectClose(dk!, numeric(c, x, w, "k"), 1e-8);
      expectClose(dv!, numeric(c, x, w, "v"), 1e-8);
    });
  }

  it("equals finite differences of the naive loop: prefix-LM ranges", () => {
    const { c, inputs, ranges } = prefixed;
    const x = data(c, 90);
    const w = random(c.B * c.Tq * c.Hq * c.Dv, 95);
    const [qf, kf, vf] = feeds(c, x.q, x.k, x.v);
    const dout = feed("f64", [c.B, c.Tq, c.Hq, c.Dv], w);
    const [dq, dk, dv] = run([qf!, kf!, vf!, dout, ...inputs], (b, q, k, v, d, s, t) =>
      b.ops("attention_grad", [q!, k!, v!, d!, ranges(b, s!, t!)], attrs(c)));
    expectClose(dq!, numeric(c, x, w, "q"), 1e-8);
    expectClose(dk!, numeric(c, x, w, "k"), 1e-8);
    expectClose(dv!, numeric(c, x, w, "v"), 1e-8);
  });
});
