// Values derived from a TrainConfig the way Axolotl and Hugging Face transformers derive them: step counts, warmup,
// the learning-rate schedule (as ir/lr-schedule.ts's schedules), the optimizer's settings and the training dtype.
// Pure functions of their arguments; they read only the keys named in their parameter types.
// Invariant: for a config that passed loadConfig these never throw, except trainDType for `bf16: true` on a target
// without bf16 (the target is only known here).

import { fail } from "../diagnostics.ts";
import type { DType } from "../../ir/dtype.ts";
import type { LrSchedule, LrScheduleParams } from "../../ir/lr-schedule.ts";
import { CONFIG_ERRORS } from "./codes.ts";
import type { TrainConfig } from "./schema.ts";

/** Hugging Face scheduler names trainc supports → ir/lr-schedule.ts schedule, and whether warmup applies. */
export const LR_SCHEDULERS: Readonly<Record<string, { readonly schedule: LrSchedule; readonly warmup: boolean }>> = {
  constant: { schedule: "constant", warmup: false },
  constant_with_warmup: { schedule: "constant", warmup: true },
  linear: { schedule: "linear", warmup: true },
  cosine: { schedule: "cosine", warmup: true },
};

/** Hugging Face optimizer names that are plain AdamW (decoupled weight decay, bias correction). */
export const ADAMW_OPTIMIZERS: readonly string[] = ["adamw_torch", "adamw_torch_fused", "adamw_hf"];

/**
 * Optimizer steps in the run: max_steps when set, else ceil(num_epochs × batchesPerEpoch / gradient_accumulation_steps).
 * `batchesPerEpoch` counts micro-batches.
 */
export function totalSteps(
  config: Pick<TrainConfig, "max_steps" | "num_epochs" | "gradient_accumulation_steps">,
  batchesPerEpoch: number,
): number {
  if (config.max_steps !== undefined) return config.max_steps;
  return Math.ceil((config.num_epochs * batchesPerEpoch) / config.gradient_accumulation_steps);
}

/**
 * Warmup steps exactly as Axolotl computes them when the step count is known, in
 * `TrainerBuilderBase._configure_warmup_and_logging` (src/axolotl/core/builders/base.py):
 *   warmup_steps set (even 0)   → warmup_steps
 *   else warmup_ratio set       → max(int(warmup_ratio × total), 0)   (int() truncates: floor, not ceil)
 *   else                        → min(int(0.03 × total), 100)
 *   and a result of exactly 1 becomes 2.
 * (Axolotl hands transformers a ratio only when the total is unknown; transformers then rounds up with ceil. trainc
 * always knows the total, so the truncating branch is the one that applies.)
 */
export function warmupSteps(config: Pick<TrainConfig, "warmup_steps" | "warmup_ratio">, total: number): number {
  let steps: number;
  if (config.warmup_steps !== undefined) steps = config.warmup_steps;
  else if (config.warmup_ratio !== undefined) steps = Math.max(Math.trunc(config.warmup_ratio * total), 0);
  else steps = Math.min(Math.trunc(0.03 * total), 100);
  return steps === 1 ? 2 : steps;
}

/** The schedule for `lr_scheduler` (E1011 for a scheduler trainc does not have). */
export function lrSchedule(config: Pick<TrainConfig, "lr_scheduler">): { schedule: LrSchedule; warmup: boolean } {
  const entry = LR_SCHEDULERS[config.lr_scheduler];
  if (entry === undefined) {
    fail(
      CONFIG_ERRORS.NOT_SUPPORTED_YET,
      `lr_scheduler: ${config.lr_scheduler} is not supported by trainc yet (planned)`,
      `use one of ${Object.keys(LR_SCHEDULERS).join(", ")}`,
    );
  }
  return entry;
}

/** Everything the lr_schedule op needs for a run of `total` optimizer steps. */
export function lrScheduleParams(
  config: Pick<TrainConfig, "lr_scheduler" | "learning_rate" | "warmup_steps" | "warmup_ratio">,
  total: number,
): LrScheduleParams {
  const { schedule, warmup } = lrSchedule(config);
  return { schedule, lr: config.learning_rate, warmupSteps: warmup ? warmupSteps(config, total) : 0, totalSteps: total };
}

