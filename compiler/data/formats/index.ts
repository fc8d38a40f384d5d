// The dataset formats, one per Axolotl `type`: the table the loader dispatches on. A new format is one file in this
// folder and one line in FORMATS. A dataset entry with no type (absent, null or empty) holds pre-tokenized rows.
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import type { DatasetEntry, Format } from "../types.ts";
import { ALPACA_STYLES, alpaca } from "./alpaca.ts";
import { chatTemplate } from "./chat-template.ts";
import { completion } from "./completion.ts";
import { inputOutput } from "./input-output.ts";
import { pretokenized } from "./pretokenized.ts";

/** Every supported `type` value and its format. */
export const FORMATS: Readonly<Record<string, Format>> = {
  completion,
  alpaca: alpaca(ALPACA_STYLES.instruct),
  "alpaca:chat": alpaca(ALPACA_STYLES.chat),
  input_output: inputOutput,
  chat_template: chatTemplate,
};

/** The format of a dataset entry; throws 6209 for a type not supported yet. `index` is the entry's place in the list. */
export function formatOf(entry: DatasetEntry, index: number): Format {
  const type = entry.type;
  if (type === undefined || type === null || type === "") return pretokenized;
  if (typeof type === "string" && Object.hasOwn(FORMATS, type)) return FORMATS[type]!;
  return fail(
    DataError.unsupportedType,
    `datasets[${index}].type ${JSON.stringify(type)} is not supported yet${entry.path ? ` (dataset ${entry.path})` : ""}`,
    `use one of: ${Object.keys(FORMATS).join(", ")}, or no type for pre-tokenized rows (input_ids, labels)`,
  );
}
