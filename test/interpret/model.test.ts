// rope, rope_tables, segment_ids, document_ranges, prefix_lm_ranges, adamw, lr_schedule and dequantize against hand-computed values.

import { describe, expect, it } from "vitest";
import { toArray } from "../../ir/tensor.ts";
import { expectClose, expectTrainc, feed, random, run, runOp } from "./helpers.ts";

describe("rope", () => {
  it("x*cos + rotate_half(x)*sin on one head, by hand", () => {
    const x = feed("f64", [1, 1, 1, 4], [1, 2, 3, 4]);
    const cos = feed("f64", [1, 1, 4], [0.5, 0.6, 0.5, 0.6]);
    const sin = feed("f64", [1, 1, 4], [0.1, 0.2, 0.1, 0.2]);
    expectClose(runOp([x, cos, sin], "rope"), [0.2, 0.4, 1.6, 2.8], 1e-15);
  });

  it("shares the [B,T,D] tables across heads", () => {
    const [B, T, H, D] = [2, 3, 2, 4];
    const xs = random(B * T * H * D, 1);
    const cs = random(B * T * D, 2);
    const ss = random(B * T * D, 3);
    const expected: number[] = [];
    for (let bt = 0; bt < B * T; bt++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) {
      const xv = (e: number) => xs[(bt * H + h) * D + e]!;
      const rot = d < D / 2 ? -xv(d + D / 2) : xv(d - D / 2);
      expected.push(xv(d) * cs[bt * D + d]! + rot * ss[bt * D + d]!);
    }
    const out = runOp([feed("f64", [B, T, H, D], xs), feed("f64", [B, T, D], cs), feed("f64", [B, T, D], ss)], "rope");
    expectClose(out, expected, 1e-15);
  });
});

