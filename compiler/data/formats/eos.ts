// The EOS token the text formats end a sample with: the tokenizer's eos id, or 6210 naming the dataset entry.
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import type { DataTokenizer, DatasetEntry } from "../types.ts";

/** The tokenizer's eos id; 6210 when it names none. */
export function requireEos(tokenizer: DataTokenizer, entry: DatasetEntry, index: number): number {
  if (tokenizer.eosId !== undefined) return tokenizer.eosId;
  return fail(
    DataError.noEosToken,
    `the tokenizer names no eos_token, which every row of datasets[${index}] (${entry.path ?? "no path"}) ends with`,
    "set eos_token in the model's tokenizer_config.json",
  );
}
