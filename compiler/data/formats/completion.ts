// Dataset format `type: completion` (Axolotl's CompletionPromptTokenizingStrategy): each row's text field (`text`,
// or the entry's `field`) is tokenized with the special tokens the tokenizer adds (e.g. BOS), then EOS is appended
// unless the ids already end with it; labels = input_ids (train on every token).
// Difference from Axolotl, on purpose for now: Axolotl splits a text longer than sequence_len into sequence_len
// chunks; here the whole row goes to the length filter (dropped by default, see compiler/data/dataset.ts).
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import { where } from "../read-rows.ts";
import type { RowFormat } from "../types.ts";

/** The text field a completion row is read from when the dataset entry names none. */
export const DEFAULT_TEXT_FIELD = "text";

/** Tokenizes one completion row. */
export const completionRow: RowFormat = (row, entry, tokenizer) => {
  const field = entry.field ?? DEFAULT_TEXT_FIELD;
  const text = row.value[field];
  if (typeof text !== "string") {
    const found = text === undefined ? `no "${field}" field (fields: ${fieldList(row.value)})` : `"${field}" is not a string`;
    fail(
      DataError.missingTextField,
      `${where(row)}: completion row has ${found}`,
      `give every row a string "${field}" field, or set datasets[].field to the field holding the text`,
    );
  }
  const eos = tokenizer.eosId;
  if (eos === undefined) {
    fail(
      DataError.noEosToken,
      `the tokenizer names no eos_token, which every completion row of ${row.file} ends with`,
      "set eos_token in the model's tokenizer_config.json",
    );
  }
  const ids = tokenizer.encode(text);
  if (ids[ids.length - 1] !== eos) ids.push(eos);
  return { input_ids: ids, labels: [...ids], file: row.file, line: row.line };
};

function fieldList(value: Record<string, unknown>): string {
  const keys = Object.keys(value);
  return keys.length === 0 ? "none" : keys.map((k) => JSON.stringify(k)).join(", ");
}
