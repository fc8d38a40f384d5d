// A training plan: everything trainc derives from a config before a step runs — the target and dtype, the imported
// model, tokenizer and datasets, the step count and schedule, and the lowered train-step module (through every
// stage in compiler/pipeline.ts). `trainc ir`, `trainc compile` and `trainc train` all start here.
// The tokenizer and datasets are read on first use: lowering needs them only to count steps when max_steps is unset,
// so compiling a config with max_steps reads neither (its dataset files need not exist until `trainc train`).
// Invariant: building a plan reads files but writes nothing; every failure is a TraincError naming its cause.
//
// Error codes defined here:
//   2002  the model is an ONNX file: its initializers carry no trainable/frozen flag, so trainc cannot train it yet

import { optimizerSettings, lrScheduleParams, totalSteps, trainPrecision, describePrecision, type Precision } from "./config/derived.ts";
import type { TrainConfig } from "./config/index.ts";
import type { Batch, EpochBatch } from "./data/batches.ts";
import { configSplit } from "./data/split.ts";
import type { TokenizedRow } from "./data/types.ts";
import type { LoadedDataset } from "./data/dataset.ts";
import { batchesInEpoch, batchLayout, evalBatches, trainBatches, type BatchLayout } from "./data/stream.ts";
import { fail } from "./diagnostics.ts";
import type { HfTokenizer } from "./import/tokenizer.ts";
import { configDatasets, configPath, configTokenizer, importModel, readConfig, type ImportedModel } from "./commands/inputs.ts";
import { lowerTrainStep, type Stage } from "./pipeline.ts";
import type { TargetInfo } from "./targets.ts";
import type { Module } from "../ir/graph.ts";
import { initialScaler, type TrainStepOptions } from "../ir/train-step.ts";

/** The first half of a plan: the config, where it runs, and the imported model. */
export interface Imported {
  readonly config: TrainConfig;
  readonly target: TargetInfo;
  readonly precision: Precision;
  readonly model: ImportedModel;
}

export interface Plan extends Imported {
  /** The config's tokenizer, read on first access. */
  readonly tokenizer: HfTokenizer;
  /** The config's datasets, tokenized on first access (at planning time when max_steps is unset): the training rows,
   * with the counts of all rows read. */
  readonly dataset: LoadedDataset;
  /** The rows held out for evaluation (val_set_size; none when it is 0). */
  readonly evalRows: readonly TokenizedRow[];
  /** The shape of a micro batch: rows x length, packed or not (compiler/data/stream.ts). */
  readonly layout: BatchLayout;
  /** Optimizer steps in the run. */
  readonly totalSteps: number;
  readonly options: TrainStepOptions;
  /** The train-step module after the last stage. */
  readonly module: Module;
}

export interface PlanOptions {
  /** Overrides the config's max_steps. */
  readonly maxSteps?: number;
  /** Called with the module after each pipeline stage. */
  readonly onStage?: (stage: Stage) => void;
  /** Progress notes for the user ("tokenizing datasets"). */
  readonly note?: (message: string) => void;
}

/** Reads the config and imports the model it names, in the dtype the config and target call for. */
export function importFromConfig(configFile: string, target: TargetInfo, note: (message: string) => void = () => {}): Imported {
  const config = readConfig(configFile);
  const precision = trainPrecision(config, target);
  const modelPath = configPath(config, "base_model", config.base_model);
  note(`importing ${modelPath} (${describePrecision(precision)})`);
  return { config, target, precision, model: importModel(modelPath, { precision, prefixLm: config.prefix_lm }, note) };
}

