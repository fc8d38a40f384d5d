// The batch file: batches from trainc's batching (compiler/data/batches.ts) written by the TypeScript writer and read
// back by the C++ reader (padding to the program's length, epochs, token counts, random access), the writer's
// shape errors, and every reader error: not a batch file, another version, another B/T, a truncated file, a batch
// beyond the file, and ids, labels or positions out of range.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BATCH_HEADER_BYTES, batchRecordBytes, writeBatchFile } from "../../../../backends/cuda/runtime/batch-file.ts";
import { batchStream, type EpochBatch } from "../../../../compiler/data/batches.ts";
import type { TokenizedRow } from "../../../../compiler/data/types.ts";
import { makeRandom } from "../../../../compiler/random.ts";
import { expectTraincError } from "../../../import/hf/helpers.ts";
import { build, HAVE_GXX, NO_GXX, printedError, run } from "./build.ts";

const dir = mkdtempSync(join(tmpdir(), "trainc-rt-batches-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const path = () => join(dir, `b-${counter++}.bin`);
const VOCAB = 30;
const T = 16;
const B = 3;

/** Eight rows of random lengths 2..10 (batches of length 8 and 16), ids in [4, VOCAB), the first label ignored. */
function rows(): TokenizedRow[] {
  const random = makeRandom(7, 0);
  return Array.from({ length: 8 }, (_, line) => {
    const ids = Array.from({ length: 2 + Math.floor(random() * 9) }, () => 4 + Math.floor(random() * (VOCAB - 4)));
    return { input_ids: ids, labels: [-100, ...ids.slice(1)], file: "rows.jsonl", line };
  });
}

/** The first `count` batches of a run over rows() with micro_batch_size B and sequence_len T. */
function batches(count: number): EpochBatch[] {
  const out: EpochBatch[] = [];
  for (const b of batchStream(rows(), { microBatchSize: B, sequenceLen: T, padId: 3, seed: 5 })) {
    if (out.length === count) break;
    out.push(b);
  }
  return out;
}

interface Dumped {
  count: number;
  batches: { epoch: number; tokens: number; input_ids: number[]; labels: number[]; position_ids: number[] }[];
}

/** What the C++ reader must return for a batch padded to T: pad id 3, label -100, positions counting on. */
function padded({ epoch, batch }: EpochBatch): Dumped["batches"][number] {
  const plane = (values: Int32Array, pad: (t: number) => number) =>
    Array.from({ length: B * T }, (_, i) => {
      const [r, t] = [Math.floor(i / T), i % T];
      return t < batch.length ? values[r * batch.length + t]! : pad(t);
    });
  return {
    epoch, tokens: batch.tokens,
    input_ids: plane(batch.input_ids, () => 3), labels: plane(batch.labels, () => -100), position_ids: plane(batch.position_ids, (t) => t),
  };
}

let tool = "";
const dump = (file: string, args: (string | number)[] = [], limits: number[] = [B, T, VOCAB, T]) =>
  run(tool, ["dump", file, ...limits.map(String), ...args.map(String)]);

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "batch file" : `batch file (skipped: ${NO_GXX})`, () => {
  beforeAll(() => {
    tool = build("g++", ["batch-tool.cpp"], "batch-tool");
  });

  it("the C++ reader gets every batch the TypeScript writer wrote, padded to the program's length", () => {
    const written = batches(7);
    expect(new Set(written.map((b) => b.epoch)).size).toBeGreaterThan(2);
    expect(new Set(written.map((b) => b.batch.length))).toEqual(new Set([8, T]));
    const file = path();
    expect(writeBatchFile(file, written, { length: T, padId: 3 })).toBe(7);
    expect(readFileSync(file).length).toBe(BATCH_HEADER_BYTES + 7 * batchRecordBytes(B, T));
    const r = dump(file);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ count: 7, batches: written.map(padded) });
  });

  it("reads any batch without the others, in any order", () => {
    const written = batches(5);
    const file = path();
    writeBatchFile(file, written, { length: T, padId: 3 });
    expect((JSON.parse(dump(file, [4, 0, 2]).stdout) as Dumped).batches).toEqual([4, 0, 2].map((i) => padded(written[i]!)));
  });

  it("writes batches of one shape without padding, and refuses shapes that do not fit (6517) or no batches", () => {
    const full = batches(7).filter((b) => b.batch.length === T);
    const file = path();
    expect(writeBatchFile(file, full)).toBe(full.length);
    expect(JSON.parse(dump(file).stdout).count).toBe(full.length);
    const mixed = batches(7);
    expectTraincError(() => writeBatchFile(path(), [mixed.find((b) => b.batch.length === T)!, mixed.find((b) => b.batch.length < T)!]), 6517);
    expectTraincError(() => writeBatchFile(path(), mixed, { length: 8, padId: 3 }), 6517);
    const fewer = { ...mixed[1]!, batch: { ...mixed[1]!.batch, size: 2 } };
    expect(expectTraincError(() => writeBatchFile(path(), [mixed[0]!, fewer], { length: T, padId: 3 }), 6517).message).toContain("batch 1");
    expectTraincError(() => writeBatchFile(path(), []), 6517);
    expectTraincError(() => writeBatchFile(join(dir, "missing", "b.bin"), mixed, { length: T, padId: 3 }), 6516);
  });

  describe("the reader stops at every bad file or batch", () => {
    /** A valid two-batch file, then `edit` applied to its bytes. */
    function edited(edit: (bytes: Buffer) => Buffer): string {
      const file = path();
      writeBatchFile(file, batches(2), { length: T, padId: 3 });
      writeFileSync(file, edit(readFileSync(file)));
      return file;
    }
    /** Byte offset of element `i` of plane `p` (0 ids, 1 labels, 2 positions) in record `record`. */
    const at = (record: number, p: number, i: number) => BATCH_HEADER_BYTES + record * batchRecordBytes(B, T) + 8 + 4 * (p * B * T + i);
    const poke = (record: number, p: number, i: number, value: number) => (b: Buffer) => {
      b.writeInt32LE(value, at(record, p, i));
      return b;
    };

    const cases: [string, () => string, (string | number)[], number[], number, string][] = [
      ["a missing file", () => join(dir, "nope.bin"), [], [B, T, VOCAB, T], 6510, "cannot open batch file"],
      ["not a batch file", () => edited((b) => Buffer.concat([Buffer.from("NOTBATCH"), b.subarray(8)])), [], [B, T, VOCAB, T], 6511, "is not a trainc batch file"],
      ["another layout version", () => edited((b) => { b.writeUInt32LE(9, 8); return b; }), [], [B, T, VOCAB, T], 6511, "layout version 9"],
      ["another batch shape", () => edited((b) => b), [], [B, 32, VOCAB, 32], 6512, "holds batches of B=3, T=16 but the program was compiled for micro_batch_size 3 and sequence_len 32"],
      ["a truncated file", () => edited((b) => b.subarray(0, b.length - 4)), [], [B, T, VOCAB, T], 6513, "but its header (2 batches of 3x16) needs"],
      ["a batch beyond the file", () => edited((b) => b), [2], [B, T, VOCAB, T], 6514, "holds 2 batches; the run asked for batch 2"],
      ["an id outside the vocabulary", () => edited(poke(1, 0, T + 2, VOCAB)), [], [B, T, VOCAB, T], 6515, `batch 1, row 1, position 2: input id ${VOCAB} is outside the vocabulary`],
      ["a label that is no token", () => edited(poke(0, 1, 5, -1)), [], [B, T, VOCAB, T], 6515, "batch 0, row 0, position 5: label -1 is neither -100 nor a token id"],
      ["a position beyond the rotary table", () => edited(poke(0, 2, 0, T)), [], [B, T, VOCAB, T], 6515, `position id ${T} is outside [0, ${T})`],
      ["a token count beyond the batch", () => edited((b) => { b.writeInt32LE(B * T + 1, BATCH_HEADER_BYTES + 4); return b; }), [], [B, T, VOCAB, T], 6515, `token count ${B * T + 1}`],
    ];

    it.each(cases)("%s", (_, make, args, limits, code, text) => {
      const file = make();
      const e = printedError(dump(file, args, limits));
      expect(e.code).toBe(code);
      expect(e.message).toContain(file);
      expect(e.message).toContain(text);
    });
  });
});
