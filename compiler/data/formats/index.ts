// The dataset formats, one per Axolotl `type`: the table the loader dispatches on. A new format is one file in this
// folder and one line in FORMATS. A dataset entry with no type (absent, null or empty) holds pre-tokenized rows.
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import type { DatasetEntry, RowFormat } from "../types.ts";
import { completionRow } from "./completion.ts";
import { pretokenizedRow } from "./pretokenized.ts";

/** Every supported `type` value and its format. */
export const FORMATS: Readonly<Record<string, RowFormat>> = {
  completion: completionRow,
};

/** The format of a dataset entry; throws 6209 for a type not supported yet. `index` is the entry's place in the list. */
export function formatOf(entry: DatasetEntry, index: number): RowFormat {
  const type = entry.type;
  if (type === undefined || type === null || type === "") return pretokenizedRow;
  if (typeof type === "string" && Object.hasOwn(FORMATS, type)) return FORMATS[type]!;
  return fail(
    DataError.unsupportedType,
    `datasets[${index}].type ${JSON.stringify(type)} is not supported yet${entry.path ? ` (dataset ${entry.path})` : ""}`,
    `use one of: ${Object.keys(FORMATS).join(", ")}, or no type for pre-tokenized rows (input_ids, labels); ` +
      "more Axolotl formats are planned",
  );
}
