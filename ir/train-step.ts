// The meaning of one training step, as Axolotl + the Hugging Face Trainer define it, built from a forward graph
// (inputs input_ids, position_ids, optionally labels (prefix_lm reads the prompts from them), and the parameters;
// output logits [B,T,V]):
//   buildGradsGraph -> one graph: loss (mean next-token cross-entropy), logits and grad.<name> (what `trainc grads` runs)
//   buildTrainStep  -> a module of two graphs: micro_step (accumulate gradients of the summed loss) and
//                      optimizer_step (normalise by the total token count, clip, AdamW; ir/train-step/optimizer.ts);
//                      with loss scaling (fp16), of the summed loss times loss_scale (ir/train-step/loss-scale.ts);
//                      with evaluation, a third graph eval_step (the summed loss and its token count, no gradients)
// Invariants: the loss rule lives in ir/train-step/loss.ts and the weight-decay rule in decaysWeight; gradients are
// taken by ir/autodiff.ts; accumulators and optimizer state have their parameter's dtype and shape.
//
// Error codes defined here:
//   4111  the forward graph lacks input_ids or position_ids
//   4112  the forward graph has no float output `logits` of rank 3
//   4113  a trainable name is not a parameter input of the forward graph
//   4114  the train step has no trainable parameters
//   4115  max_grad_norm is negative

import { GRAD_PREFIX, differentiate } from "./autodiff.ts";
import { GraphBuilder, type Value } from "./builder.ts";
import { fail } from "../compiler/diagnostics.ts";
import { isFloat } from "./dtype.ts";
import type { Graph, Module, TensorType } from "./graph.ts";
import { describe } from "./ops/spec.ts";
import { causalLmLoss } from "./train-step/loss.ts";
import { SCALER_STATE } from "./train-step/loss-scale.ts";
import { buildOptimizerStep, stateName, type OptimizerOptions, type Param } from "./train-step/optimizer.ts";

export { IGNORE_INDEX, causalLmLoss, nextTokenTargets, type CausalLmLoss } from "./train-step/loss.ts";
export { decaysWeight, stateName, type AdamWOptions, type OptimizerOptions } from "./train-step/optimizer.ts";
export { SCALER_STATE, initialScaler } from "./train-step/loss-scale.ts";

/** Inputs every forward graph has that are batch data, not parameters. */
const BATCH_INPUTS = ["input_ids", "position_ids"] as const;

/** Batch inputs a forward graph may also take (labels: prefix-LM attention reads the prompt from them). */
const OPTIONAL_BATCH_INPUTS = ["labels"] as const;

/** Everything buildTrainStep needs besides the forward graph. */
export interface TrainStepOptions extends OptimizerOptions {
  /** Names of the parameters to train (forward inputs); the others stay frozen. */
  readonly trainable: readonly string[];
  /** Add @eval_step (a held-out split is evaluated during training). */
  readonly evaluation?: boolean;
}

/**
 * The graph `trainc grads` runs: inputs input_ids, labels, position_ids and the forward's parameters; outputs `loss`
 * (lossSum / tokenCount), `logits`, and `grad.<name>` (gradient of the mean loss) for each trainable parameter.
 */
export function buildGradsGraph(forward: Graph, trainable: readonly string[]): Graph {
  checkTrainable(forward, trainable);
  const b = new GraphBuilder("grads");
  const { logits, lossSum, tokenCount } = forwardWithLoss(b, forward);
  b.output("loss", b.op("div", [lossSum, b.op("cast", [tokenCount], { dtype: lossSum.type.dtype })]));
  b.output("logits", logits);
  return differentiate(b.build(), { loss: "loss", wrt: trainable });
}

/** The train-step module: graphs `micro_step`, `optimizer_step` and, with evaluation, `eval_step` (see each builder). */
export function buildTrainStep(forward: Graph, options: TrainStepOptions): Module {
  const params = checkTrainable(forward, options.trainable);
  if (params.length === 0) {
    fail(4114, "the train step has no trainable parameters", "list at least one parameter to train");
  }
  if ((options.maxGradNorm ?? 0) < 0) {
    fail(4115, `max_grad_norm is ${options.maxGradNorm}; it must be >= 0`, "set max_grad_norm to a positive value, or 0 to disable clipping");
  }
  const step = [buildMicroStep(forward, params, options.lossScaling ?? false), buildOptimizerStep(params, options)];
  return { graphs: options.evaluation === true ? [...step, buildEvalStep(forward)] : step };
}

