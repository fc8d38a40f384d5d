// Applies the cross-key rules of rules-table.ts to a type-checked config and reports the first broken one, naming
// every key the rule relates with its value and line (or "not set"), so both sides of a conflict are visible.
// Invariant: runs after the schema and attention checks, so values have their declared types.

import { fail } from "../diagnostics.ts";
import { CROSS_KEY_RULES, type RuleInput } from "./rules-table.ts";
import { lineOf, where, yamlValue, type ConfigSource } from "./source.ts";

/** Throws the first broken cross-key rule's error. */
export function checkCrossKeyRules(source: ConfigSource, config: RuleInput): void {
  const rule = CROSS_KEY_RULES.find((r) => r.broken(config));
  if (rule === undefined) return;
  const anchor = rule.keys.find((key) => source.has([key]));
  const at = anchor === undefined ? source.file : where(source, [anchor]);
  const named = rule.keys.map((key) => describeKey(source, config, key)).join(", ");
  fail(rule.code, `${at}: ${rule.problem} — ${named}`, rule.fix);
}

/** `warmup_steps: 10 (line 12)`, `load_in_4bit (not set)`, or `attn_implementation: sdpa (default)`. */
function describeKey(source: ConfigSource, config: RuleInput, key: string): string {
  const value = config[key];
  if (value === undefined) return `${key} (not set)`;
  const text = `${key}: ${yamlValue(value)}`;
  return source.has([key]) ? `${text} (${lineOf(source, [key])})` : `${text} (default)`;
}
