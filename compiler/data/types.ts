// Types shared by the data path: a dataset entry of the config, the tokenizer surface the loaders use, a tokenized
// row, and the signature every dataset format (one per Axolotl `type`) implements.
// Invariants: a TokenizedRow's input_ids and labels have the same length; labels are -100 (ignored) or a token id.
import type { SourceRow } from "./read-rows.ts";

/** The label value the loss ignores (Hugging Face and Axolotl's IGNORE_INDEX). */
export const IGNORE_INDEX = -100;

/** One entry of the config's `datasets` list: the keys the data path reads, snake_case as in Axolotl. */
export interface DatasetEntry {
  /** A local .jsonl or .json file; optional only because the config schema also allows hub datasets (not read). */
  readonly path?: string;
  /** `completion`, or absent/null/empty for pre-tokenized rows; other Axolotl types come in later issues. */
  readonly type?: unknown;
  /** The text field of `completion` rows (default `text`). */
  readonly field?: string | null;
}

/** What the loaders need from a tokenizer (compiler/import/tokenizer.ts's HfTokenizer has it). */
export interface DataTokenizer {
  /** Ids of a text with the special tokens (e.g. BOS) the tokenizer adds. */
  encode(text: string): number[];
  readonly eosId: number | undefined;
  readonly padId: number | undefined;
  readonly vocabSize: number;
}

/** A row ready for batching: its ids, its labels, and where it came from (for errors and reports). */
export interface TokenizedRow {
  readonly input_ids: readonly number[];
  readonly labels: readonly number[];
  readonly file: string;
  readonly line: number;
}

/** A raw row that is a JSON object. */
export interface ObjectRow extends SourceRow {
  readonly value: Record<string, unknown>;
}

/** Turns one raw row of a dataset into a tokenized row; throws a TraincError naming file:line if it cannot. */
export type RowFormat = (row: ObjectRow, entry: DatasetEntry, tokenizer: DataTokenizer) => TokenizedRow;
