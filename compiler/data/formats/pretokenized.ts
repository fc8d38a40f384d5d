// Pre-tokenized rows, the format of a dataset entry with no `type` (as Axolotl accepts them): `input_ids` (a list of
// token ids, used as is: BOS/EOS are the row's own), optional `labels` (same length; -100 = not trained on; default
// = input_ids) and optional `attention_mask` (all ones: rows come unpadded, trainc pads batches itself).
// Invariant: every id is an integer in [0, vocabSize); every label is -100 or such an id.
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import { where } from "../read-rows.ts";
import { IGNORE_INDEX, type Format, type ObjectRow } from "../types.ts";

/** Validates each pre-tokenized row and returns it as a tokenized row. */
export const pretokenized: Format = (_entry, tokenizer) => (row) => {
  const ids = row.value.input_ids;
  if (ids === undefined) {
    fail(
      DataError.untypedRowWithoutIds,
      `${where(row)}: row has no "input_ids" and its dataset has no type (fields: ${Object.keys(row.value).join(", ") || "none"})`,
      "for text rows set the dataset's `type: completion` (and `field:` if the text is not in \"text\"); " +
        "for pre-tokenized rows give each row an input_ids list",
    );
  }
  const inputIds = idList(row, "input_ids", ids, tokenizer.vocabSize, false);
  const labels = row.value.labels === undefined ? [...inputIds] : idList(row, "labels", row.value.labels, tokenizer.vocabSize, true);
  sameLength(row, "labels", labels.length, inputIds.length);
  checkMask(row, inputIds.length);
  return { input_ids: inputIds, labels, file: row.file, line: row.line };
};

function idList(row: ObjectRow, key: string, value: unknown, vocabSize: number, ignorable: boolean): number[] {
  if (!Array.isArray(value)) badRow(row, `"${key}" is not a list`);
  value.forEach((v, i) => {
    const ok = Number.isInteger(v) && ((v as number) >= 0 ? (v as number) < vocabSize : ignorable && v === IGNORE_INDEX);
    if (!ok) {
      const allowed = `an integer in 0..${vocabSize - 1}${ignorable ? ` or ${IGNORE_INDEX}` : ""}`;
      badRow(row, `${key}[${i}] is ${JSON.stringify(v)}, expected ${allowed} (the tokenizer has ${vocabSize} ids)`);
    }
  });
  return value as number[];
}

function sameLength(row: ObjectRow, key: string, length: number, expected: number): void {
  if (length !== expected) badRow(row, `"${key}" has ${length} entries but "input_ids" has ${expected}`);
}

function checkMask(row: ObjectRow, length: number): void {
  const mask = row.value.attention_mask;
  if (mask === undefined) return;
  if (!Array.isArray(mask)) badRow(row, `"attention_mask" is not a list`);
  sameLength(row, "attention_mask", mask.length, length);
  const zero = mask.findIndex((m) => m !== 1);
  if (zero >= 0) {
    badRow(row, `attention_mask[${zero}] is ${JSON.stringify(mask[zero])}: rows must be unpadded (all ones)`);
  }
}

function badRow(row: ObjectRow, problem: string): never {
  return fail(
    DataError.badTokenRow,
    `${where(row)}: pre-tokenized row: ${problem}`,
    "fix the row: input_ids are token ids of this model's tokenizer, labels the same length with -100 where not trained",
  );
}
