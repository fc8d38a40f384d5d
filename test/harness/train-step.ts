// The lowered and specialized train step of a model folder, as the backend tests use it: one set of optimizer
// settings (AdamW with weight decay, a cosine schedule, clipping) so every test builds the same kind of step.
import { join } from "node:path";
import { loadModel, type LoadedModel } from "../../compiler/import/hf/load.ts";
import type { ForwardOptions } from "../../compiler/import/hf/forward.ts";
import { lowerTrainStep } from "../../compiler/pipeline.ts";
import { specializeModule } from "../../backends/schedule/specialize.ts";
import type { Graph, Module } from "../../ir/graph.ts";
import type { Tensor } from "../../ir/tensor.ts";
import { randomInputs } from "./random.ts";
import type { TrainStepOptions } from "../../ir/train-step.ts";
import { DEFAULT_PASS_OPTIONS, type PassOptions } from "../../passes/pass.ts";

/** The Hugging Face fixture folders (test/fixtures/hf/<case>). */
export const HF_FIXTURES = join(import.meta.dirname, "../fixtures/hf");

/** Optimizer settings of the tests' train steps (trainable: every parameter). */
export const TEST_OPTIMIZER: Omit<TrainStepOptions, "trainable"> = {
  adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
  schedule: { schedule: "cosine", lr: 1e-3, warmupSteps: 2, totalSteps: 10 },
  maxGradNorm: 1,
};

/** The model in folder `dir` (in `precision`) and its train-step module (lowered with `passes`), specialized to `sizes`. */
export function specializedTrainStep(dir: string, precision: ForwardOptions, sizes = { B: 2, T: 8 },
  optimizer: Omit<TrainStepOptions, "trainable"> = TEST_OPTIMIZER, passes: PassOptions = DEFAULT_PASS_OPTIONS):
  { model: LoadedModel; module: Module } {
  const model = loadModel(dir, precision);
  const trainStep = lowerTrainStep(model.forward, { ...optimizer, trainable: Object.keys(model.parameters) }, passes);
  const module = specializeModule(trainStep, sizes);
  return { model, module };
}

/**
 * Random inputs for one graph of a train step that mean something: token ids and labels inside the vocabulary,
 * positions 0..7, step 3 and a token count of 11 (randomInputs alone would give ids in [0, 4) and a step of 0).
 */
export function trainStepInputs(graph: Graph, seed: number): Record<string, Tensor> {
  const inputs = randomInputs(graph, seed, {});
  if (inputs["input_ids"]) {
    const vocab = graph.types[graph.inputs.find((i) => i.name === "model.embed_tokens.weight")!.id]!.shape[0] as number;
    for (const key of ["input_ids", "labels"]) {
      inputs[key] = { ...inputs[key]!, data: inputs[key]!.data.map((x, i) => (i * 7 + x) % vocab) };
    }
    inputs["position_ids"] = { ...inputs["position_ids"]!, data: inputs["position_ids"]!.data.map((_, i) => i % 8) };
  }
  if (inputs["step"]) inputs["step"] = { ...inputs["step"], data: Float64Array.of(3) };
  if (inputs["token_count"]) inputs["token_count"] = { ...inputs["token_count"], data: Float64Array.of(11) };
  return inputs;
}
