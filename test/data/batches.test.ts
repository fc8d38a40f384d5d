// Tests of compiler/data/batches.ts: batch shapes and padding (multiple of 8, capped at sequence_len), -100 labels on
// padding, position ids, the per-epoch shuffle (deterministic by seed, each row once), the dropped last batch, errors.
import { describe, expect, it } from "vitest";
import { batchesPerEpoch, batchStream, epochBatches, type BatchOptions } from "../../compiler/data/batches.ts";
import type { TokenizedRow } from "../../compiler/data/types.ts";
import { traincError } from "./helpers.ts";

const PAD = 3;

/** Row i has length lengths[i]; its ids are 100*i + position, so a batch row tells which row it came from. */
function rowsOf(lengths: number[]): TokenizedRow[] {
  return lengths.map((n, i) => {
    const ids = Array.from({ length: n }, (_, t) => 100 * i + t);
    return { input_ids: ids, labels: ids.map((id, t) => (t === 0 ? -100 : id)), file: "rows.jsonl", line: i + 1 };
  });
}

const options: BatchOptions = { microBatchSize: 4, sequenceLen: 32, padId: PAD, seed: 42 };

/** The source row index of each row of a batch (from its first id). */
function sources(batch: { size: number; length: number; input_ids: Int32Array }): number[] {
  return Array.from({ length: batch.size }, (_, r) => batch.input_ids[r * batch.length]! / 100);
}

describe("a batch", () => {
  it("is padded to its longest row rounded up to a multiple of 8, with pad ids, -100 labels, positions 0..T-1", () => {
    const rows = rowsOf([3, 9, 5, 2]);
    const [batch] = [...epochBatches(rows, 0, options)];
    expect(batch!.size).toBe(4);
    expect(batch!.length).toBe(16);
    expect(batch!.tokens).toBe(19);
    for (let r = 0; r < batch!.size; r++) {
      const row = rows[sources(batch!)[r]!]!;
      const at = (array: Int32Array) => [...array.subarray(r * 16, (r + 1) * 16)];
      const pad = 16 - row.input_ids.length;
      expect(at(batch!.input_ids)).toEqual([...row.input_ids, ...Array(pad).fill(PAD)]);
      expect(at(batch!.labels)).toEqual([...row.labels, ...Array(pad).fill(-100)]);
      expect(at(batch!.position_ids)).toEqual(Array.from({ length: 16 }, (_, t) => t));
    }
  });

  it("is never longer than sequence_len, even when rounding up would pass it", () => {
    const [batch] = [...epochBatches(rowsOf([10, 10, 20, 1]), 0, { ...options, sequenceLen: 20 })];
    expect(batch!.length).toBe(20);
    expect(batch!.input_ids.length).toBe(4 * 20);
  });
});

describe("an epoch", () => {
  const rows = rowsOf(Array.from({ length: 18 }, (_, i) => 2 + (i % 7)));

  it("uses each row at most once and drops the last incomplete batch", () => {
    expect(batchesPerEpoch(18, 4)).toBe(4);
    const batches = [...epochBatches(rows, 0, options)];
    expect(batches).toHaveLength(4);
    const used = batches.flatMap(sources);
    expect(new Set(used).size).toBe(16);
  });

  it("is the same for the same seed and epoch, and differs across epochs and seeds", () => {
    const order = (epoch: number, seed: number) => [...epochBatches(rows, epoch, { ...options, seed })].flatMap(sources);
    expect(order(0, 42)).toEqual(order(0, 42));
    expect(order(1, 42)).not.toEqual(order(0, 42));
    expect(order(0, 7)).not.toEqual(order(0, 42));
    const first = [...epochBatches(rows, 0, options)][0]!;
    const again = [...epochBatches(rows, 0, options)][0]!;
    expect(again.input_ids).toEqual(first.input_ids);
  });
});

describe("the batch stream", () => {
  it("runs through epoch after epoch, numbering batches within each", () => {
    const rows = rowsOf([2, 3, 4, 5, 6, 7, 8, 9, 2]);
    const stream = batchStream(rows, options);
    const seen = Array.from({ length: 5 }, () => stream.next().value!);
    expect(seen.map(({ epoch, index }) => [epoch, index])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]]);
    const epoch1 = [...epochBatches(rows, 1, options)];
    expect(seen[2]!.batch.input_ids).toEqual(epoch1[0]!.input_ids);
  });
});

describe("batching errors", () => {
  it("6213: fewer rows than micro_batch_size, raised before the first batch", () => {
    const error = traincError(() => batchStream(rowsOf([2, 3]), options));
    expect(error.code).toBe(6213);
    expect(error.message).toContain("only 2 usable rows, fewer than micro_batch_size 4");
  });

  it("6211: no pad id", () => {
    expect(traincError(() => epochBatches(rowsOf([2, 2, 2, 2]), 0, { ...options, padId: undefined })).code).toBe(6211);
  });

  it("6212: a row longer than sequence_len names its file:line", () => {
    const error = traincError(() => epochBatches(rowsOf([2, 2, 40, 2]), 0, options));
    expect(error.code).toBe(6212);
    expect(error.message).toContain("rows.jsonl:3: row has 40 tokens, more than sequence_len 32");
  });

  it("6214: a micro_batch_size that is not a positive integer", () => {
    const error = traincError(() => epochBatches(rowsOf([2, 2]), 0, { ...options, microBatchSize: 0 }));
    expect(error.code).toBe(6214);
    expect(error.message).toContain("micro_batch_size is 0");
  });
});
