// Tests of compiler/data/packing.ts and compiler/data/stream.ts: first-fit and sequential bins on hand examples, the
// max-tree first-fit against a plain quadratic one on random lengths, bin_size and group_size limits, epochs
// (each row at most once, the incomplete last batch dropped, deterministic by seed), the efficiency, the packed row
// (concatenated samples, position_ids restarting, padding as one more document), the layout Axolotl's rule gives,
// evaluation batches (every held-out row once, packed or not), and the errors.
import { describe, expect, it } from "vitest";
import type { TrainConfig } from "../../compiler/config/index.ts";
import { collatePacked, packEpoch, type PackingOptions } from "../../compiler/data/packing.ts";
import { batchesInEpoch, batchLayout, describePacking, evalBatches, trainBatches } from "../../compiler/data/stream.ts";
import type { TokenizedRow } from "../../compiler/data/types.ts";
import { makeRandom, randomInt, shuffledIndices } from "../../compiler/random.ts";
import { traincError } from "./helpers.ts";

const base: PackingOptions = {
  capacity: 10, binsPerBatch: 1, binSize: 200, groupSize: 100_000, sequential: false, inOrder: true, seed: 42,
};

/** Row i has length lengths[i]; its ids are 100*i + position and its labels the ids, except the first (-100). */
function rowsOf(lengths: readonly number[]): TokenizedRow[] {
  return lengths.map((n, i) => {
    const ids = Array.from({ length: n }, (_, t) => 100 * i + t);
    return { input_ids: ids, labels: ids.map((id, t) => (t === 0 ? -100 : id)), file: "rows.jsonl", line: i + 1 };
  });
}

/** First-fit the plain way: scan every open bin. */
function naiveFirstFit(order: readonly number[], lengths: readonly number[], capacity: number, binSize: number): number[][] {
  const bins: { rows: number[]; room: number }[] = [];
  for (const row of order) {
    const bin = bins.find((b) => b.room >= lengths[row]! && b.rows.length < binSize);
    if (bin) {
      bin.rows.push(row);
      bin.room -= lengths[row]!;
    } else {
      bins.push({ rows: [row], room: capacity - lengths[row]! });
    }
  }
  return bins.map((b) => b.rows);
}

describe("packing bins", () => {
  const lengths = [6, 5, 4, 3, 2];

  it("first-fit puts each row in the first bin with room for it", () => {
    expect(packEpoch(lengths, 0, base).bins).toEqual([[0, 2], [1, 3, 4]]);
  });

  it("opens a new bin when the first with room already holds sample_packing_bin_size rows", () => {
    expect(packEpoch(lengths, 0, { ...base, binSize: 2 }).bins).toEqual([[0, 2], [1, 3], [4]]);
  });

  it("sequential packing opens a new bin whenever the next row does not fit the last one", () => {
    expect(packEpoch(lengths, 0, { ...base, sequential: true }).bins).toEqual([[0], [1, 2], [3, 4]]);
  });

  it("never mixes groups of sample_packing_group_size rows", () => {
    expect(packEpoch([3, 3, 3, 3], 0, { ...base, groupSize: 2 }).bins).toEqual([[0, 1], [2, 3]]);
    expect(packEpoch([3, 3, 3, 3], 0, base).bins).toEqual([[0, 1, 2], [3]]);
  });

  it("matches a plain first-fit on 3000 random lengths, shuffled", () => {
    const random = makeRandom(7);
    const many = Array.from({ length: 3000 }, () => randomInt(random, 1, 512));
    const options = { ...base, capacity: 2048, binSize: 9, inOrder: false };
    const { bins } = packEpoch(many, 3, options);
    const order = bins.flat();
    expect(new Set(order).size).toBe(many.length);
    const shuffled = shuffledIndices(many.length, makeRandom(options.seed, 3));
    expect(bins).toEqual(naiveFirstFit(shuffled, many, 2048, 9));
  });

  it("reports tokens over bins x capacity as the efficiency", () => {
    expect(packEpoch(lengths, 0, base).efficiency).toBeCloseTo(20 / 20);
    expect(packEpoch([6, 6], 0, base).efficiency).toBeCloseTo(12 / 20);
  });

  it("drops the bins of an incomplete last batch", () => {
    expect(packEpoch([6, 6, 6], 0, { ...base, binsPerBatch: 2 }).bins).toEqual([[0], [1]]);
  });

  it("shuffles by seed and epoch: the same inputs repeat, other epochs differ, each row once", () => {
    const many = Array.from({ length: 200 }, (_, i) => 1 + (i % 9));
    const options = { ...base, capacity: 32, inOrder: false };
    const epoch1 = packEpoch(many, 1, options).bins;
    expect(packEpoch(many, 1, options).bins).toEqual(epoch1);
    expect(packEpoch(many, 2, options).bins).not.toEqual(epoch1);
    expect(epoch1.flat().sort((a, b) => a - b)).toEqual(many.map((_, i) => i));
    for (const bin of epoch1) expect(bin.reduce((n, i) => n + many[i]!, 0)).toBeLessThanOrEqual(32);
  });

  it("refuses a row longer than a bin (6212)", () => {
    expect(traincError(() => packEpoch([4, 11], 0, base)).code).toBe(6212);
  });
});

