// The lowered and specialized train step of a model folder, as the backend tests use it: one set of optimizer
// settings (AdamW with weight decay, a cosine schedule, clipping) so every test builds the same kind of step.
import { join } from "node:path";
import { loadModel, type LoadedModel } from "../../compiler/import/hf/load.ts";
import type { ForwardOptions } from "../../compiler/import/hf/forward.ts";
import { lowerTrainStep } from "../../compiler/pipeline.ts";
import { specializeModule } from "../../backends/schedule/specialize.ts";
import type { Module } from "../../ir/graph.ts";
import type { TrainStepOptions } from "../../ir/train-step.ts";

/** The Hugging Face fixture folders (test/fixtures/hf/<case>). */
export const HF_FIXTURES = join(import.meta.dirname, "../fixtures/hf");

/** Optimizer settings of the tests' train steps (trainable: every parameter). */
export const TEST_OPTIMIZER: Omit<TrainStepOptions, "trainable"> = {
  adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
  schedule: { schedule: "cosine", lr: 1e-3, warmupSteps: 2, totalSteps: 10 },
  maxGradNorm: 1,
};

/** The model in folder `dir` (in `precision`) and its train-step module, specialized to `sizes`. */
export function specializedTrainStep(dir: string, precision: ForwardOptions, sizes = { B: 2, T: 8 },
  optimizer: Omit<TrainStepOptions, "trainable"> = TEST_OPTIMIZER): { model: LoadedModel; module: Module } {
  const model = loadModel(dir, precision);
  const module = specializeModule(lowerTrainStep(model.forward, { ...optimizer, trainable: Object.keys(model.parameters) }), sizes);
  return { model, module };
}
