// Attention backend selection: the legacy boolean flags (flash_attention, sdp_attention, …) and attn_implementation,
// normalized to one canonical attn_implementation as Axolotl v0.17+ does (axolotl-config.md §2, Axolotl's
// S/config.py::normalize_attn_implementation / validate_attn_implementation).
// Deliberate difference: Axolotl picks one of several legacy flags by a silent priority order; trainc requires
// exactly one and names the others. Invariant: the result is a canonical name or a hub path containing "/", never an
// alias; with nothing set it is "sdpa" (what Axolotl's rules see) and the lowering is trainc's fused kernel, "flash":
// torch's sdpa is itself a fused kernel, while trainc's `sdpa` lowering is the unfused reference.

import type { AttentionLowering } from "../../passes/pass.ts";
import { didYouMean, fail } from "../diagnostics.ts";
import { CONFIG_ERRORS } from "./codes.ts";
import { bool } from "./kinds.ts";
import { lineOf, where, type ConfigSource } from "./source.ts";

/** The attn_implementation names Axolotl v0.18 accepts (besides hub-kernel paths containing "/"). */
export const CANONICAL_ATTENTION = [
  "eager",
  "sdpa",
  "flash_attention_2",
  "flash_attention_3",
  "flex_attention",
  "xformers",
  "sage",
  "fp8",
] as const;

/** Used when neither attn_implementation nor a legacy flag is set (transformers' own default). */
export const DEFAULT_ATTENTION = "sdpa";

/** Legacy flag → canonical name, in Axolotl's priority order. */
const LEGACY_ATTENTION_FLAGS = {
  xformers_attention: "xformers",
  sage_attention: "sage",
  flex_attention: "flex_attention",
  flash_attention: "flash_attention_2",
  sdp_attention: "sdpa",
  eager_attention: "eager",
} as const;

type LegacyFlag = keyof typeof LEGACY_ATTENTION_FLAGS;

const SHORT_ALIASES: Readonly<Record<string, string>> = { flash: "flash_attention_2", flex: "flex_attention", sdp: "sdpa" };

const optionalBool = () => bool().optional();

/** Schema entries for the legacy flags (booleans, stripped from the TrainConfig after normalization). */
export const LEGACY_ATTENTION_SHAPE = Object.fromEntries(
  Object.keys(LEGACY_ATTENTION_FLAGS).map((flag) => [flag, optionalBool()]),
) as Record<LegacyFlag, ReturnType<typeof optionalBool>>;

const LOWERINGS: Readonly<Record<string, AttentionLowering>> = {
  flash_attention_2: "flash", flash_attention_3: "flash", flex_attention: "flex", xformers: "xformers", sdpa: "sdpa", eager: "eager",
};

export type { AttentionLowering } from "../../passes/pass.ts";

/** The lowering of a canonical attn_implementation (`chosen` false: nothing was set, so trainc's default, flash). */
export function loweringOf(name: string, chosen: boolean): AttentionLowering {
  if (!chosen) return "flash";
  return LOWERINGS[name] ?? "flash";
}

/**
 * The canonical attn_implementation of a type-checked config, whether the config chose it, and a deprecation
 * warning for a legacy flag.
 */
export function normalizeAttention(source: ConfigSource): { name: string; chosen: boolean; warning?: string } {
  const flags = (Object.keys(LEGACY_ATTENTION_FLAGS) as LegacyFlag[]).filter((flag) => source.data[flag] === true);
  const explicit = source.data.attn_implementation as string | undefined;
  if (flags.length > 1) {
    const named = flags.map((flag) => `${flag} (${lineOf(source, [flag])})`).join(" and ");
    fail(
      CONFIG_ERRORS.ATTENTION_TWO_FLAGS,
      `${where(source, [flags[1]!])}: ${named} are set together; trainc needs exactly one attention backend`,
      `keep one of ${flags.join(", ")} (or replace them with one \`attn_implementation:\` line)`,
    );
  }
  const flag = flags[0];
  if (explicit !== undefined && flag !== undefined) {
    const explicitAt = lineOf(source, ["attn_implementation"]);
    fail(
      CONFIG_ERRORS.ATTENTION_MIXED,
      `${where(source, [flag])}: attn_implementation: ${explicit} (${explicitAt}) cannot be combined with the legacy ` +
        `flag ${flag}: true`,
      `remove ${flag}; attn_implementation alone selects the backend`,
    );
  }
  if (explicit !== undefined) return { name: checkName(source, explicit), chosen: true };
  if (flag === undefined) return { name: DEFAULT_ATTENTION, chosen: false };
  const name = LEGACY_ATTENTION_FLAGS[flag];
  const warning = `${where(source, [flag])}: ${flag}: true is deprecated in Axolotl; write attn_implementation: ${name} instead`;
  return { name, chosen: true, warning };
}

/** Accepts canonical names and hub-kernel paths; rejects short aliases and unknown names (E1009). */
function checkName(source: ConfigSource, value: string): string {
  if ((CANONICAL_ATTENTION as readonly string[]).includes(value) || value.includes("/")) return value;
  const at = where(source, ["attn_implementation"]);
  const alias = SHORT_ALIASES[value];
  if (alias !== undefined) {
    fail(
      CONFIG_ERRORS.ATTENTION_NAME,
      `${at}: attn_implementation: ${value} is a short alias that Axolotl no longer accepts`,
      `write attn_implementation: ${alias}`,
    );
  }
  const guess = didYouMean(value, CANONICAL_ATTENTION);
  fail(
    CONFIG_ERRORS.ATTENTION_NAME,
    `${at}: attn_implementation: ${value} is not a known attention backend${guess === undefined ? "" : ` (did you mean ${guess}?)`}`,
    `use one of ${CANONICAL_ATTENTION.join(", ")}, or a hub kernel path containing "/"`,
  );
}

/** What a backend implies for packed batches (axolotl-config.md §2, "Computed flags"). */
export interface AttentionTraits {
  /** Varlen attention driven by position_ids: packed rows need no 4D mask, micro_batch_size multiplies row length. */
  readonly supportsPacking: boolean;
  /** Needs the flash-attn library in Axolotl (context parallelism requires it). */
  readonly usesFlashLib: boolean;
}

const FLASH_LIB_BACKENDS = new Set([
  "flash_attention_2",
  "flash_attention_3",
  "kernels-community/flash-attn2",
  "kernels-community/flash-attn3",
]);
const PACKING_BACKENDS = new Set([
  ...FLASH_LIB_BACKENDS,
  "flex_attention",
  "xformers",
  "sage",
  "kernels-community/sage-attention",
]);

/** The traits of a canonical attn_implementation. */
export function attentionTraits(name: string): AttentionTraits {
  return { supportsPacking: PACKING_BACKENDS.has(name), usesFlashLib: FLASH_LIB_BACKENDS.has(name) };
}
