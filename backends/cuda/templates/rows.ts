// softmax and logsumexp along one axis, as ir/interpret/reduce.ts defines them (a row of all -inf gives NaN for
// softmax and -inf for logsumexp; NaN propagates), computed in float (double for f64) and rounded once on store.
// The operand is viewed as [outer, n, inner]. With the axis innermost (inner = 1) each row is contiguous: a warp (short
// rows, eight rows per block) or a whole block (long rows) takes one row with aligned vector loads and reduces an
// online statistic (running max and rescaled sum, device.ts) to one value per row; softmax keeps a short row in
// registers, so it reads it once, and reads a long row twice. Otherwise one thread takes one (outer, inner) line.
// Invariant: rowPlan's vector width divides the row length, so every row start and vector access is aligned.

import { elementBytes, numel, writtenResult, type Anchor } from "./anchor.ts";
import { grid1d, makeKernel, mathType, vectorWidth, type TemplateParts } from "./source.ts";

/** How rows of length n are spread over threads. */
export interface RowPlan {
  readonly rows: number;
  readonly n: number;
  /** Elements per vector access (a power of two dividing n, at most 16 bytes). */
  readonly vec: number;
  /** Threads per row: 32 (a warp) or a whole block of up to 1024. */
  readonly threads: number;
  readonly rowsPerBlock: number;
  readonly grid: [number, number, number];
}

/** Aim at about eight vectors per thread: a warp for rows up to 256 vectors, up to 1024 threads for longer ones. */
export function rowPlan(rows: number, n: number, bytes: number): RowPlan {
  const vec = vectorWidth([n], 16 / bytes);
  const vectors = n / vec;
  let threads = 32;
  while (threads < 1024 && threads * 8 < vectors) threads *= 2;
  const rowsPerBlock = threads === 32 ? 8 : 1;
  return { rows, n, vec, threads, rowsPerBlock, grid: [Math.max(1, Math.ceil(rows / rowsPerBlock)), 1, 1] };
}

/** Constants of a row kernel. */
export function rowConstants(plan: RowPlan, math: string): string {
  return `using M = ${math};
constexpr long long ROWS = ${plan.rows};
constexpr int N = ${plan.n};  // row length
constexpr int VEC = ${plan.vec};  // elements per vector access
constexpr int THREADS = ${plan.threads};  // threads per row
constexpr int ROWS_PER_BLOCK = ${plan.rowsPerBlock};`;
}

/** First statements of a row kernel: this thread's lane in its row and the row (whole rows exit together). */
export const ROW_PROLOGUE = `  const int lane = threadIdx.x % THREADS;
  const long long row = static_cast<long long>(blockIdx.x) * ROWS_PER_BLOCK + threadIdx.x / THREADS;
  if (row >= ROWS) return;`;

/** Statements that reduce the row at `x` (a pointer expression) into `Stat<M> st`, reading each vector once. */
export function streamStat(x: string): string {
  return `  Stat<M> st = stat_empty<M>();
#pragma unroll 4
  for (int i = lane * VEC; i < N; i += THREADS * VEC) {
    M v[VEC];
    load_math<VEC>(v, ${x} + i);
    stat_push(st, v);
  }
  st = row_reduce<THREADS>(st);`;
}

/** Splits a shape at `axis` into [outer, n, inner]. */
export function axisLayout(shape: readonly number[], axis: number): [number, number, number] {
  const a = axis < 0 ? axis + shape.length : axis;
  return [numel(shape.slice(0, a)), shape[a]!, numel(shape.slice(a + 1))];
}

/** Vectors per thread below which softmax keeps its row in registers. */
const CACHED_ITEMS = 8;

