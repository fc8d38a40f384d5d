// Dataset format `type: completion` (Axolotl's CompletionPromptTokenizingStrategy): each row's text field (`text`,
// or the entry's `field`) is tokenized with the special tokens the tokenizer adds (e.g. BOS), then EOS is appended
// unless the ids already end with it; labels = input_ids (train on every token).
// Difference from Axolotl, on purpose for now: Axolotl splits a text longer than sequence_len into sequence_len
// chunks; here the whole row goes to the length filter (dropped by default, see compiler/data/dataset.ts).
import type { Format } from "../types.ts";
import { requireEos } from "./eos.ts";
import { stringField } from "./fields.ts";

/** The text field a completion row is read from when the dataset entry names none. */
export const DEFAULT_TEXT_FIELD = "text";

/** Tokenizes each completion row. */
export const completion: Format = (entry, tokenizer, _options, index) => {
  const field = entry.field ?? DEFAULT_TEXT_FIELD;
  const eos = requireEos(tokenizer, entry, index);
  return (row) => {
    const ids = tokenizer.encode(stringField(row, field, "completion", "field"));
    if (ids[ids.length - 1] !== eos) ids.push(eos);
    return { input_ids: ids, labels: [...ids], file: row.file, line: row.line };
  };
};
