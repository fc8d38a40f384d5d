// The batch file a generated CUDA training program reads (backends/cuda/runtime/batch-file.h is the reader): the
// micro-batches of a run, in the order the program consumes them, at the one shape [B, T] the program was compiled
// for. Layout (all fields little-endian, 4-byte aligned):
//   header, 24 bytes: magic "TRNCBTCH", u32 version (1), u32 count, u32 B (rows), u32 T (length)
//   count records of 8 + 12·B·T bytes each, record i at 24 + i·(8 + 12·B·T):
//     i32 epoch, i32 tokens (real, non-padding tokens), then i32 [B,T] input_ids, labels, position_ids
// so the reader seeks to batch i without reading the others. Batches shorter than T are right-padded as
// compiler/data/batches.ts pads: input_ids = padId, labels = -100, position_ids continue counting.
// Invariants: the file is written to `<path>.tmp-<pid>` and renamed into place, so a reader never sees a partial
// file; every record has the header's B and T.
//
// Error codes (listed with the C++ runtime's in backends/cuda/runtime/error.h):
//   6516  the batch file could not be written
//   6517  a batch's rows or length do not fit the file's shape, or there are no batches

import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { fail, TraincError } from "../../../compiler/diagnostics.ts";
import { padBatchTo, type Batch, type EpochBatch } from "../../../compiler/data/batches.ts";

/** First 8 bytes of every batch file. */
export const BATCH_MAGIC = "TRNCBTCH";
/** Layout version the reader accepts. */
export const BATCH_VERSION = 1;
/** Bytes before the first record. */
export const BATCH_HEADER_BYTES = 24;

/** How short batches are padded to the program's sequence length. */
export interface BatchPadding {
  /** T: the sequence_len the program was compiled for. */
  readonly length: number;
  /** Token id written on padding (the tokenizer's pad id). */
  readonly padId: number;
}

/** Bytes of one record of a [rows, length] file. */
export function batchRecordBytes(rows: number, length: number): number {
  return 8 + 12 * rows * length;
}

/** Writes the evaluation batches (one pass, epoch 0) to `path` as writeBatchFile does; returns how many it wrote. */
export function writeEvalBatchFile(path: string, batches: readonly Batch[], padding: BatchPadding): number {
  return writeBatchFile(path, batches.map((batch, index) => ({ epoch: 0, index, batch })), padding);
}

/**
 * Writes `batches` to `path` and returns how many it wrote. B is the first batch's size; T is `padding.length`, or
 * without padding the first batch's length (every batch must then have it). Errors: 6517 (shapes), 6516 (I/O).
 */
export function writeBatchFile(path: string, batches: Iterable<EpochBatch>, padding?: BatchPadding): number {
  const temporary = `${path}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    fd = openSync(temporary, "w");
    let shape: Shape | undefined;
    let count = 0;
    for (const { epoch, batch } of batches) {
      shape ??= { rows: batch.size, length: padding?.length ?? batch.length };
      checkShape(path, count, batch, shape, padding);
      const at = BATCH_HEADER_BYTES + count * batchRecordBytes(shape.rows, shape.length);
      writeAll(fd, encodeRecord(epoch, batch, shape, padding?.padId ?? 0), at);
      count++;
    }
    if (shape === undefined) fail(6517, `no batches to write to '${path}'`, "check that the dataset yields at least one full micro-batch");
    writeAll(fd, encodeHeader(count, shape.rows, shape.length), 0);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
    return count;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    if (e instanceof TraincError) throw e;
    return fail(6516, `cannot write batch file '${path}': ${(e as Error).message}`,
      "check that the folder exists and is writable and that the disk has room");
  }
}

type Shape = { readonly rows: number; readonly length: number };

function checkShape(path: string, index: number, batch: EpochBatch["batch"], shape: Shape, padding?: BatchPadding): void {
  const which = `batch ${index} for '${path}'`;
  if (batch.size !== shape.rows) {
    fail(6517, `${which} has ${batch.size} rows, but the file holds batches of ${shape.rows}`,
      "give every batch micro_batch_size rows (drop the last incomplete one)");
  }
  if (batch.length > shape.length) {
    fail(6517, `${which} has length ${batch.length}, longer than the file's ${shape.length}`, "cut batches to sequence_len before writing them");
  }
  if (batch.length < shape.length && padding === undefined) {
    fail(6517, `${which} has length ${batch.length}, but the file's length is ${shape.length}`,
      "pass the padding (sequence_len and the pad id) so short batches are padded");
  }
}

function encodeHeader(count: number, rows: number, length: number): Uint8Array {
  const bytes = new Uint8Array(BATCH_HEADER_BYTES);
  bytes.set(new TextEncoder().encode(BATCH_MAGIC), 0);
  const view = new DataView(bytes.buffer);
  [BATCH_VERSION, count, rows, length].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  return bytes;
}

/** One record: epoch, tokens, then the three [rows, length] arrays, each row padded from batch.length to length. */
function encodeRecord(epoch: number, batch: EpochBatch["batch"], shape: Shape, padId: number): Uint8Array {
  const padded = padBatchTo(batch, shape.length, padId);
  const plane = shape.rows * shape.length;
  const words = new Int32Array(2 + 3 * plane);
  words[0] = epoch;
  words[1] = batch.tokens;
  words.set(padded.input_ids, 2);
  words.set(padded.labels, 2 + plane);
  words.set(padded.position_ids, 2 + 2 * plane);
  return new Uint8Array(words.buffer);
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
