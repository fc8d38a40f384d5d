// Loads the datasets of a training config into tokenized rows: resolve each entry's path, read its rows, tokenize
// them with the entry's format (compiler/data/formats), then filter by length as Axolotl does: rows longer than
// sequence_len are dropped (excess_length_strategy `drop`, the default), truncated (`truncate`) or an error (`raise`);
// rows shorter than 2 tokens (Axolotl's min_sample_len default) are dropped, as they give no next-token target, and so
// are rows with no trained token after the first (all labels -100: an alpaca row with an empty output, input_output
// segments all unlabeled), as Axolotl's drop_no_trainable_tokens does; so every batch has at least one target.
// Every entry's type and path are checked before any file is read, so a config mistake shows at once.
// Takes plain parameters (entries, sequence length, the config's folder) so it does not depend on the config module.
// Invariants: rows keep file order, entries in list order; the counts in DatasetStats add up
// (read = rows + droppedLong + droppedShort + droppedNoTargets; truncated rows are counted in rows).
import { fail } from "../diagnostics.ts";
import { DataError } from "./codes.ts";
import { formatOf } from "./formats/index.ts";
import { readRows, resolveDatasetPath, where, type SourceRow } from "./read-rows.ts";
import { IGNORE_INDEX, type DataTokenizer, type DatasetEntry, type FormatOptions, type ObjectRow, type TokenizedRow } from "./types.ts";

/** Axolotl's `excess_length_strategy`: what happens to a row longer than sequence_len. */
export type ExcessLengthStrategy = "drop" | "truncate" | "raise";

/** Axolotl's default `min_sample_len`: shorter rows are dropped. */
export const MIN_ROW_TOKENS = 2;

/** Parameters of {@link loadDatasets}, named after the config keys they come from. */
export interface LoadOptions {
  /** `sequence_len`: the longest row kept. */
  readonly sequenceLen: number;
  /** The folder of the config file, where relative dataset paths are looked up after the current directory. */
  readonly configDir?: string;
  /** `excess_length_strategy`; default `drop`. */
  readonly excessLength?: ExcessLengthStrategy;
  /** The current directory for relative paths; default process.cwd(). */
  readonly cwd?: string;
  /** What the formats read besides the entry (train_on_inputs, chat templates); default: train_on_inputs false. */
  readonly format?: FormatOptions;
}

/** Counts for the CLI's report. */
export interface DatasetStats {
  /** Each dataset file and how many raw rows it held. */
  readonly files: readonly { readonly path: string; readonly rows: number }[];
  /** Raw rows read from all files. */
  readonly read: number;
  /** Rows kept. */
  readonly rows: number;
  /** Tokens in the rows kept. */
  readonly tokens: number;
  readonly droppedLong: number;
  readonly droppedShort: number;
  /** Rows whose labels train no token after the first. */
  readonly droppedNoTargets: number;
  /** Kept rows that were cut to sequence_len (excess_length_strategy `truncate`). */
  readonly truncated: number;
  readonly sequenceLen: number;
}

/** Tokenized rows plus their counts. */
export interface LoadedDataset {
  readonly rows: readonly TokenizedRow[];
  readonly stats: DatasetStats;
}

/** Reads, tokenizes and length-filters every dataset entry. */
export function loadDatasets(
  entries: readonly DatasetEntry[],
  tokenizer: DataTokenizer,
  options: LoadOptions,
): LoadedDataset {
  checkPositiveInteger("sequence_len", options.sequenceLen);
  const files: { path: string; rows: number }[] = [];
  const tokenized: TokenizedRow[] = [];
  const paths = datasetFiles(entries, options);
  const formatOptions = options.format ?? { trainOnInputs: false };
  const formats = entries.map((entry, index) => formatOf(entry, index)(entry, tokenizer, formatOptions, index));
  entries.forEach((_entry, index) => {
    const file = paths[index]!;
    const raw = readRows(file);
    files.push({ path: file, rows: raw.length });
    for (const row of raw) tokenized.push(formats[index]!(asObjectRow(row)));
  });
  return filterByLength(tokenized, files, options);
}