/** Counts the steps (reading the data only when max_steps is unset) and lowers the train step of an imported model. */
export function makePlan(imported: Imported, options: PlanOptions = {}): Plan {
  const { config, model } = imported;
  const note = options.note ?? (() => {});
  if (!model.hf) {
    fail(2002, `${model.path}: trainc cannot train ONNX models yet (ONNX initializers do not say which are weights)`,
      "train from the Hugging Face folder of the model; `trainc ir --after import` shows the imported ONNX graph");
  }
  let data: { readonly tokenizer: HfTokenizer; readonly dataset: LoadedDataset; readonly evalRows: readonly TokenizedRow[] } | undefined;
  const readData = () => {
    if (!data) {
      const tokenizer = configTokenizer(config);
      note("tokenizing datasets");
      const { dataset } = configDatasets(config, tokenizer, note);
      const split = configSplit(dataset.rows, config);
      if (split.eval.length > 0) note(`${split.eval.length} of ${dataset.rows.length} rows held out for evaluation (val_set_size ${config.val_set_size})`);
      data = { tokenizer, dataset: { ...dataset, rows: split.train }, evalRows: split.eval };
    }
    return data;
  };
  const layout = batchLayout(config);
  const maxSteps = options.maxSteps ?? config.max_steps;
  const steps = maxSteps ?? totalSteps(config, batchesInEpoch(readData().dataset.rows, layout));
  const trainStep = trainStepOptions(config, Object.keys(model.parameterTypes), steps, imported.precision);
  note("lowering the train step");
  const unbuilt = (config.attention_lowering === "xformers" || config.attention_lowering === "flex") &&
    imported.target.name !== "cuda";
  if (unbuilt) {
    note(`attn_implementation ${config.attn_implementation}: the ${config.attention_lowering} kernel is not built ` +
      `for the ${imported.target.name} target, so attention runs as trainc's fused flash kernel (same results; the ` +
      "lowering attribute records the choice)");
  } else if (config.attention_lowering === "xformers") {
    note(`attn_implementation ${config.attn_implementation}: attention runs xformers' memory-efficient kernels (its ` +
      "own tiling, never Hopper's wgmma): on an H200 about 0.6-0.8x the speed of flash_attention_2, with the same results");
  }
  const module = lowerTrainStep(model.forward, trainStep, { attention: config.attention_lowering }, options.onStage);
  return {
    ...imported, layout, totalSteps: steps, options: trainStep, module,
    get tokenizer() {
      return readData().tokenizer;
    },
    get dataset() {
      return readData().dataset;
    },
    get evalRows() {
      return readData().evalRows;
    },
  };
}

/** The train step's optimizer, schedule and clipping as the config (and Hugging Face's defaults) say; loss scaling for fp16. */
export function trainStepOptions(config: TrainConfig, trainable: readonly string[], steps: number,
  precision: Precision): TrainStepOptions {
  const adamw = optimizerSettings(config);
  return {
    trainable,
    adamw: { beta1: adamw.beta1, beta2: adamw.beta2, eps: adamw.eps, weightDecay: adamw.weightDecay },
    schedule: lrScheduleParams(config, steps),
    maxGradNorm: adamw.maxGradNorm,
    lossScaling: precision.compute === "f16",
    evaluation: config.val_set_size > 0 && config.eval_strategy !== "no",
  };
}

/** The fp16 loss scaler's state before the first step (ir/train-step initialScaler); none without loss scaling. */
export function scalerStart(plan: Plan): Record<string, number> {
  if (!plan.options.lossScaling) return {};
  const { rows, length } = plan.layout;
  return initialScaler(rows * length * plan.config.gradient_accumulation_steps);
}

/** The plan's micro batches, epoch after epoch (reads the datasets). */
export function planBatches(plan: Plan): Generator<EpochBatch> {
  return trainBatches(plan.dataset.rows, plan.layout, plan.tokenizer.special.pad, plan.config.seed);
}

/**
 * The held-out rows as eval batches: one pass in dataset order, the layout of training, packed unless
 * eval_sample_packing is false (compiler/data/stream.ts).
 */
export function planEvalBatches(plan: Plan): Batch[] {
  return evalBatches(plan.evalRows, plan.layout, plan.tokenizer.special.pad, plan.config.eval_sample_packing !== false);
}

/** The program's batch sizes: B rows of T tokens. */
export function batchSizes(plan: Pick<Plan, "layout">): { B: number; T: number } {
  return { B: plan.layout.rows, T: plan.layout.length };
}

/** Number of parameter elements (of parameters or just their types: only shapes count). */
export function countParameters(parameters: Readonly<Record<string, { readonly shape: readonly number[] }>>): number {
  return Object.values(parameters).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}