/** AdamW's hyperparameters with Hugging Face's defaults where Axolotl leaves a key null. */
export interface AdamWSettings {
  readonly kind: "adamw";
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Gradient-norm clipping threshold; 0 turns clipping off (transformers clips only when it is > 0). */
  readonly maxGradNorm: number;
}

/** The optimizer for `optimizer` (E1011 for one that is not AdamW). */
export function optimizerSettings(
  config: Pick<
    TrainConfig,
    "optimizer" | "learning_rate" | "adam_beta1" | "adam_beta2" | "adam_epsilon" | "weight_decay" | "max_grad_norm"
  >,
): AdamWSettings {
  if (!ADAMW_OPTIMIZERS.includes(config.optimizer)) {
    fail(
      CONFIG_ERRORS.NOT_SUPPORTED_YET,
      `optimizer: ${config.optimizer} is not supported by trainc yet (planned)`,
      `use one of ${ADAMW_OPTIMIZERS.join(", ")}`,
    );
  }
  return {
    kind: "adamw",
    lr: config.learning_rate,
    beta1: config.adam_beta1 ?? 0.9,
    beta2: config.adam_beta2 ?? 0.999,
    eps: config.adam_epsilon ?? 1e-8,
    weightDecay: config.weight_decay,
    maxGradNorm: config.max_grad_norm ?? 1.0,
  };
}

/** What trainDType needs to know about the target. */
export interface DTypeTarget {
  readonly name: string;
  readonly bf16: boolean;
  /** fp16 training (f16 compute with loss scaling). */
  readonly f16: boolean;
}

/**
 * The training dtype, after Axolotl's `resolve_dtype` (src/axolotl/utils/config/__init__.py): `bf16: true` → bf16
 * (and fp16 is forced off); `bf16: auto` without fp16 → bf16 where the target has it; `fp16: true` → f16 (trained with
 * dynamic loss scaling, ir/train-step/loss-scale.ts) where the target has it; else f32. One deliberate difference:
 * where `bf16: auto` finds no bf16, Axolotl switches fp16 on; trainc uses f32 (so `auto` on the cpu and wgsl targets
 * means f32), so that a config never turns to fp16 on its own.
 */
export function trainDType(config: Pick<TrainConfig, "bf16" | "fp16">, target: DTypeTarget): Extract<DType, "bf16" | "f16" | "f32"> {
  if (config.bf16 === true) {
    if (!target.bf16) {
      fail(
        CONFIG_ERRORS.BF16_UNAVAILABLE,
        `bf16: true, but the ${target.name} target has no bf16`,
        "set bf16: auto (bf16 where the target has it, f32 elsewhere) or bf16: false",
      );
    }
    return "bf16";
  }
  if (config.fp16 === true) {
    if (!target.f16) {
      fail(CONFIG_ERRORS.FP16_UNAVAILABLE, `fp16: true, but the ${target.name} target does not train in f16 yet`,
        "set bf16: true (bf16 mixed precision) on this target, or train fp16 on --target cuda, wgsl or cpu");
    }
    return "f16";
  }
  return config.bf16 === "auto" && target.bf16 ? "bf16" : "f32";
}

/** A training run's precision: the dtype of activations and arithmetic, and the dtype parameters are kept in. */
export interface Precision {
  readonly compute: DType;
  readonly parameters: DType;
}

/**
 * Mixed precision for `bf16: true` (and fp16): half-precision compute with f32 master weights, so gradients
 * accumulate and AdamW updates in f32 (what PyTorch AMP does over an f32 model); an f32 run computes in f32 too.
 */
export function trainPrecision(config: Pick<TrainConfig, "bf16" | "fp16">, target: DTypeTarget): Precision {
  return { compute: trainDType(config, target), parameters: "f32" };
}

/** "bf16 compute, f32 parameters", or just "f32" when both are one dtype. */
export function describePrecision(p: Precision): string {
  return p.compute === p.parameters ? p.compute : `${p.compute} compute, ${p.parameters} parameters`;
}
