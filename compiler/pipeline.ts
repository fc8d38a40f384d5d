// The compiler's table of contents: the stages a model + config go through, in order. Read this file first.
//
//   import              model folder or ONNX file -> graph @forward (inputs input_ids, position_ids, labels with
//                       prefix_lm, parameters; output logits)
//   attention-lowering  how attention runs (fused kernel, or the unfused reference), from attn_implementation
//   packing-masks       fused attention over packed documents reads each position's document range, not ids
//   train-step          forward + loss -> autodiff -> module {@micro_step, @optimizer_step[, @eval_step]} (ir/train-step.ts)
//   cse                 merge identical nodes (autodiff repeats transposes, casts and constants)
//   dce                 drop nodes no output needs
//   remat               recompute cheap activations in the backward instead of keeping them (after cse, which would undo it)
//
// Invariants: every stage's module verifies; stage names are the names `trainc ir --after` accepts; forward passes
// run before autodiff (what they leave is what gets differentiated), graph passes on every graph of the train step.

import type { Graph, Module } from "../ir/graph.ts";
import { buildGradsGraph, buildTrainStep, type TrainStepOptions } from "../ir/train-step.ts";
import { verifyModule } from "../ir/verify.ts";
import { attentionLowering } from "../passes/attention-lowering.ts";
import { cse } from "../passes/cse.ts";
import { dce } from "../passes/dce.ts";
import { packingMasks } from "../passes/packing-masks.ts";
import { DEFAULT_PASS_OPTIONS, type Pass, type PassOptions } from "../passes/pass.ts";
import { remat } from "../passes/remat.ts";

/** The passes run on the forward graph, before train-step, in order. */
export const FORWARD_PASSES: readonly Pass[] = [
  attentionLowering, // before autodiff: the unfused form is differentiated op by op
  packingMasks, // after attention-lowering: only the fused kernels read ranges
];

/** The passes run on every graph of the train-step module, in order. */
export const GRAPH_PASSES: readonly Pass[] = [
  cse, // autodiff and the optimizer repeat transposes, casts and constants
  dce, // remove what the rewrites above left unused
  remat, // last: cse would merge its copies back
];

const passDoc = (p: Pass) => ({ name: p.name, summary: `${p.summary} ${p.description}` });

/** Every stage, in pipeline order: its name (what `trainc ir --after` accepts, besides `all`) and what it does. */
export const STAGE_DOCS: readonly { readonly name: string; readonly summary: string }[] = [
  { name: "import", summary: "Model folder or ONNX file -> graph @forward (input_ids, position_ids, labels with prefix_lm, parameters -> logits)." },
  ...FORWARD_PASSES.map(passDoc),
  { name: "train-step", summary: "Forward + loss -> autodiff -> module {@micro_step, @optimizer_step, and @eval_step with a validation split} (ir/train-step.ts)." },
  ...GRAPH_PASSES.map(passDoc),
];

export const STAGES: readonly string[] = STAGE_DOCS.map((s) => s.name);

export interface Stage {
  readonly name: string;
  readonly module: Module;
}

/** Runs `passes` over every graph of `module`, verifying after each and calling `onStage` with the result. */
function runPasses(passes: readonly Pass[], module: Module, options: PassOptions, onStage: (stage: Stage) => void): Module {
  let current = module;
  for (const pass of passes) {
    current = { graphs: current.graphs.map((g) => pass.run(g, options)) };
    verifyModule(current);
    onStage({ name: pass.name, module: current });
  }
  return current;
}

/** Runs FORWARD_PASSES over a forward graph; returns the graph they leave. */
export function runForwardPasses(forward: Graph, options: PassOptions = DEFAULT_PASS_OPTIONS,
  onStage: (stage: Stage) => void = () => {}): Graph {
  return runPasses(FORWARD_PASSES, { graphs: [forward] }, options, onStage).graphs[0]!;
}

/** Runs GRAPH_PASSES over every graph of `module`, verifying after each and calling `onStage` with the result. */
export function runGraphPasses(module: Module, options: PassOptions = DEFAULT_PASS_OPTIONS,
  onStage: (stage: Stage) => void = () => {}): Module {
  return runPasses(GRAPH_PASSES, module, options, onStage);
}

/**
 * Lowers a forward graph to the train-step module, calling `onStage` after each stage (import included) with the
 * module at that point. Returns the final module.
 */
export function lowerTrainStep(forward: Graph, options: TrainStepOptions, passes: PassOptions = DEFAULT_PASS_OPTIONS,
  onStage: (stage: Stage) => void = () => {}): Module {
  const imported: Module = { graphs: [forward] };
  verifyModule(imported);
  onStage({ name: "import", module: imported });
  const module = buildTrainStep(runForwardPasses(forward, passes, onStage), options);
  verifyModule(module);
  onStage({ name: "train-step", module });
  return runGraphPasses(module, passes, onStage);
}

/** The graph `trainc grads` runs (ir/train-step.ts buildGradsGraph), built from the forward passes' result, after every graph pass. */
export function lowerGrads(forward: Graph, trainable: readonly string[], passes: PassOptions = DEFAULT_PASS_OPTIONS): Graph {
  return runGraphPasses({ graphs: [buildGradsGraph(runForwardPasses(forward, passes), trainable)] }, passes).graphs[0]!;
}
