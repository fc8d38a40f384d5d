// The wgsl target's StepRunner (compiler/train/loop.ts) over a WgslSession: parameters, gradient accumulators and
// AdamW moments stay on the device; a micro step uploads one batch and reads back its loss sum and token count, an
// optimizer step uploads the step number and token count and reads back the lr and gradient norm; parameters are read
// back only when asked (a checkpoint). WGSL kernels have no error channel, so token ids and labels are checked here
// before upload, with the interpreter's error codes (6110, 6111).
// Shipped in the bundle (Node and browser); imports only the session and types.
// Invariants: batches must have the program's sequence length (the host pads them: compiler/data/batches.ts
// padBatchTo); the step number passed to optimize is the count of completed steps, as @optimizer_step expects.

import type { Batch } from "../../../compiler/data/batches.ts";
import type { StepRunner } from "../../../compiler/train/loop.ts";
import type { Tensor } from "../../../ir/tensor.ts";
import { RuntimeError, type WgslSession } from "./session.ts";

/** What a trainer starts from. */
export interface TrainerSetup {
  /** Initial value of every parameter the graphs read, by name. */
  readonly parameters: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>>;
  /** The parameters the optimizer updates. */
  readonly trained: readonly string[];
  /** Inputs of @micro_step zeroed before each optimizer step (gradient accumulators), and of @optimizer_step zeroed
   * once (AdamW moments): the host names them (ir/train-step stateName). */
  readonly accumulators: readonly string[];
  readonly moments: readonly string[];
  /** Scalar state of @optimizer_step the host sets once and the graphs then carry (the fp16 loss scaler's), by name. */
  readonly scalars: Readonly<Record<string, number>>;
  /** Rows of the embedding: token ids and labels must be below it. */
  readonly vocab: number;
  /** The label that marks a position without a target. */
  readonly ignoreIndex: number;
}

const MICRO = "micro_step";
const OPTIMIZER = "optimizer_step";
const EVAL = "eval_step";

function firstBad(values: ArrayLike<number>, ok: (x: number) => boolean): number {
  for (let i = 0; i < values.length; i++) if (!ok(values[i]!)) return i;
  return -1;
}

/** 6110 / 6111 unless every token id is in [0, vocab) and every label is, or is `ignore`. */
export function checkBatch(batch: { readonly input_ids: ArrayLike<number>; readonly labels: ArrayLike<number> }, vocab: number,
  ignore: number): void {
  const id = firstBad(batch.input_ids, (x) => x >= 0 && x < vocab);
  if (id >= 0) {
    throw new RuntimeError(6110, `input_ids: id ${batch.input_ids[id]} at flat position ${id} is outside [0, ${vocab})`,
      `token ids must be below the vocabulary size ${vocab}; check the tokenizer and the model's vocab_size`);
  }
  const label = firstBad(batch.labels, (x) => x === ignore || (x >= 0 && x < vocab));
  if (label >= 0) {
    throw new RuntimeError(6111, `labels: target ${batch.labels[label]} at flat position ${label} is outside [0, ${vocab}) ` +
      `and is not ${ignore}`, `labels must be token ids below the vocabulary size ${vocab} or ${ignore}`);
  }
}

/** Uploads the initial parameters, zeroes the moments, and returns the runner of `session`'s train step. */
export function createTrainer(session: WgslSession, setup: TrainerSetup, close: () => void): StepRunner {
  for (const [name, t] of Object.entries(setup.parameters)) {
    session.write(session.hasInput(OPTIMIZER, name) ? OPTIMIZER : MICRO, name, t.data);
  }
  for (const name of setup.moments) session.clear(OPTIMIZER, name);
  for (const [name, value] of Object.entries(setup.scalars)) session.write(OPTIMIZER, name, [value]);
  const scalars = async (graph: string, names: readonly string[]) => {
    const out = await session.read(graph, names);
    return names.map((n) => out[n]![0]!);
  };
  /** Runs `graph` (micro_step or eval_step) on one batch; its loss sum and token count. */
  const lossOf = async (graph: string, batch: Batch) => {
    checkBatch(batch, setup.vocab, setup.ignoreIndex);
    for (const name of ["input_ids", "labels", "position_ids"] as const) session.write(graph, name, batch[name]);
    session.run(graph);
    const [lossSum, tokenCount] = await scalars(graph, ["loss_sum", "token_count"]);
    return { lossSum: lossSum!, tokenCount: tokenCount! };
  };
  return {
    begin: () => { for (const name of setup.accumulators) session.clear(MICRO, name); },
    micro: (batch) => lossOf(MICRO, batch),
    evaluate: (batch) => lossOf(EVAL, batch),
    optimize: async (step, tokenCount) => {
      session.write(OPTIMIZER, "step", [step]);
      session.write(OPTIMIZER, "token_count", [tokenCount]);
      session.run(OPTIMIZER);
      const [lr, gradNorm] = await scalars(OPTIMIZER, ["lr", "grad_norm"]);
      return { lr: lr!, gradNorm: gradNorm! };
    },
    parameters: async () => {
      const read = await session.read(OPTIMIZER, setup.trained, "inputs");
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(setup.parameters)) {
        out[name] = { dtype: "f32", shape: t.shape, data: read[name] as Float32Array ?? Float32Array.from(t.data) };
      }
      return out;
    },
    close,
  };
}
