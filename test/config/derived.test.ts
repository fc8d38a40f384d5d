// Derived values: step counts, warmup (Axolotl's _configure_warmup_and_logging), the scheduler and optimizer
// mappings with Hugging Face's defaults, and the training dtype per target.

import { describe, expect, it } from "vitest";
import {
  CONFIG_ERRORS,
  lrSchedule,
  lrScheduleParams,
  optimizerSettings,
  totalSteps,
  trainDType,
  warmupSteps,
} from "../../compiler/config/index.ts";
import { learningRate } from "../../ir/lr-schedule.ts";
import { parse, withLines } from "./helpers.ts";

const CPU = { name: "cpu", bf16: false, f16: true };
const CUDA = { name: "cuda", bf16: true, f16: true };
const HIP = { name: "hip", bf16: true, f16: false };

describe("totalSteps", () => {
  it("uses max_steps when set", () => {
    expect(totalSteps({ max_steps: 50, num_epochs: 3, gradient_accumulation_steps: 4 }, 1000)).toBe(50);
  });

  it("is ceil(num_epochs × batches per epoch / gradient_accumulation_steps)", () => {
    expect(totalSteps({ num_epochs: 1, gradient_accumulation_steps: 4 }, 10)).toBe(3);
    expect(totalSteps({ num_epochs: 2, gradient_accumulation_steps: 4 }, 10)).toBe(5);
    expect(totalSteps({ num_epochs: 0.5, gradient_accumulation_steps: 1 }, 7)).toBe(4);
  });
});

describe("warmupSteps (Axolotl's TrainerBuilderBase._configure_warmup_and_logging)", () => {
  it("uses warmup_steps as written, 0 included", () => {
    expect(warmupSteps({ warmup_steps: 10 }, 1000)).toBe(10);
    expect(warmupSteps({ warmup_steps: 0 }, 1000)).toBe(0);
  });

  it("truncates warmup_ratio × total (Python int(), not ceil)", () => {
    expect(warmupSteps({ warmup_ratio: 0.1 }, 1000)).toBe(100);
    expect(warmupSteps({ warmup_ratio: 0.1 }, 95)).toBe(9);
    expect(warmupSteps({ warmup_ratio: 0.05 }, 59)).toBe(2);
    expect(warmupSteps({ warmup_ratio: 0 }, 1000)).toBe(0);
  });

  it("defaults to min(int(0.03 × total), 100)", () => {
    expect(warmupSteps({}, 1000)).toBe(30);
    expect(warmupSteps({}, 5000)).toBe(100);
    expect(warmupSteps({}, 10)).toBe(0);
  });

  it("turns a result of exactly 1 into 2, whichever branch produced it", () => {
    expect(warmupSteps({ warmup_steps: 1 }, 1000)).toBe(2);
    expect(warmupSteps({ warmup_ratio: 0.01 }, 150)).toBe(2);
    expect(warmupSteps({}, 40)).toBe(2);
  });

  it("reads warmup from a parsed config", () => {
    expect(warmupSteps(parse(withLines("warmup_ratio: 0.1")).config, 200)).toBe(20);
  });
});

describe("learning-rate schedule", () => {
  it.each([
    ["constant", "constant", false],
    ["constant_with_warmup", "constant", true],
    ["linear", "linear", true],
    ["cosine", "cosine", true],
  ] as const)("maps %s to %s (warmup: %s)", (name, schedule, warmup) => {
    expect(lrSchedule({ lr_scheduler: name })).toEqual({ schedule, warmup });
  });

  it("rejects other Hugging Face schedulers as not supported yet", () => {
    expect(() => lrSchedule({ lr_scheduler: "cosine_with_restarts" })).toThrow(
      expect.objectContaining({ code: CONFIG_ERRORS.NOT_SUPPORTED_YET, message: expect.stringContaining("cosine_with_restarts") }),
    );
  });

  it("gives the lr_schedule op its parameters: no warmup for constant, Axolotl's warmup otherwise", () => {
    expect(lrScheduleParams({ lr_scheduler: "constant", learning_rate: 1e-4, warmup_steps: 10 }, 100)).toEqual({
      schedule: "constant",
      lr: 1e-4,
      warmupSteps: 0,
      totalSteps: 100,
    });
    const cosine = lrScheduleParams(parse(withLines()).config, 1000);
    expect(cosine).toEqual({ schedule: "cosine", lr: 2e-5, warmupSteps: 30, totalSteps: 1000 });
    expect(learningRate(cosine, 30)).toBeCloseTo(2e-5, 12);
  });
});

describe("optimizerSettings", () => {
  it("fills Hugging Face's AdamW defaults where Axolotl leaves keys null", () => {
    expect(optimizerSettings(parse(withLines()).config)).toEqual({
      kind: "adamw",
      lr: 2e-5,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1.0,
    });
  });

  it("uses the values written in the config, 0 included", () => {
    const { config } = parse(withLines("adam_beta1: 0", "adam_beta2: 0.95", "adam_epsilon: 1e-6", "weight_decay: 0.1", "max_grad_norm: 0", "optimizer: adamw_torch"));
    expect(optimizerSettings(config)).toMatchObject({ beta1: 0, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, maxGradNorm: 0 });
  });

  it("rejects an optimizer that is not AdamW as not supported yet", () => {
    expect(() => optimizerSettings({ ...parse(withLines()).config, optimizer: "lion_32bit" })).toThrow(
      expect.objectContaining({ code: CONFIG_ERRORS.NOT_SUPPORTED_YET, message: expect.stringContaining("lion_32bit") }),
    );
  });
});

describe("trainDType", () => {
  it("resolves bf16: auto by the target: bf16 on a GPU, f32 on the cpu target", () => {
    expect(trainDType({ bf16: "auto" }, CUDA)).toBe("bf16");
    expect(trainDType({ bf16: "auto" }, CPU)).toBe("f32");
  });

  it("uses bf16 for bf16: true, even with fp16: true (Axolotl turns fp16 off)", () => {
    expect(trainDType({ bf16: true }, CUDA)).toBe("bf16");
    expect(trainDType({ bf16: true, fp16: true }, CUDA)).toBe("bf16");
  });

  it("fails for bf16: true on a target without bf16, naming the target (E1012)", () => {
    expect(() => trainDType({ bf16: true }, CPU)).toThrow(
      expect.objectContaining({ code: CONFIG_ERRORS.BF16_UNAVAILABLE, message: expect.stringContaining("cpu target") }),
    );
  });

  it("uses f16 for fp16: true unless bf16 is true, where the target trains in f16 (E1013 elsewhere)", () => {
    expect(trainDType({ bf16: "auto", fp16: true }, CPU)).toBe("f16");
    expect(trainDType({ bf16: false, fp16: true }, CPU)).toBe("f16");
    expect(trainDType({ bf16: false, fp16: true }, CUDA)).toBe("f16");
    expect(() => trainDType({ bf16: false, fp16: true }, HIP)).toThrow(
      expect.objectContaining({ code: CONFIG_ERRORS.FP16_UNAVAILABLE, message: expect.stringContaining("hip target") }),
    );
  });

  it("uses f32 for bf16: false", () => {
    expect(trainDType({ bf16: false }, CUDA)).toBe("f32");
  });
});
