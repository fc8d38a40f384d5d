// Dataset format `type: input_output` (Axolotl's template-free format): a row is { segments: [{ label, text }] };
// each segment's text is tokenized WITHOUT special tokens (BOS, EOS, spaces and newlines are the row's own, exactly
// as written) and the ids are concatenated; a segment's labels are its ids when `label` is true (or train_on_inputs),
// else -100.
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import { where } from "../read-rows.ts";
import { IGNORE_INDEX, type Format, type ObjectRow } from "../types.ts";
import { listField } from "./fields.ts";

/** Tokenizes each input_output row. */
export const inputOutput: Format = (_entry, tokenizer, options) => (row) => {
  const ids: number[] = [];
  const labels: number[] = [];
  listField(row, "segments", "input_output").forEach((segment, i) => {
    const { label, text } = checkSegment(row, segment, i);
    const piece = tokenizer.encode(text, { addSpecialTokens: false });
    ids.push(...piece);
    labels.push(...(label || options.trainOnInputs ? piece : piece.map(() => IGNORE_INDEX)));
  });
  return { input_ids: ids, labels, file: row.file, line: row.line };
};

function checkSegment(row: ObjectRow, segment: unknown, i: number): { label: boolean; text: string } {
  const s = segment as { label?: unknown; text?: unknown } | null;
  if (typeof s !== "object" || s === null || typeof s.text !== "string" || typeof s.label !== "boolean") {
    fail(
      DataError.missingField,
      `${where(row)}: input_output row: segments[${i}] is ${JSON.stringify(segment)}, expected {"label": true|false, "text": "..."}`,
      "give every segment a boolean label (trained or not) and a text string",
    );
  }
  return { label: s.label as boolean, text: s.text as string };
}