describe("a packed row", () => {
  it("concatenates its samples, restarts position_ids per sample and pads as one more document", () => {
    const rows = rowsOf([3, 2, 4]);
    const batch = collatePacked([[0, 1], [2]], rows, 8, 9);
    expect(batch.size).toBe(2);
    expect(batch.tokens).toBe(9);
    expect([...batch.input_ids]).toEqual([0, 1, 2, 100, 101, 9, 9, 9, 200, 201, 202, 203, 9, 9, 9, 9]);
    expect([...batch.labels]).toEqual([-100, 1, 2, -100, 101, -100, -100, -100, -100, 201, 202, 203, -100, -100, -100, -100]);
    expect([...batch.position_ids]).toEqual([0, 1, 2, 0, 1, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3]);
  });
});

describe("the batch layout", () => {
  const config = (over: Partial<TrainConfig>) => ({
    micro_batch_size: 4, sequence_len: 512, seed: 42, sample_packing_bin_size: 200, sample_packing_group_size: 100_000,
    attn_implementation: "sdpa", ...over,
  }) as TrainConfig;

  it("is micro_batch_size rows of sequence_len without packing", () => {
    expect(batchLayout(config({}))).toEqual({ rows: 4, length: 512 });
  });

  it("packs one row of micro_batch_size x sequence_len tokens for varlen attention", () => {
    const layout = batchLayout(config({ sample_packing: true, attn_implementation: "flash_attention_2" }));
    expect([layout.rows, layout.length, layout.packing?.capacity]).toEqual([1, 2048, 2048]);
  });

  it("packs micro_batch_size rows of sequence_len for sdpa, or with multipack_real_batches", () => {
    for (const over of [{ attn_implementation: "sdpa" }, { attn_implementation: "flex_attention", multipack_real_batches: true }]) {
      const layout = batchLayout(config({ sample_packing: true, ...over }));
      expect([layout.rows, layout.length, layout.packing?.binsPerBatch]).toEqual([4, 512, 4]);
    }
  });

  it("streams full packed batches epoch after epoch and describes the packing", () => {
    const rows = rowsOf(Array.from({ length: 40 }, (_, i) => 2 + ((i * 7) % 13)));
    const layout = batchLayout(config({ sample_packing: true, micro_batch_size: 2, sequence_len: 16 }));
    const perEpoch = batchesInEpoch(rows, layout);
    const stream = trainBatches(rows, layout, 0, 42);
    const first = Array.from({ length: perEpoch + 1 }, () => stream.next().value!);
    expect(first.map((b) => b.epoch)).toEqual([...Array(perEpoch).fill(0), 1]);
    for (const { batch } of first) expect([batch.size, batch.length]).toEqual([2, 16]);
    expect(describePacking(rows, layout)).toMatch(/^\d+ of 40 rows in \d+ bins of 16 tokens \(\d+ batches per epoch\), efficiency \d+\.\d%$/);
  });

  it("errors before the first batch without a pad id (6211) or a full batch (6213)", () => {
    const layout = batchLayout(config({ sample_packing: true, micro_batch_size: 2, sequence_len: 16 }));
    expect(traincError(() => trainBatches(rowsOf([5, 5]), layout, undefined, 42)).code).toBe(6211);
    expect(traincError(() => trainBatches(rowsOf([5, 5]), layout, 0, 42)).code).toBe(6213);
  });
});

describe("evaluation batches", () => {
  const config = (over: Partial<TrainConfig>) => ({
    micro_batch_size: 4, sequence_len: 16, seed: 42, sample_packing_bin_size: 200, sample_packing_group_size: 100_000,
    attn_implementation: "flash_attention_2", ...over,
  }) as TrainConfig;
  const rows = rowsOf([5, 9, 3, 12, 7, 2]);
  const real = (batch: { labels: Int32Array; input_ids: Int32Array }, padId: number) => [...batch.input_ids].filter((id) => id !== padId).length;

  it("cover every held-out row once, in order, the last batch filled with rows of padding alone", () => {
    const batches = evalBatches(rows, batchLayout(config({})), 99);
    expect(batches.map((b) => [b.size, b.length])).toEqual([[4, 16], [4, 16]]);
    expect(batches.map((b) => b.tokens)).toEqual([29, 9]);
    expect(batches[0]!.input_ids.slice(16, 21)).toEqual(Int32Array.from([100, 101, 102, 103, 104]));
    expect([...batches[1]!.labels.slice(32)].every((l) => l === -100)).toBe(true);
  });

  it("pack in order when training packs, keeping every bin", () => {
    const batches = evalBatches(rows, batchLayout(config({ sample_packing: true })), 99);
    expect(batches.map((b) => [b.size, b.length])).toEqual([[1, 64]]);
    expect(real(batches[0]!, 99)).toBe(38);
  });

  it("hold one sample per row with eval_sample_packing: false, even when training packs", () => {
    const batches = evalBatches(rows, batchLayout(config({ sample_packing: true })), 99, false);
    expect(batches.map((b) => [b.size, b.length, b.tokens])).toEqual([[1, 64, 5], [1, 64, 9], [1, 64, 3], [1, 64, 12], [1, 64, 7], [1, 64, 2]]);
  });

  it("6213 when nothing is held out", () => {
    expect(traincError(() => evalBatches([], batchLayout(config({})), 0)).code).toBe(6213);
  });
});
