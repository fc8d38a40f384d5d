// The batches `trainc train` feeds a program, epoch after epoch: the layout a config asks for and the stream of that
// layout. Without sample_packing a batch is micro_batch_size rows of one sample each (compiler/data/batches.ts). With
// it, Axolotl's rule (axolotl-config.md §1) picks the layout: an attention that runs packed rows as varlen (flash,
// flex, xformers, sage) gets ONE row of micro_batch_size x sequence_len tokens per batch, unless multipack_real_batches
// is true; sdpa and eager get micro_batch_size rows of sequence_len tokens (compiler/data/packing.ts).
// Invariants: a packed batch is exactly [rows, length]; the stream is a pure function of rows, layout and seed.
import { attentionTraits } from "../config/attention.ts";
import type { TrainConfig } from "../config/index.ts";
import { fail } from "../diagnostics.ts";
import { batchesPerEpoch, batchStream, requirePadId, type Batch, type EpochBatch } from "./batches.ts";
import { DataError } from "./codes.ts";
import { collatePacked, packEpoch, type PackingOptions } from "./packing.ts";
import type { TokenizedRow } from "./types.ts";

/** The shape of a training batch: rows (B) x length (T, the longest for unpacked batches), and packing if on. */
export interface BatchLayout {
  readonly rows: number;
  readonly length: number;
  readonly packing?: PackingOptions;
}

type LayoutKeys = "micro_batch_size" | "sequence_len" | "seed" | "sample_packing" | "sample_packing_bin_size" |
  "sample_packing_group_size" | "sample_packing_sequentially" | "multipack_real_batches" | "curriculum_sampling" |
  "attn_implementation";

/** The batch layout of a config. */
export function batchLayout(config: Pick<TrainConfig, LayoutKeys>): BatchLayout {
  const { micro_batch_size: mbs, sequence_len: length } = config;
  if (config.sample_packing !== true) return { rows: mbs, length };
  const varlen = attentionTraits(config.attn_implementation).supportsPacking && config.multipack_real_batches !== true;
  const [rows, capacity] = varlen ? [1, mbs * length] : [mbs, length];
  return {
    rows, length: capacity,
    packing: {
      capacity, binsPerBatch: rows, binSize: config.sample_packing_bin_size, groupSize: config.sample_packing_group_size,
      sequential: config.sample_packing_sequentially === true, inOrder: config.curriculum_sampling === true, seed: config.seed,
    },
  };
}

/** Micro batches in epoch `epoch` (packed epochs differ slightly from one another; unpacked ones do not). */
export function batchesInEpoch(rows: readonly TokenizedRow[], layout: BatchLayout, epoch = 0): number {
  if (!layout.packing) return batchesPerEpoch(rows.length, layout.rows);
  return packEpoch(rows.map((r) => r.input_ids.length), epoch, layout.packing).bins.length / layout.rows;
}

/** "4 rows of up to 512 tokens", or for packed batches "1 packed row of 2048 tokens". */
export function describeLayout(layout: BatchLayout): string {
  const rows = `${layout.rows}${layout.packing ? " packed" : ""} row${layout.rows === 1 ? "" : "s"}`;
  return `${rows} of ${layout.packing ? "" : "up to "}${layout.length} tokens`;
}

/** Epoch 0's packing in one line: rows, bins, batches and the efficiency. */
export function describePacking(rows: readonly TokenizedRow[], layout: BatchLayout): string {
  if (!layout.packing) return "off";
  const { bins, efficiency } = packEpoch(rows.map((r) => r.input_ids.length), 0, layout.packing);
  const used = bins.reduce((n, bin) => n + bin.length, 0);
  return `${used} of ${rows.length} rows in ${bins.length} bins of ${layout.packing.capacity} tokens ` +
    `(${bins.length / layout.rows} batches per epoch), efficiency ${(100 * efficiency).toFixed(1)}%`;
}

/** Batches of epoch 0, 1, 2, ... without end; throws before the first batch if the layout cannot make one. */
export function trainBatches(rows: readonly TokenizedRow[], layout: BatchLayout, padId: number | undefined,
  seed: number): Generator<EpochBatch> {
  if (!layout.packing) return batchStream(rows, { microBatchSize: layout.rows, sequenceLen: layout.length, padId, seed });
  const pad = requirePadId(padId);
  if (batchesInEpoch(rows, layout) === 0) {
    fail(
      DataError.tooFewRows,
      `${rows.length} usable rows fill fewer than the ${layout.rows} packed rows of one batch`,
      "add rows, or lower micro_batch_size",
    );
  }
  return packedStream(rows, layout, layout.packing, pad);
}

/**
 * The held-out rows as evaluation batches of `layout`, every row once, in dataset order (Axolotl evaluates with a
 * sequential sampler): packed first-fit when training packs (unless `pack` is false: eval_sample_packing: false),
 * else a row per batch row; each batch row is padded to the layout's length as packed rows are (collatePacked), and
 * the last batch is filled up with rows of padding alone (no targets), so the static shape holds and no held-out row
 * is left out. Throws 6213 when no row is held out.
 */
export function evalBatches(rows: readonly TokenizedRow[], layout: BatchLayout, padId: number | undefined, pack = true): Batch[] {
  const pad = requirePadId(padId);
  if (rows.length === 0) {
    fail(DataError.tooFewRows, "no rows are held out for evaluation", "raise val_set_size, or set it to 0 to train without evaluation");
  }
  const bins = layout.packing && pack ? packEpoch(rows.map((r) => r.input_ids.length), 0, { ...layout.packing, inOrder: true, binsPerBatch: 1 }).bins
    : rows.map((_, i) => [i]);
  return Array.from({ length: Math.ceil(bins.length / layout.rows) }, (_, i) => {
    const members = bins.slice(i * layout.rows, (i + 1) * layout.rows);
    return collatePacked([...members, ...Array.from({ length: layout.rows - members.length }, () => [])], rows, layout.length, pad);
  });
}

function* packedStream(rows: readonly TokenizedRow[], layout: BatchLayout, packing: PackingOptions,
  padId: number): Generator<EpochBatch> {
  const lengths = rows.map((r) => r.input_ids.length);
  for (let epoch = 0; ; epoch++) {
    const { bins } = packEpoch(lengths, epoch, packing);
    for (let index = 0; index * layout.rows < bins.length; index++) {
      const members = bins.slice(index * layout.rows, (index + 1) * layout.rows);
      yield { epoch, index, batch: collatePacked(members, rows, layout.length, padId) };
    }
  }
}