/** The file of every entry, resolved as config paths are; checks every entry's type first. */
export function datasetFiles(entries: readonly DatasetEntry[], options: Pick<LoadOptions, "configDir" | "cwd">): string[] {
  entries.forEach((entry, index) => formatOf(entry, index));
  return entries.map((entry, index) => resolveDatasetPath(pathOf(entry, index), options.configDir, options.cwd));
}

function pathOf(entry: DatasetEntry, index: number): string {
  if (typeof entry.path === "string" && entry.path !== "") return entry.path;
  return fail(
    DataError.missingPath,
    `datasets[${index}] has no path`,
    "set datasets[].path to a local .jsonl, .json or .parquet file",
  );
}

function asObjectRow(row: SourceRow): ObjectRow {
  const value = row.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(
      DataError.rowNotObject,
      `${where(row)}: row is ${Array.isArray(value) ? "a list" : JSON.stringify(value)}, expected a JSON object`,
      'write each row as an object, e.g. {"text": "..."} or {"input_ids": [...]}',
    );
  }
  return row as ObjectRow;
}

function filterByLength(
  rows: readonly TokenizedRow[],
  files: readonly { path: string; rows: number }[],
  options: LoadOptions,
): LoadedDataset {
  const limit = options.sequenceLen;
  const strategy = options.excessLength ?? "drop";
  const kept: TokenizedRow[] = [];
  let droppedLong = 0;
  let droppedShort = 0;
  let droppedNoTargets = 0;
  let truncated = 0;
  for (const row of rows) {
    const length = row.input_ids.length;
    if (length >= MIN_ROW_TOKENS && !row.labels.some((label, t) => t > 0 && t < limit && label !== IGNORE_INDEX)) {
      droppedNoTargets++;
    } else if (length > limit) {
      if (strategy === "drop") {
        droppedLong++;
        continue;
      }
      if (strategy === "raise") rowTooLong(row, length, limit);
      truncated++;
      kept.push({ ...row, input_ids: row.input_ids.slice(0, limit), labels: row.labels.slice(0, limit) });
    } else if (length < MIN_ROW_TOKENS) {
      droppedShort++;
    } else {
      kept.push(row);
    }
  }
  const tokens = kept.reduce((sum, row) => sum + row.input_ids.length, 0);
  const read = rows.length;
  return {
    rows: kept,
    stats: { files, read, rows: kept.length, tokens, droppedLong, droppedShort, droppedNoTargets, truncated, sequenceLen: limit },
  };
}

function rowTooLong(row: TokenizedRow, length: number, limit: number): never {
  return fail(
    DataError.rowTooLong,
    `${where(row)}: row has ${length} tokens, more than sequence_len ${limit}`,
    "raise sequence_len, shorten the row, or set excess_length_strategy to drop or truncate",
  );
}

/** Throws 6214 unless `value` is a positive integer; `key` is the config key it came from. */
export function checkPositiveInteger(key: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    fail(DataError.badBatchParameter, `${key} is ${value}, expected a positive integer`, `set ${key} to 1 or more`);
  }
}

/** A one-paragraph summary of the counts, for the CLI. */
export function describeStats(stats: DatasetStats): string {
  const fileCount = `${stats.files.length} file${stats.files.length === 1 ? "" : "s"}`;
  const parts = [`${stats.read} rows read from ${fileCount}`, `${stats.rows} kept (${stats.tokens} tokens)`];
  if (stats.droppedLong > 0) parts.push(`${stats.droppedLong} dropped: longer than sequence_len ${stats.sequenceLen}`);
  if (stats.truncated > 0) parts.push(`${stats.truncated} truncated to sequence_len ${stats.sequenceLen}`);
  if (stats.droppedShort > 0) parts.push(`${stats.droppedShort} dropped: shorter than ${MIN_ROW_TOKENS} tokens`);
  if (stats.droppedNoTargets > 0) parts.push(`${stats.droppedNoTargets} dropped: no trained token`);
  return parts.join("; ");
}
