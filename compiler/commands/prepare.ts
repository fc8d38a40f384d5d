// `trainc prepare <config.yml>`: runs data preparation alone — reads and tokenizes the datasets (through the
// dataset_prepared_path cache when set), splits off val_set_size, and prints the counts, a histogram of row lengths
// and how the rows batch: the packing efficiency with sample_packing, else the share of batch slots that hold tokens.
// Reads no model weights. Invariant: prints to stdout; writes nothing but the cache entry.
import { describeStats } from "../data/dataset.ts";
import { configSplit } from "../data/split.ts";
import { batchesInEpoch, batchLayout, describeLayout, describePacking } from "../data/stream.ts";
import type { TokenizedRow } from "../data/types.ts";
import { configDatasets, configTokenizer, readConfig } from "./inputs.ts";

/** Buckets of the length histogram. */
const BUCKETS = 8;
/** Width of the histogram's longest bar, in characters. */
const BAR = 40;

export function prepare(configFile: string): void {
  const config = readConfig(configFile);
  const note = (message: string) => process.stderr.write(`trainc: ${message}\n`);
  const tokenizer = configTokenizer(config);
  note("tokenizing datasets");
  const { dataset } = configDatasets(config, tokenizer, note);
  const { train, eval: held } = configSplit(dataset.rows, config);
  const layout = batchLayout(config);
  const out: string[] = [`dataset: ${describeStats(dataset.stats)}`];
  if (held.length > 0) out.push(`split: ${train.length} rows for training, ${held.length} held out for evaluation (val_set_size ${config.val_set_size})`);
  out.push(`lengths (tokens per row, ${train.length} training rows):`, ...histogram(train, config.sequence_len));
  out.push(`batches: ${describeLayout(layout)}, ${batchesInEpoch(train, layout)} per epoch`);
  out.push(layout.packing ? `sample packing: ${describePacking(train, layout)}`
    : `padding: ${(100 * unpackedFill(train, config.micro_batch_size)).toFixed(1)}% of batch slots hold tokens (sample_packing is off)`);
  process.stdout.write(`${out.join("\n")}\n`);
}

/** Lines of a histogram of row lengths in BUCKETS equal buckets over 1..sequenceLen. */
function histogram(rows: readonly TokenizedRow[], sequenceLen: number): string[] {
  const width = Math.ceil(sequenceLen / BUCKETS);
  const counts = new Array<number>(BUCKETS).fill(0);
  for (const row of rows) counts[Math.min(BUCKETS - 1, Math.floor((row.input_ids.length - 1) / width))]!++;
  const most = Math.max(1, ...counts);
  const label = String(sequenceLen).length;
  return counts.map((count, b) => {
    const range = `${String(b * width + 1).padStart(label)}-${String(Math.min(sequenceLen, (b + 1) * width)).padStart(label)}`;
    return `  ${range} | ${"#".repeat(Math.round((BAR * count) / most)).padEnd(BAR)} ${count}`;
  });
}

/** Tokens over batch slots when rows are batched unpacked in dataset order, each batch padded to its longest row. */
function unpackedFill(rows: readonly TokenizedRow[], microBatchSize: number): number {
  let tokens = 0;
  let slots = 0;
  for (let start = 0; start + microBatchSize <= rows.length; start += microBatchSize) {
    const lengths = rows.slice(start, start + microBatchSize).map((r) => r.input_ids.length);
    tokens += lengths.reduce((a, b) => a + b, 0);
    slots += microBatchSize * Math.max(...lengths);
  }
  return slots === 0 ? 0 : tokens / slots;
}
