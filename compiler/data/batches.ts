// Batching for `trainc train` without sample packing: each epoch visits the rows in a fresh order (a deterministic
// shuffle by seed and epoch), cuts it into micro batches of micro_batch_size rows and drops the last incomplete one
// (as Hugging Face's dataloader_drop_last). A batch is right-padded to its longest row rounded up to a multiple of 8,
// capped at sequence_len, with the tokenizer's pad id; padding has label -100; position_ids run 0..T-1 in every row.
// Invariants: a batch's arrays are row-major [size, length]; length % 8 == 0 or length == sequenceLen; the same
// rows, options and epoch give the same batches; every epoch uses each row at most once.
import { fail } from "../diagnostics.ts";
import { DataError } from "./codes.ts";
import { checkPositiveInteger } from "./dataset.ts";
import { where } from "./read-rows.ts";
import { makeRandom, shuffledIndices } from "../random.ts";
import { IGNORE_INDEX, type TokenizedRow } from "./types.ts";

/** Padded length is rounded up to a multiple of this (tensor-core friendly shapes, fewer distinct shapes). */
export const PAD_MULTIPLE = 8;

/** One micro batch; arrays are row-major [size, length], named as the train step's inputs. */
export interface Batch {
  /** Rows (B). */
  readonly size: number;
  /** Padded length (T). */
  readonly length: number;
  readonly input_ids: Int32Array;
  readonly labels: Int32Array;
  readonly position_ids: Int32Array;
  /** Real (non-padding) tokens in the batch. */
  readonly tokens: number;
}

/** A batch and where it sits in the run. */
export interface EpochBatch {
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based index of the batch within its epoch. */
  readonly index: number;
  readonly batch: Batch;
}

/** Parameters of batching, named after the config keys they come from. */
export interface BatchOptions {
  readonly microBatchSize: number;
  readonly sequenceLen: number;
  /** The tokenizer's pad id (pad_token, else eos_token); undefined is an error. */
  readonly padId: number | undefined;
  readonly seed: number;
}

/** Full micro batches in one epoch of `rowCount` rows. */
export function batchesPerEpoch(rowCount: number, microBatchSize: number): number {
  return Math.floor(rowCount / microBatchSize);
}

/** The batches of one epoch, in order. Throws (before the first batch) if the options cannot make one. */
export function epochBatches(rows: readonly TokenizedRow[], epoch: number, options: BatchOptions): Generator<Batch> {
  const padId = checkOptions(rows, options);
  return generateEpoch(rows, epoch, options, padId);
}

/** Batches of epoch 0, 1, 2, ... without end; the caller stops after its step count. Throws before the first batch. */
export function batchStream(rows: readonly TokenizedRow[], options: BatchOptions): Generator<EpochBatch> {
  const padId = checkOptions(rows, options);
  return generateStream(rows, options, padId);
}

function* generateStream(rows: readonly TokenizedRow[], options: BatchOptions, padId: number): Generator<EpochBatch> {
  for (let epoch = 0; ; epoch++) {
    let index = 0;
    for (const batch of generateEpoch(rows, epoch, options, padId)) yield { epoch, index: index++, batch };
  }
}

function* generateEpoch(
  rows: readonly TokenizedRow[],
  epoch: number,
  options: BatchOptions,
  padId: number,
): Generator<Batch> {
  const order = shuffledIndices(rows.length, makeRandom(options.seed, epoch));
  const size = options.microBatchSize;
  const count = batchesPerEpoch(rows.length, size);
  for (let b = 0; b < count; b++) {
    const members = order.slice(b * size, (b + 1) * size).map((i) => rows[i]!);
    yield padBatch(members, options.sequenceLen, padId);
  }
}

/** Right-pads rows into one batch (see the file header for the rules). Rows are at most sequenceLen long. */
function padBatch(rows: readonly TokenizedRow[], sequenceLen: number, padId: number): Batch {
  const longest = Math.max(...rows.map((row) => row.input_ids.length));
  const length = Math.min(Math.ceil(longest / PAD_MULTIPLE) * PAD_MULTIPLE, sequenceLen);
  const size = rows.length;
  const inputIds = new Int32Array(size * length).fill(padId);
  const labels = new Int32Array(size * length).fill(IGNORE_INDEX);
  const positionIds = new Int32Array(size * length);
  let tokens = 0;
  rows.forEach((row, r) => {
    inputIds.set(row.input_ids, r * length);
    labels.set(row.labels, r * length);
    for (let t = 0; t < length; t++) positionIds[r * length + t] = t;
    tokens += row.input_ids.length;
  });
  return { size, length, input_ids: inputIds, labels, position_ids: positionIds, tokens };
}

/** The first `count` items of a stream (fewer if it ends first). */
export function* take<T>(items: Iterator<T>, count: number): Generator<T> {
  for (let i = 0; i < count; i++) {
    const next = items.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * `batch` right-padded to `length` (a program with a static sequence length reads [B, sequence_len]): input_ids =
 * padId, labels = ignored, position_ids count on from each row's last position. A batch of that length is returned as
 * it is.
 */
export function padBatchTo(batch: Batch, length: number, padId: number): Batch {
  if (batch.length === length) return batch;
  if (batch.length > length) throw new Error(`a batch of length ${batch.length} cannot be padded to ${length}`);
  const plane = batch.size * length;
  const [inputIds, labels, positionIds] = [new Int32Array(plane).fill(padId), new Int32Array(plane).fill(IGNORE_INDEX), new Int32Array(plane)];
  for (let r = 0; r < batch.size; r++) {
    const from = r * batch.length;
    inputIds.set(batch.input_ids.subarray(from, from + batch.length), r * length);
    labels.set(batch.labels.subarray(from, from + batch.length), r * length);
    const last = batch.length > 0 ? batch.position_ids[from + batch.length - 1]! : -1;
    for (let t = 0; t < length; t++) positionIds[r * length + t] = t < batch.length ? batch.position_ids[from + t]! : last + t - batch.length + 1;
  }
  return { ...batch, length, input_ids: inputIds, labels, position_ids: positionIds };
}

/** The pad id, or 6211 when the tokenizer has none. */
export function requirePadId(padId: number | undefined): number {
  if (padId !== undefined) return padId;
  return fail(
    DataError.noPadId,
    "the tokenizer names neither pad_token nor eos_token, so batches cannot be padded",
    "set pad_token (or eos_token) in the model's tokenizer_config.json",
  );
}

function checkOptions(rows: readonly TokenizedRow[], options: BatchOptions): number {
  checkPositiveInteger("micro_batch_size", options.microBatchSize);
  checkPositiveInteger("sequence_len", options.sequenceLen);
  const padId = requirePadId(options.padId);
  const long = rows.find((row) => row.input_ids.length > options.sequenceLen);
  if (long !== undefined) {
    fail(
      DataError.rowTooLong,
      `${where(long)}: row has ${long.input_ids.length} tokens, more than sequence_len ${options.sequenceLen}`,
      "load rows with loadDatasets, which drops or truncates rows longer than sequence_len",
    );
  }
  if (batchesPerEpoch(rows.length, options.microBatchSize) === 0) {
    fail(
      DataError.tooFewRows,
      `only ${rows.length} usable rows, fewer than micro_batch_size ${options.microBatchSize}: no full batch per epoch`,
      "add rows, lower micro_batch_size, or raise sequence_len if rows were dropped as too long",
    );
  }
  return padId;
}