function softmaxRowBody(plan: RowPlan): string {
  const items = Math.ceil(plan.n / (plan.threads * plan.vec));
  const output = (v: string, pad: string) => `${pad}M out[VEC];
#pragma unroll
${pad}for (int j = 0; j < VEC; ++j) out[j] = exp_m(${v}[j] - st.m) / st.s;
${pad}store_math<VEC>(y_row + i, out);`;
  if (items <= CACHED_ITEMS) {
    return `  const auto* x_row = x + row * N;
  auto* y_row = y + row * N;
  constexpr int ITEMS = ${items};  // vectors per thread, kept in registers
  M cache[ITEMS][VEC];
  Stat<M> st = stat_empty<M>();
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    const int i = (k * THREADS + lane) * VEC;
    if (i < N) {
      load_math<VEC>(cache[k], x_row + i);
      stat_push(st, cache[k]);
    }
  }
  st = row_reduce<THREADS>(st);
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    const int i = (k * THREADS + lane) * VEC;
    if (i < N) {
${output("cache[k]", "      ")}
    }
  }`;
  }
  return `  const auto* x_row = x + row * N;
  auto* y_row = y + row * N;
${streamStat("x_row")}
#pragma unroll 4
  for (int i = lane * VEC; i < N; i += THREADS * VEC) {
    M v[VEC];
    load_math<VEC>(v, x_row + i);
${output("v", "    ")}
  }`;
}

function lineConstants(layout: [number, number, number], math: string): string {
  return `using M = ${math};
constexpr long long LINES = ${layout[0] * layout[2]};  // outer * inner lines along the axis
constexpr int MID = ${layout[1]};  // line length
constexpr long long INNER = ${layout[2]};  // stride between a line's elements`;
}

const LINE_STAT = `  const long long line = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (line >= LINES) return;
  const long long base = (line / INNER) * MID * INNER + line % INNER;
  Stat<M> st = stat_empty<M>();
  for (int k = 0; k < MID; ++k) {
    const M v[1] = {static_cast<M>(widen(x[base + k * INNER]))};
    stat_push(st, v);
  }`;

function parts(a: Anchor, summary: string, body: string, plan: RowPlan | undefined, detail: string,
  flopsPerElement: number): TemplateParts {
  const x = a.args[0]!;
  return {
    anchor: a, summary, detail, body,
    helpers: plan ? ["pack", "row_reduce"] : ["convert", "stat"],
    roles: [["x", x], ["y", writtenResult(a, 0)]],
    threads: plan ? plan.threads * plan.rowsPerBlock : 256,
    grid: plan ? plan.grid : grid1d(numel(x.shape) / a.args[0]!.shape[axisOf(a)]!, 256),
    flops: flopsPerElement * numel(x.shape),
  };
}

function axisOf(a: Anchor): number {
  const axis = a.node.attrs["axis"] as number;
  return axis < 0 ? axis + a.args[0]!.shape.length : axis;
}

/** softmax along `axis`. */
export function renderSoftmax(a: Anchor) {
  const x = a.args[0]!;
  const layout = axisLayout(x.shape, axisOf(a));
  const math = mathType(x.dtype);
  const summary = `exp(x - max) / sum(exp(x - max)) along axis ${axisOf(a)} of [${x.shape.join(", ")}] ${x.dtype}`;
  if (layout[2] === 1) {
    const plan = rowPlan(layout[0], layout[1], elementBytes(x.dtype));
    return makeKernel(parts(a, summary, `${ROW_PROLOGUE}\n${softmaxRowBody(plan)}`, plan, rowConstants(plan, math), 5));
  }
  const body = `${LINE_STAT}
  for (int k = 0; k < MID; ++k) {
    const long long at = base + k * INNER;
    narrow(y[at], exp_m(static_cast<M>(widen(x[at])) - st.m) / st.s);
  }`;
  return makeKernel(parts(a, summary, body, undefined, lineConstants(layout, math), 5));
}

/** logsumexp along `axis` (keepdims does not change the memory layout). */
export function renderLogsumexp(a: Anchor) {
  const x = a.args[0]!;
  const layout = axisLayout(x.shape, axisOf(a));
  const math = mathType(x.dtype);
  const summary = `log(sum(exp(x))) along axis ${axisOf(a)} of [${x.shape.join(", ")}] ${x.dtype}`;
  if (layout[2] === 1) {
    const plan = rowPlan(layout[0], layout[1], elementBytes(x.dtype));
    const body = `${ROW_PROLOGUE}
${streamStat("(x + row * N)")}
  if (lane == 0) narrow(y[row], stat_lse(st));`;
    return makeKernel(parts(a, summary, body, plan, rowConstants(plan, math), 4));
  }
  const body = `${LINE_STAT}
  narrow(y[line], stat_lse(st));`;
  return makeKernel(parts(a, summary, body, undefined, lineConstants(layout, math), 4));
}
