// Cross-entropy over the last axis and its gradient on WebGPU, as ir/interpret/loss.ts defines them: loss[r] =
// logsumexp(logits[r, :]) - logits[r, target[r]], 0 where target == ignore_index; the gradient row is
// (softmax(logits[r, :]) - onehot(target[r])) * dloss[r], 0 on ignored rows. A workgroup per row (grid-stride over
// rows) reduces the row's max and then its sum of exponentials through workgroup memory (the language's workgroup
// reductions, wgsl/language.ts; through subgroup operations where the device offers them), in f32.
// Invariant: a target outside [0, V) that is not ignore_index gives NaN (the interpreter fails with 6111; WGSL
// kernels have no error channel, and the wgsl runtime checks labels on the host before a step).

import { numel, attrNumber, writtenResult, type Anchor } from "../../cuda/templates/anchor.ts";
import type { KernelSource } from "../../kernel.ts";
import { rowLse } from "./rows.ts";
import { MAX_WORKGROUPS, makeWgslKernel, paramBytes } from "./source.ts";

function constants(a: Anchor, rows: number, classes: number, subgroups: boolean): string {
  return `const V: i32 = ${classes};  // classes
const ROWS: i32 = ${rows};
const IGNORE: i32 = ${attrNumber(a, "ignore_index")};  // ignore_index

${rowLse(subgroups, "V", (j) => `logits[r * V + ${j}]`)}`;
}

/** cross_entropy(logits [..., V], targets [...]) -> loss [...]. */
export function renderWgslCrossEntropy(a: Anchor, subgroups = false): KernelSource {
  const [logits, targets] = a.args;
  const loss = writtenResult(a, 0);
  const classes = logits!.shape.at(-1)!;
  const rows = numel(targets!.shape);
  return makeWgslKernel({
    anchor: a, kind: "cross_entropy", roles: [["logits", logits!], ["targets", targets!], ["loss", loss]],
    summary: `cross-entropy of ${rows} rows of ${classes} classes, a workgroup per row`,
    helpers: constants(a, rows, classes, subgroups),
    body: `  for (var r: i32 = i32(wg.x); r < ROWS; r += i32(groups.x)) {
    let label = i32(targets[r]);
    let lse = row_lse(r, lid.x);
    if (lid.x == 0u) {
      let valid = label >= 0 && label < V;
      let value = select(trainc_nan(), lse - logits[r * V + select(0, label, valid)], valid);
      loss[r] = select(value, 0.0, label == IGNORE);
    }
  }`,
    grid: [Math.min(rows, MAX_WORKGROUPS), 1, 1],
    flops: 3 * rows * classes, bytes: paramBytes([logits!, targets!, loss]),
  });
}

/** cross_entropy_grad(logits [..., V], targets [...], dloss [...]) -> dlogits [..., V]. */
export function renderWgslCrossEntropyGrad(a: Anchor, subgroups = false): KernelSource {
  const [logits, targets, dloss] = a.args;
  const dlogits = writtenResult(a, 0);
  const classes = logits!.shape.at(-1)!;
  const rows = numel(targets!.shape);
  return makeWgslKernel({
    anchor: a, kind: "cross_entropy_grad",
    roles: [["logits", logits!], ["targets", targets!], ["dloss", dloss!], ["dlogits", dlogits]],
    summary: `gradient of the cross-entropy of ${rows} rows of ${classes} classes, a workgroup per row`,
    helpers: constants(a, rows, classes, subgroups),
    body: `  for (var r: i32 = i32(wg.x); r < ROWS; r += i32(groups.x)) {
    let label = i32(targets[r]);
    let lse = row_lse(r, lid.x);
    let ignored = label == IGNORE;
    let scale = select(select(trainc_nan(), dloss[r], label >= 0 && label < V), 0.0, ignored);
    for (var j: i32 = i32(lid.x); j < V; j += 256) {
      let p = exp(logits[r * V + j] - lse);
      dlogits[r * V + j] = select((p - select(0.0, 1.0, j == label)) * scale, 0.0, ignored);
    }
  }`,
    grid: [Math.min(rows, MAX_WORKGROUPS), 1, 1],
    flops: 5 * rows * classes, bytes: paramBytes([logits!, targets!, dloss!, dlogits]),
  });
}
