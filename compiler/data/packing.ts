// Sample packing as Axolotl's multipack sampler does it: each epoch visits the rows in a fresh order (the same
// deterministic shuffle by seed and epoch as unpacked batching; dataset order with curriculum_sampling), splits that
// order into groups of sample_packing_group_size rows, and packs each group into bins of `capacity` tokens first-fit
// (a row goes into the first bin with room for it and fewer than sample_packing_bin_size rows, else into a new bin;
// sample_packing_sequentially opens a new bin whenever the row does not fit the last one). Bins are not sorted by
// length, as Axolotl's are not. Consecutive bins form micro batches of `binsPerBatch` rows; an incomplete last batch
// is dropped. A bin becomes one batch row: its samples concatenated, position_ids restarting at 0 for each sample, the
// tail padded with the pad id, label -100 and position_ids 0, 1, 2, ... (so the padding looks like one more document).
// Invariants: every row is at most `capacity` tokens (checked); a bin holds at most binSize rows and capacity tokens;
// each epoch uses every row at most once; the same rows, options and epoch give the same bins on every machine.
// First-fit runs in O(n log n) over a max-tree of the bins' free space, so a group of 100,000 rows packs at once.
import { fail } from "../diagnostics.ts";
import { makeRandom, shuffledIndices } from "../random.ts";
import type { Batch } from "./batches.ts";
import { DataError } from "./codes.ts";
import { IGNORE_INDEX, type TokenizedRow } from "./types.ts";

/** How rows are packed, named after the config keys they come from. */
export interface PackingOptions {
  /** Tokens a bin holds: sequence_len, or micro_batch_size x sequence_len for varlen attention. */
  readonly capacity: number;
  /** Rows of one micro batch: micro_batch_size, or 1 for varlen attention. */
  readonly binsPerBatch: number;
  /** `sample_packing_bin_size`: the most rows one bin holds. */
  readonly binSize: number;
  /** `sample_packing_group_size`: rows packed together (bins never mix groups). */
  readonly groupSize: number;
  /** `sample_packing_sequentially`: open a new bin whenever the next row does not fit the current one. */
  readonly sequential: boolean;
  /** `curriculum_sampling`: keep the dataset order instead of shuffling each epoch. */
  readonly inOrder: boolean;
  readonly seed: number;
}

/** The bins of one epoch (row indices, in packing order) and how full they are. */
export interface Packing {
  readonly bins: readonly (readonly number[])[];
  /** Tokens in the bins over bins x capacity (Axolotl's packing efficiency). */
  readonly efficiency: number;
}

/** Packs one epoch's rows (given by their lengths) into bins; bins past the last full micro batch are dropped. */
export function packEpoch(lengths: readonly number[], epoch: number, options: PackingOptions): Packing {
  checkLengths(lengths, options.capacity);
  const order = options.inOrder ? lengths.map((_, i) => i) : shuffledIndices(lengths.length, makeRandom(options.seed, epoch));
  const bins: number[][] = [];
  for (let start = 0; start < order.length; start += options.groupSize) {
    const group = order.slice(start, start + options.groupSize);
    bins.push(...(options.sequential ? packSequentially(group, lengths, options) : packFirstFit(group, lengths, options)));
  }
  const kept = bins.slice(0, bins.length - (bins.length % options.binsPerBatch));
  const tokens = kept.reduce((sum, bin) => sum + bin.reduce((n, i) => n + lengths[i]!, 0), 0);
  return { bins: kept, efficiency: kept.length === 0 ? 0 : tokens / (kept.length * options.capacity) };
}

/** First-fit: each row goes into the lowest-numbered bin with room for it (and fewer than binSize rows). */
function packFirstFit(group: readonly number[], lengths: readonly number[], options: PackingOptions): number[][] {
  const free = new FreeSpace(group.length);
  const bins: number[][] = [];
  for (const row of group) {
    const length = lengths[row]!;
    const bin = free.firstWithRoom(length);
    const room = bin === bins.length ? options.capacity : free.room(bin);
    if (bin === bins.length) bins.push([]);
    bins[bin]!.push(row);
    const left = bins[bin]!.length === options.binSize ? -1 : room - length;
    free.set(bin, left);
  }
  return bins;
}

/** Sequential: rows fill the current bin in order; a row that does not fit (or a full bin) starts the next one. */
function packSequentially(group: readonly number[], lengths: readonly number[], options: PackingOptions): number[][] {
  const bins: number[][] = [];
  let room = 0;
  for (const row of group) {
    const length = lengths[row]!;
    const last = bins[bins.length - 1];
    if (last === undefined || length > room || last.length === options.binSize) {
      bins.push([row]);
      room = options.capacity - length;
    } else {
      last.push(row);
      room -= length;
    }
  }
  return bins;
}

/**
 * The free tokens of up to `count` bins, in a max-tree so the first bin with room for a row is found in O(log n).
 * A bin not opened yet has room Infinity (any row fits it); a full bin has -1.
 */
class FreeSpace {
  private readonly leaves: number;
  private readonly tree: Float64Array;

  constructor(count: number) {
    this.leaves = 2 ** Math.ceil(Math.log2(Math.max(count, 1)));
    this.tree = new Float64Array(2 * this.leaves).fill(Infinity);
  }

  /** The room left in bin `bin` (Infinity if it is not opened yet). */
  room(bin: number): number {
    return this.tree[this.leaves + bin]!;
  }

  set(bin: number, room: number): void {
    let node = this.leaves + bin;
    this.tree[node] = room;
    for (node >>= 1; node >= 1; node >>= 1) this.tree[node] = Math.max(this.tree[2 * node]!, this.tree[2 * node + 1]!);
  }

  /** The lowest bin whose room is at least `length`; an unopened bin always qualifies. */
  firstWithRoom(length: number): number {
    let node = 1;
    while (node < this.leaves) node = this.tree[2 * node]! >= length ? 2 * node : 2 * node + 1;
    return node - this.leaves;
  }
}

/** One micro batch of packed rows: each bin concatenated into a row of `length` tokens (see the file header). */
export function collatePacked(bins: readonly (readonly number[])[], rows: readonly TokenizedRow[], length: number,
  padId: number): Batch {
  const size = bins.length;
  const inputIds = new Int32Array(size * length).fill(padId);
  const labels = new Int32Array(size * length).fill(IGNORE_INDEX);
  const positionIds = new Int32Array(size * length);
  let tokens = 0;
  bins.forEach((bin, r) => {
    let at = r * length;
    for (const index of bin) {
      const row = rows[index]!;
      inputIds.set(row.input_ids, at);
      labels.set(row.labels, at);
      for (let t = 0; t < row.input_ids.length; t++) positionIds[at + t] = t;
      at += row.input_ids.length;
    }
    tokens += at - r * length;
    for (let t = 0; at + t < (r + 1) * length; t++) positionIds[at + t] = t;
  });
  return { size, length, input_ids: inputIds, labels, position_ids: positionIds, tokens };
}

function checkLengths(lengths: readonly number[], capacity: number): void {
  const long = lengths.findIndex((n) => n > capacity);
  if (long >= 0) {
    fail(
      DataError.rowTooLong,
      `row ${long} has ${lengths[long]} tokens, more than a packing bin's ${capacity}`,
      "load rows with loadDatasets, which drops or truncates rows longer than sequence_len",
    );
  }
}