describe("rope_tables", () => {
  it("default rope: cos/sin of pos * inv_freq, halves duplicated", () => {
    const pos = feed("i64", [2, 3], [0, 1, 2, 5, 0, 1]);
    const [cos, sin] = run([pos], (b, p) => b.ops("rope_tables", [p!], { dim: 4, theta: 100, dtype: "f64" }));
    expect(cos!.shape).toEqual([2, 3, 4]);
    const inv = [1, Math.fround(0.1)];
    const expect4 = (f: (a: number) => number) => [0, 1, 2, 5, 0, 1].flatMap((p) => [f(p * inv[0]!), f(p * inv[1]!)])
      .flatMap((_, i, all) => (i % 2 === 0 ? [all[i]!, all[i + 1]!, all[i]!, all[i + 1]!] : []));
    expectClose(cos!, expect4(Math.cos), 1e-15);
    expectClose(sin!, expect4(Math.sin), 1e-15);
  });

  it("yarn folds its attention scaling into both tables and rounds to the dtype", () => {
    const pos = feed("i32", [1, 1], [3]);
    const attrs = { dim: 2, theta: 10000, rope_type: "yarn", factor: 4, original_max_position_embeddings: 16 };
    const [cos, sin] = run([pos], (b, p) => b.ops("rope_tables", [p!], attrs));
    const scale = 0.1 * Math.log(4) + 1;
    expect(cos!.dtype).toBe("f32");
    expect(toArray(cos!)).toEqual([Math.fround(Math.cos(3) * scale), Math.fround(Math.cos(3) * scale)]);
    expect(toArray(sin!)).toEqual([Math.fround(Math.sin(3) * scale), Math.fround(Math.sin(3) * scale)]);
  });

  it("dynamic rope takes seq_len = max(positions) + 1 over the whole batch", () => {
    const attrs = { dim: 4, theta: 10000, rope_type: "dynamic", factor: 2, max_position_embeddings: 8, dtype: "f64" };
    const tables = (positions: number[]) => run([feed("i64", [2, 2], positions)], (b, p) => b.ops("rope_tables", [p!], attrs))[0]!;
    // seq_len 8 = max_position_embeddings: default frequencies [1, 1/100]; row 3 holds position 7.
    const f01 = Math.fround(0.01);
    expectClose(toArray(tables([0, 1, 6, 7])).slice(12), [Math.cos(7), Math.cos(7 * f01), Math.cos(7), Math.cos(7 * f01)], 1e-15);
    // seq_len 12 > 8: theta' = 10000 * (2 * 12 / 8 - 1)^(4 / 2) = 40000, so inv_freq = [1, 1/200]; row 3 holds 11.
    const f005 = Math.fround(0.005);
    expectClose(toArray(tables([0, 1, 2, 11])).slice(12), [Math.cos(11), Math.cos(11 * f005), Math.cos(11), Math.cos(11 * f005)], 1e-15);
  });

  it("names the node when attributes are missing", () => {
    expectTrainc(() => run([feed("i64", [1, 1], [0])], (b, p) => b.ops("rope_tables", [p!], { dim: 4, theta: 1e4, rope_type: "llama3", factor: 8 })),
      3401, /node 0 \(rope_tables\).*llama3' needs attribute 'low_freq_factor'/);
  });
});

describe("segment_ids", () => {
  it("starts a new document where positions do not continue", () => {
    const out = runOp([feed("i64", [2, 6], [0, 1, 2, 0, 1, 5, 3, 4, 5, 6, 7, 8])], "segment_ids");
    expect(out.dtype).toBe("i32");
    expect(toArray(out)).toEqual([0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 0, 0]);
  });
});

describe("document_ranges", () => {
  it("gives each position the run of its id", () => {
    const out = runOp([feed("i32", [2, 5], [0, 0, 1, 1, 1, 3, 4, 4, 4, 9])], "document_ranges");
    expect(out.shape).toEqual([2, 5, 2]);
    expect(toArray(out)).toEqual([0, 2, 0, 2, 2, 5, 2, 5, 2, 5, 0, 1, 1, 4, 1, 4, 1, 4, 4, 5]);
  });

  it("fails on ids that decrease", () => {
    expectTrainc(() => runOp([feed("i32", [1, 3], [0, 1, 0])], "document_ranges"), 6122,
      /segment ids decrease at batch row 0, position 2 \(1 then 0\)/);
  });
});

describe("prefix_lm_ranges", () => {
  it("gives each position its keys and the queries of its key, the document's leading untrained run as the prefix", () => {
    // Documents [0, 3) and [3, 5); trained flags 0 0 1 | 0 0, so running counts 0 0 1 1 1: prefixes [0, 2) and [3, 5).
    const ranges = feed("i32", [1, 5, 2], [0, 3, 0, 3, 0, 3, 3, 5, 3, 5]);
    const out = runOp([ranges, feed("i32", [1, 5], [0, 0, 1, 1, 1])], "prefix_lm_ranges");
    expect(out.shape).toEqual([1, 5, 4]);
    expect(toArray(out)).toEqual([0, 2, 0, 3, 0, 2, 0, 3, 0, 3, 2, 3, 3, 5, 3, 5, 3, 5, 3, 5]);
  });

  it("ends a prefix at the first count above the one before the document, as the kernels' binary search does", () => {
    const out = runOp([feed("i32", [1, 4, 2], [0, 4, 0, 4, 0, 4, 0, 4]), feed("i32", [1, 4], [-1, -1, 0, 1])], "prefix_lm_ranges");
    expect(toArray(out)).toEqual([0, 3, 0, 4, 0, 3, 0, 4, 0, 3, 0, 4, 0, 4, 3, 4]);
  });

  it("fails on counts that decrease", () => {
    const ranges = feed("i32", [1, 3, 2], [0, 3, 0, 3, 0, 3]);
    expectTrainc(() => runOp([ranges, feed("i32", [1, 3], [0, 2, 1])], "prefix_lm_ranges"), 6125,
      /trained counts decrease at batch row 0, position 2 \(2 then 1\)/);
  });
});

describe("block_mask", () => {
  it("lists the visible blocks of each query block and key block, full ones odd", () => {
    // Documents [0, 200) and [200, 300): 3 blocks of 128 positions (the last one 44 long).
    const ranges = Array.from({ length: 300 }, (_, t) => (t < 200 ? [0, 200] : [200, 300])).flat();
    const table = (causal: boolean, window = 0) =>
      toArray(runOp([feed("i32", [1, 300, 2], ranges)], "block_mask", { causal, window }));
    const rows = (t: number[]) => Array.from({ length: 6 }, (_, r) => t.slice(4 * r, 4 * r + 4));
    // Causal: query block 0 sees key block 0 partly (the diagonal); block 1 sees 0 fully (its rows 128-199 are in
    // document 0 but rows 200-255 are not), so partly, and itself partly; block 2 sees block 1 partly and itself partly.
    expect(rows(table(true))).toEqual([[1, 0, -1, -1], [2, 0, 2, -1], [2, 2, 4, -1], [2, 0, 2, -1], [2, 2, 4, -1], [1, 4, -1, -1]]);
    // Not causal: block 0 sees block 0 fully (rows and keys 0-127 all in document 0) and block 1 partly; block 2
    // (rows and keys 256-299, all in document 1) sees itself fully. The second half is the same, transposed.
    expect(rows(table(false))).toEqual([[2, 1, 2, -1], [3, 0, 2, 4], [2, 2, 5, -1], [2, 1, 2, -1], [3, 0, 2, 4], [2, 2, 5, -1]]);
    // A window of 10 keeps only the diagonal blocks and the first rows of each block looking one block back.
    expect(rows(table(true, 10))[1]).toEqual([2, 0, 2, -1]);
  });
});

describe("adamw", () => {
  /** The op doc's formula, written out. */
  function reference(p: number, g: number, m: number, v: number, lr: number, step: number,
    [b1, b2, eps, wd]: number[]): number[] {
    const m1 = b1! * m + (1 - b1!) * g;
    const v1 = b2! * v + (1 - b2!) * g * g;
    const mhat = m1 / (1 - b1! ** step);
    const vhat = v1 / (1 - b2! ** step);
    return [p * (1 - lr * wd!) - (lr * mhat) / (Math.sqrt(vhat) + eps!), m1, v1];
  }

  for (const hyper of [[0.9, 0.999, 1e-8, 0.1], [0.3, 0.99, 1e-6, 0]]) {
    it(`follows torch.optim.AdamW on grad * grad_scale, betas (${hyper[0]}, ${hyper[1]})`, () => {
      const [p, g, m, v] = [[1, -2, 0], [0.5, -1, 0.25], [0.1, 0, -0.2], [0.01, 0, 0.3]];
      const [b1, b2, eps, wd] = hyper as [number, number, number, number];
      const outs = run([feed("f64", [3], p!), feed("f64", [3], g!), feed("f64", [3], m!), feed("f64", [3], v!),
        feed("f32", [], [0.01]), feed("i64", [], [3]), feed("f64", [], [0.25])],
      (b, ...xs) => b.ops("adamw", xs, { beta1: b1, beta2: b2, eps, weight_decay: wd }));
      const lr = Math.fround(0.01);
      const expected = [0, 1, 2].map((i) => reference(p![i]!, g![i]! * 0.25, m![i]!, v![i]!, lr, 3, hyper));
      [0, 1, 2].forEach((k) => expectClose(outs[k]!, expected.map((e) => e[k]!), 1e-14));
    });
  }

  it("rounds each result to its own dtype and rejects step 0", () => {
    const feeds = [feed("bf16", [1], [1]), feed("f32", [1], [0.5]), feed("f32", [1], [0]), feed("f32", [1], [0]),
      feed("f32", [], [1e-3]), feed("i64", [], [1]), feed("f32", [], [1])];
    const [p, m] = run(feeds, (b, ...xs) => b.ops("adamw", xs));
    expect(toArray(p!)).toEqual([1]);
    expect(toArray(m!)).toEqual([Math.fround(0.05)]);
    const zero = [...feeds.slice(0, 5), feed("i64", [], [0]), feeds[6]!];
    expectTrainc(() => run(zero, (b, ...xs) => b.ops("adamw", xs)), 6120, /adamw step is 0/);
  });
});

describe("lr_schedule", () => {
  const at = (schedule: string, step: number) => toArray(runOp([feed("i64", [], [step])], "lr_schedule",
    { schedule, lr: 1e-3, warmup_steps: 10, total_steps: 110 }))[0];
  it("warms up linearly, then constant / linear / cosine decay (f32)", () => {
    expect(at("constant", 5)).toBe(Math.fround(5e-4));
    expect(at("constant", 60)).toBe(Math.fround(1e-3));
    expect(at("linear", 60)).toBe(Math.fround(5e-4));
    expect(at("linear", 110)).toBe(0);
    expect(at("cosine", 60)).toBe(Math.fround(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 2))));
    expect(at("cosine", 10)).toBe(Math.fround(1e-3));
  });

  it("stores an unrounded lr with dtype f64 and accepts only float dtypes", () => {
    const run64 = (dtype: string) => runOp([feed("i64", [], [60])], "lr_schedule",
      { schedule: "linear", lr: 1e-3, warmup_steps: 10, total_steps: 110, dtype });
    const lr = run64("f64");
    expect([lr.dtype, toArray(lr)[0]]).toEqual(["f64", 5e-4]);
    expect(Math.fround(5e-4)).not.toBe(5e-4);
    expect(() => run64("i64")).toThrow(/lr_schedule: dtype must be a float, got i64/);
  });
});

describe("dequantize", () => {
  it("nf4: level(code) * absmax of the block", () => {
    const out = runOp([feed("nf4", [2, 2], [0, 7, 15, 1]), feed("f32", [2], [2, 0.5])], "dequantize", { block_size: 2 });
    expect(out.shape).toEqual([2, 2]);
    expect(toArray(out)).toEqual([-2, 0, 0.5, Math.fround(-0.6961928009986877 * 0.5)]);
  });

  it("int4: signed code / 7 * absmax, into bf16", () => {
    const out = runOp([feed("int4", [4], [7, 8, 15, 0]), feed("f32", [1], [3.5])], "dequantize", { block_size: 4, dtype: "bf16" });
    expect(toArray(out)).toEqual([3.5, -4, -0.5, 0]);
  });

  it("checks blocks against absmax once sizes are known", () => {
    expectTrainc(() => runOp([feed("nf4", [6], [0, 0, 0, 0, 0, 0], ["N"]), feed("f32", [2], [1, 1], ["M"])], "dequantize",
      { block_size: 4 }), 6118, /6 elements in blocks of 4/);
  });
});
