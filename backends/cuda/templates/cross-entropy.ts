// cross_entropy and cross_entropy_grad over the last axis (the vocabulary), as ir/interpret/loss.ts defines them:
// loss = logsumexp(row) - row[target], 0 where target == ignore_index; the gradient row is
// (softmax(row) - onehot(target)) * dloss, 0 on ignored rows. A target outside [0, V) that is not ignore_index raises
// 6111 (device-error.ts) and its row's results are NaN.
// Layout: one row per warp or block (rows.ts rowPlan) with aligned vector loads and an online max/sum, so the loss
// reads each logit once however long the vocabulary (128256 for Llama 3); the gradient reads the row a second time to
// write it. Ignored rows are not read at all. Math in float (double for f64), rounded once on store. The gradient
// may be written over the logits (backends/schedule/in-place.ts): each thread reads a logit before it writes the
// gradient at that index, so its pointers are not __restrict__.

import { attrNumber, elementBytes, numel, writtenResult, type Anchor } from "./anchor.ts";
import { ROW_PROLOGUE, rowConstants, rowPlan, streamStat, type RowPlan } from "./rows.ts";
import { makeKernel, mathType } from "./source.ts";

function constants(a: Anchor, plan: RowPlan): string {
  return `${rowConstants(plan, mathType(a.args[0]!.dtype))}
constexpr long long IGNORE = ${attrNumber(a, "ignore_index")};  // ignore_index`;
}

const TARGET = `  const long long target = static_cast<long long>(targets[row]);`;

function plan(a: Anchor): RowPlan {
  const logits = a.args[0]!;
  const v = logits.shape.at(-1)!;
  return rowPlan(numel(logits.shape) / v, v, elementBytes(logits.dtype));
}

/** Per-row cross-entropy loss. */
export function renderCrossEntropy(a: Anchor) {
  const [logits, targets] = a.args;
  const p = plan(a);
  const body = `${ROW_PROLOGUE}
${TARGET}
  if (target == IGNORE) {
    if (lane == 0) narrow(loss[row], M(0));
    return;
  }
  if (target < 0 || target >= N) {
    if (lane == 0) {
      trainc_raise(6111, SITE, row, target, N);
      narrow(loss[row], static_cast<M>(NAN));
    }
    return;
  }
${streamStat("(logits + row * N)")}
  if (lane == 0) narrow(loss[row], stat_lse(st) - static_cast<M>(widen(logits[row * N + target])));`;
  return makeKernel({
    anchor: a, body, raises: true,
    summary: `logsumexp(logits) - logits[target] per row of [${logits!.shape.join(", ")}] ${logits!.dtype}`,
    detail: constants(a, p),
    helpers: ["pack", "row_reduce"],
    roles: [["logits", logits!], ["targets", targets!], ["loss", writtenResult(a, 0)]],
    threads: p.threads * p.rowsPerBlock,
    grid: p.grid,
    flops: 4 * numel(logits!.shape),
  });
}

/** Gradient of the loss w.r.t. the logits. */
export function renderCrossEntropyGrad(a: Anchor) {
  const [logits, targets, dloss] = a.args;
  const p = plan(a);
  const body = `${ROW_PROLOGUE}
${TARGET}
  const auto* x_row = logits + row * N;
  auto* g_row = grad + row * N;
  if (target == IGNORE || target < 0 || target >= N) {
    const bool bad = target != IGNORE;
    if (bad && lane == 0) trainc_raise(6111, SITE, row, target, N);
    const M fill = bad ? static_cast<M>(NAN) : M(0);
    for (int i = lane * VEC; i < N; i += THREADS * VEC) fill_math<VEC>(g_row + i, fill);
    return;
  }
${streamStat("x_row")}
  const M lse = stat_lse(st);
  const M d = static_cast<M>(widen(dloss[row]));
#pragma unroll 4
  for (int i = lane * VEC; i < N; i += THREADS * VEC) {
    M v[VEC];
    load_math<VEC>(v, x_row + i);
#pragma unroll
    for (int j = 0; j < VEC; ++j) {
      const M prob = exp_m(v[j] - lse);
      v[j] = (i + j == target ? prob - M(1) : prob) * d;
    }
    store_math<VEC>(g_row + i, v);
  }`;
  return makeKernel({
    anchor: a, body, raises: true, inPlace: true,
    summary: `(softmax(logits) - onehot(target)) * dloss per row of [${logits!.shape.join(", ")}] ${logits!.dtype}`,
    detail: constants(a, p),
    helpers: ["pack", "row_reduce"],
    roles: [["logits", logits!], ["targets", targets!], ["dloss", dloss!], ["grad", writtenResult(a, 0)]],
    threads: p.threads * p.rowsPerBlock,
    grid: p.grid,
    flops: 8 * numel(logits!.shape),
  });
}
