// Public API of compiler/config: load an Axolotl-style YAML config into a validated TrainConfig, and the values
// derived from it. Other folders import from here only, so the files behind it can change freely.

export { attentionTraits, CANONICAL_ATTENTION, DEFAULT_ATTENTION, type AttentionTraits } from "./attention.ts";
export { CONFIG_ERRORS } from "./codes.ts";
export {
  ADAMW_OPTIMIZERS,
  LR_SCHEDULERS,
  lrSchedule,
  lrScheduleParams,
  optimizerSettings,
  totalSteps,
  trainDType,
  warmupSteps,
  type AdamWSettings,
  type DTypeTarget,
} from "./derived.ts";
export { loadConfig, parseConfig, type LoadedConfig } from "./load.ts";
export { NOT_SUPPORTED_YET, type PlannedFeature } from "./not-supported.ts";
export { resolveConfigPath, type ResolvedPath } from "./paths.ts";
export type { TrainConfig } from "./schema.ts";
