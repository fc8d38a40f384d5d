// Types shared by the data path: a dataset entry of the config, the tokenizer surface the loaders use, the
// dataset-wide settings formats read, a tokenized row, and the signature every dataset format (one per Axolotl
// `type`) implements: set up once per dataset entry (checking its keys), then called once per row.
// Invariants: a TokenizedRow's input_ids and labels have the same length; labels are -100 (ignored) or a token id.
import type { SourceRow } from "./read-rows.ts";

/** The label value the loss ignores (Hugging Face and Axolotl's IGNORE_INDEX). */
export const IGNORE_INDEX = -100;

/** One entry of the config's `datasets` list: the keys the data path reads, snake_case as in Axolotl. */
export interface DatasetEntry {
  /** A local .jsonl or .json file; optional only because the config schema also allows hub datasets (not read). */
  readonly path?: string;
  /** A format name (completion, alpaca, input_output, chat_template), or absent/null/empty for pre-tokenized rows. */
  readonly type?: unknown;
  /** The text field of `completion` rows (default `text`). */
  readonly field?: string | null;
  /** chat_template: the template (`tokenizer_default`, `jinja`, `chatml`, `tokenizer_default_fallback_<name>`). */
  readonly chat_template?: string;
  /** chat_template with `chat_template: jinja`: the template text, or the path of a .jinja file. */
  readonly chat_template_jinja?: string;
  /** chat_template: the field holding the list of messages (default `messages`). */
  readonly field_messages?: string;
  /** chat_template: message key names, e.g. { role: "from", content: "value" }. */
  readonly message_property_mappings?: Readonly<Record<string, string>>;
  /** chat_template: the older spellings of message_property_mappings' role and content. */
  readonly message_field_role?: string;
  readonly message_field_content?: string;
  /** chat_template: template role -> the role names rows use for it, e.g. { user: [human], assistant: [gpt] }. */
  readonly roles?: Readonly<Record<string, readonly string[]>>;
  /** chat_template: per-message training flags (not read yet: refused, 6219). */
  readonly message_field_training?: string;
  readonly message_field_training_detail?: string;
  /** chat_template: roles whose turns are trained (default [assistant]). */
  readonly roles_to_train?: readonly string[];
  /** chat_template: which end-of-turn EOS tokens are trained (default `turn`). */
  readonly train_on_eos?: "all" | "turn" | "last" | "none";
  /** chat_template: drop a leading system message. */
  readonly drop_system_message?: boolean;
}

/** Dataset-wide settings the formats read, named after the config keys they come from. */
export interface FormatOptions {
  /** `train_on_inputs`: train on prompt tokens too (alpaca, input_output) or on every turn (chat_template). */
  readonly trainOnInputs: boolean;
  /** The top-level `chat_template` (replaces the tokenizer's template, as Axolotl does at tokenizer load). */
  readonly chatTemplate?: string;
  /** The top-level `chat_template_jinja`. */
  readonly chatTemplateJinja?: string;
  /** `chat_template_kwargs`: extra variables for the template. */
  readonly chatTemplateKwargs?: Readonly<Record<string, unknown>>;
}

/** What the loaders need from a tokenizer (compiler/import/tokenizer.ts's HfTokenizer has it). */
export interface DataTokenizer {
  /** Ids of a text, with the special tokens (e.g. BOS) the tokenizer adds unless addSpecialTokens is false. */
  encode(text: string, options?: { readonly addSpecialTokens?: boolean }): number[];
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly padId: number | undefined;
  readonly vocabSize: number;
  /** The chat template of tokenizer_config.json (or chat_template.jinja), if the tokenizer has one. */
  readonly chatTemplate?: string;
  /** The token string of an id (bos_token and eos_token for chat templates). */
  idToToken(id: number): string | undefined;
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
export type RowFormat = (row: ObjectRow) => TokenizedRow;

/** A dataset format: checks a dataset entry's keys (throwing a TraincError naming the entry) and returns its rows' format. */
export type Format = (entry: DatasetEntry, tokenizer: DataTokenizer, options: FormatOptions, index: number) => RowFormat;
