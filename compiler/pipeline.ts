// The compiler's table of contents: the stages a model + config go through, in order. Read this file first.
//
//   import      model folder or ONNX file -> graph @forward (inputs input_ids, position_ids, parameters; output logits)
//   train-step  forward + loss -> autodiff -> module {@micro_step, @optimizer_step} (ir/train-step.ts)
//   cse         merge identical nodes (autodiff repeats transposes, casts and constants)
//   dce         drop nodes no output needs
//   remat       recompute cheap activations in the backward instead of keeping them (after cse, which would undo it)
//
// Invariants: every stage's module verifies; stage names are the names `trainc ir --after` accepts.

import type { Graph, Module } from "../ir/graph.ts";
import { buildTrainStep, type TrainStepOptions } from "../ir/train-step.ts";
import { verifyModule } from "../ir/verify.ts";
import { cse } from "../passes/cse.ts";
import { dce } from "../passes/dce.ts";
import type { Pass } from "../passes/pass.ts";
import { remat } from "../passes/remat.ts";

/** The passes run on every graph of the train-step module, in order. */
export const GRAPH_PASSES: readonly Pass[] = [
  cse, // autodiff and the optimizer repeat transposes, casts and constants
  dce, // remove what the rewrites above left unused
  remat, // last: cse would merge its copies back
];

/** Every stage, in pipeline order: its name (what `trainc ir --after` accepts, besides `all`) and what it does. */
export const STAGE_DOCS: readonly { readonly name: string; readonly summary: string }[] = [
  { name: "import", summary: "Model folder or ONNX file -> graph @forward (input_ids, position_ids, parameters -> logits)." },
  { name: "train-step", summary: "Forward + loss -> autodiff -> module {@micro_step, @optimizer_step} (ir/train-step.ts)." },
  ...GRAPH_PASSES.map((p) => ({ name: p.name, summary: `${p.summary} ${p.description}` })),
];

export const STAGES: readonly string[] = STAGE_DOCS.map((s) => s.name);

export interface Stage {
  readonly name: string;
  readonly module: Module;
}

/** Runs GRAPH_PASSES over every graph of `module`, verifying after each and calling `onStage` with the result. */
export function runGraphPasses(module: Module, onStage: (stage: Stage) => void = () => {}): Module {
  let current = module;
  for (const pass of GRAPH_PASSES) {
    current = { graphs: current.graphs.map((g) => pass.run(g)) };
    verifyModule(current);
    onStage({ name: pass.name, module: current });
  }
  return current;
}

/**
 * Lowers a forward graph to the train-step module, calling `onStage` after each stage (import included) with the
 * module at that point. Returns the final module.
 */
export function lowerTrainStep(forward: Graph, options: TrainStepOptions, onStage: (stage: Stage) => void = () => {}): Module {
  const imported: Module = { graphs: [forward] };
  verifyModule(imported);
  onStage({ name: "import", module: imported });
  const module = buildTrainStep(forward, options);
  verifyModule(module);
  onStage({ name: "train-step", module });
  return runGraphPasses(module, onStage);
}
