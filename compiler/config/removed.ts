// Keys and values Axolotl has removed and now rejects (Axolotl's S/deprecated.py and the sharegpt check in
// S/validation.py). trainc rejects them the same way, with Axolotl's replacement in the fix line, instead of treating
// them as unknown keys. Invariant: a removed key only errors when set to something that would have switched it on.

import { fail } from "../diagnostics.ts";
import { CONFIG_ERRORS } from "./codes.ts";
import { anything, bool } from "./kinds.ts";
import { where, type ConfigSource } from "./source.ts";

interface RemovedKey {
  readonly key: string;
  readonly what: string;
  readonly fix: string;
}

const REMOVED_KEYS: readonly RemovedKey[] = [
  { key: "s2_attention", what: "shifted-sparse attention was removed from Axolotl", fix: "remove s2_attention" },
  {
    key: "rope_scaling",
    what: "a top-level rope_scaling is no longer read by Axolotl",
    fix: "move it under model_config: (model_config: {rope_scaling: {rope_type: ..., factor: ...}})",
  },
  {
    key: "max_packed_sequence_len",
    what: "max_packed_sequence_len was removed from Axolotl",
    fix: "remove it; use sample_packing: true with sequence_len",
  },
  { key: "flash_attn_rms_norm", what: "flash_attn_rms_norm was removed from Axolotl", fix: "remove flash_attn_rms_norm" },
];

/** Schema entries for the removed keys (any value parses; `checkRemoved` rejects the ones that are set). */
export const REMOVED_KEYS_SHAPE = Object.fromEntries(
  REMOVED_KEYS.map(({ key }) => [key, key === "rope_scaling" ? anything().optional() : bool().optional()]),
);

/** Throws E1010 for a removed key switched on, or a dataset of the removed `sharegpt` type. */
export function checkRemoved(source: ConfigSource): void {
  for (const { key, what, fix } of REMOVED_KEYS) {
    const value = source.data[key];
    if (value !== undefined && value !== false) {
      fail(CONFIG_ERRORS.REMOVED_KEY, `${where(source, [key])}: ${key}: ${what}`, fix);
    }
  }
  for (const list of ["datasets", "test_datasets"] as const) {
    const entries = (source.data[list] ?? []) as readonly { type?: unknown }[];
    entries.forEach((entry, i) => {
      if (typeof entry.type === "string" && entry.type.startsWith("sharegpt")) {
        fail(
          CONFIG_ERRORS.REMOVED_KEY,
          `${where(source, [list, i, "type"])}: ${list}[${i}].type: ${entry.type} was removed from Axolotl`,
          `use type: chat_template (with field_messages / message_property_mappings for your columns)`,
        );
      }
    });
  }
}