/** eval_step: inputs input_ids, labels, position_ids and the parameters; outputs loss_sum and token_count. */
function buildEvalStep(forward: Graph): Graph {
  const b = new GraphBuilder("eval_step");
  const { lossSum, tokenCount } = forwardWithLoss(b, forward);
  b.output("loss_sum", lossSum);
  b.output("token_count", tokenCount);
  return b.build();
}

/**
 * micro_step: inputs input_ids, labels, position_ids, the parameters (and loss_scale with loss scaling) and
 * acc.<name>; outputs loss_sum, token_count and acc.<name> + d loss_sum / d <name> (times loss_scale).
 */
function buildMicroStep(forward: Graph, params: readonly Param[], lossScaling: boolean): Graph {
  const lossBuilder = new GraphBuilder("micro_step");
  const { lossSum, tokenCount, scale } = forwardWithLoss(lossBuilder, forward, lossScaling);
  lossBuilder.output("loss_sum", lossSum);
  lossBuilder.output("token_count", tokenCount);
  if (scale) lossBuilder.output("scaled_loss", lossBuilder.op("mul", [lossSum, lossBuilder.castTo(scale, lossSum.type.dtype)]));
  const grads = differentiate(lossBuilder.build(), { loss: scale ? "scaled_loss" : "loss_sum", wrt: params.map((p) => p.name) });
  const b = new GraphBuilder("micro_step");
  const inputs: Record<string, Value> = {};
  for (const input of grads.inputs) {
    const type = grads.types[input.id]!;
    inputs[input.name] = b.input(input.name, type.dtype, type.shape);
  }
  const accs = params.map((p) => b.input(stateName.acc(p.name), p.type.dtype, p.type.shape));
  const out = b.inline(grads, inputs);
  b.output("loss_sum", out["loss_sum"]!);
  b.output("token_count", out["token_count"]!);
  params.forEach((p, i) => b.output(stateName.acc(p.name), b.op("add", [accs[i]!, out[GRAD_PREFIX + p.name]!])));
  return b.build();
}

/** Declares the batch and parameter inputs (and loss_scale), inlines the forward graph and adds the causal LM loss. */
function forwardWithLoss(b: GraphBuilder, forward: Graph, lossScaling = false) {
  const typeOf = (name: string) => forward.types[forward.inputs.find((i) => i.name === name)!.id]!;
  const ids = typeOf("input_ids");
  const inputs: Record<string, Value> = {
    input_ids: b.input("input_ids", ids.dtype, ids.shape),
    labels: b.input("labels", "i64", ids.shape),
    position_ids: b.input("position_ids", typeOf("position_ids").dtype, typeOf("position_ids").shape),
  };
  for (const p of parameters(forward)) inputs[p.name] = b.input(p.name, p.type.dtype, p.type.shape);
  const scale = lossScaling ? b.input(SCALER_STATE.scale.name, SCALER_STATE.scale.dtype, []) : undefined;
  const logits = b.inline(forward, inputs)["logits"]!;
  return { logits, scale, ...causalLmLoss(b, logits, inputs["labels"]!, inputs["position_ids"]!) };
}

/** The forward graph's parameter inputs (every input but the batch ones), in input order. */
function parameters(forward: Graph): Param[] {
  return forward.inputs
    .filter((i) => !([...BATCH_INPUTS, ...OPTIONAL_BATCH_INPUTS] as readonly string[]).includes(i.name))
    .map((i) => ({ name: i.name, type: forward.types[i.id]! }));
}

/** Checks the forward graph's interface and returns the trainable parameters, in the order given. */
function checkTrainable(forward: Graph, trainable: readonly string[]): Param[] {
  for (const name of BATCH_INPUTS) {
    if (!forward.inputs.some((i) => i.name === name)) {
      fail(4111, `forward graph @${forward.name} has no input '${name}'`, "the forward graph must take input_ids and position_ids");
    }
  }
  const logits = forward.outputs.find((o) => o.name === "logits");
  const type: TensorType | undefined = logits && forward.types[logits.id];
  if (!type || !isFloat(type.dtype) || type.shape.length !== 3) {
    fail(4112, `forward graph @${forward.name} has no float output 'logits' [B,T,V]${type ? ` (it is ${describe(type)})` : ""}`,
      "make the forward graph output the logits as a float tensor [batch, time, vocab]");
  }
  const params = parameters(forward);
  return trainable.map((name) => {
    const param = params.find((p) => p.name === name);
    if (!param) {
      fail(4113, `trainable parameter '${name}' is not a parameter of forward graph @${forward.name}`,
        `name one of: ${params.map((p) => p.name).join(", ") || "(none)"}`);
    }
    return param;
  });
}
