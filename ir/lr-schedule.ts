// The meaning of the lr_schedule op: Hugging Face's learning-rate schedulers as a pure function of the number of
// completed optimizer steps (0 for the first update), so the schedule lives inside the optimizer graph.
// Invariant: identical to transformers' get_constant_schedule_with_warmup / get_linear_schedule_with_warmup /
// get_cosine_schedule_with_warmup (num_cycles 0.5) multipliers times the peak lr (LambdaLR: lr * multiplier, the
// multiplier computed first, so the double-precision result matches HF's bit for bit).

export const LR_SCHEDULES = ["constant", "linear", "cosine"] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

export interface LrScheduleParams {
  readonly schedule: LrSchedule;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
}

/** Learning rate used by the update that follows `step` completed steps. */
export function learningRate(p: LrScheduleParams, step: number): number {
  if (step < p.warmupSteps) return p.lr * (step / Math.max(1, p.warmupSteps));
  const remaining = Math.max(1, p.totalSteps - p.warmupSteps);
  switch (p.schedule) {
    case "constant":
      return p.lr;
    case "linear":
      return p.lr * Math.max(0, (p.totalSteps - step) / remaining);
    case "cosine": {
      const progress = (step - p.warmupSteps) / remaining;
      return p.lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}
