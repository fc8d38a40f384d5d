// Optimizer ops: one AdamW step over a parameter and lr_schedule, as ir/interpret/optim.ts and ir/lr-schedule.ts
// define them. Both compute in double with every operation rounded (no fused multiply-add), in the interpreter's
// order, so each stored result is the interpreter's up to the last bit of pow/cos; AdamW is memory-bound, so the
// double arithmetic costs nothing on an H200.
// adamw: one thread updates VEC consecutive elements, reading param, grad, m and v before writing, so the memory plan
// may update them in place (the pointers are not __restrict__). lr, step and grad_scale (the gradient's multiplier:
// 1/token_count and clipping) are device scalars read by every thread. Elements per thread and threads per block are
// a config (AdamwConfig; adamwSpace is its search space), by default 16 bytes of the widest operand and 256 threads.
// A step below 1 raises 6120 (device-error.ts) and leaves every value unchanged; a true `skip` (the optional eighth
// operand: a step the fp16 loss scaler skips) leaves every value unchanged too.
// lr_schedule: one thread turns the step scalar into the learning rate.

import { LR_SCHEDULES } from "../../../ir/lr-schedule.ts";
import { enumerate, kernelContentHash, rooflineSeconds, type SearchSpace } from "../../tunable.ts";
import type { KernelSource } from "../../kernel.ts";
import type { Kernel } from "../../schedule/partition.ts";
import { anchorOf, attrNumber, elementBytes, numel, writtenResult, type Anchor } from "./anchor.ts";
import { doubleLiteral, grid1d, makeKernel, vectorWidth } from "./source.ts";

/** An AdamW launch: elements per thread (VEC) and threads per block. */
export type AdamwConfig = { readonly vec: number; readonly threads: number };

/** Bumped whenever the space or the kernels its configs render change. */
const ADAMW_SPACE = "cuda-adamw/1";

/** The most elements per thread: 16 bytes of the widest of param, grad, m and v, dividing the element count. */
function widestVec(a: Anchor): number {
  const [param, grad, m, v] = a.args;
  return vectorWidth([numel(param!.shape)], 16 / Math.max(...[param!, grad!, m!, v!].map((t) => elementBytes(t.dtype))));
}

/** The default launch of an adamw anchor: the most elements per thread, 256 threads. */
function adamwHeuristic(a: Anchor): AdamwConfig {
  return { vec: widestVec(a), threads: 256 };
}

/** The search space of an adamw kernel: 1 to widestVec elements per thread, 64 to 1024 threads per block. */
export function adamwSpace(kernel: Kernel): SearchSpace<AdamwConfig> {
  const a = anchorOf(kernel, "adamw");
  const n = numel(a.args[0]!.shape);
  const heuristic = adamwHeuristic(a);
  const axes = { vec: [1, 2, 4, 8, 16].filter((v) => v <= heuristic.vec), threads: [64, 128, 256, 512, 1024] };
  const bytes = [...a.args.slice(0, 4), ...a.results].reduce((sum, t) => sum + elementBytes(t.dtype) * numel(t.shape), 0);
  const flops = 16 * n;
  return {
    id: ADAMW_SPACE, kernelHash: kernelContentHash(kernel), problem: `adamw ${n} ${a.args[0]!.dtype}`, axes,
    candidates: enumerate(axes, () => true, heuristic), heuristic, flops, bytes,
    describe: (c) => `${c.vec} per thread, ${c.threads} threads`,
    render: (c): KernelSource[] => [renderAdamw(a, c)],
    predict: (_c, ceilings) => rooflineSeconds(flops, bytes, ceilings),
  };
}

const ROUNDED = `// Double arithmetic rounded after every operation, as the interpreter (JavaScript) computes.
__device__ __forceinline__ double add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ double mul(double a, double b) { return __dmul_rn(a, b); }`;

/** adamw(param, grad, m, v, lr, step, grad_scale[, skip]) -> (param, m, v). */
export function renderAdamw(a: Anchor, config: AdamwConfig = adamwHeuristic(a)) {
  const [param, grad, m, v, lr, step, gradScale, skip] = a.args;
  const [pOut, mOut, vOut] = a.results;
  const n = numel(param!.shape);
  const { vec, threads } = config;
  if (n % vec !== 0) throw new Error(`adamw of ${n} elements at ${vec} per thread`);
  const [b1, b2] = [attrNumber(a, "beta1"), attrNumber(a, "beta2")];
  const w = 1 - b1;
  const momentum = w < 0.5 ? "add(mk[j], mul(W, sub(g[j], mk[j])))" : "sub(g[j], mul(sub(g[j], mk[j]), 1.0 - W))";
  const detail = `constexpr long long NUMEL = ${n};
constexpr int VEC = ${vec};  // elements per thread
constexpr double BETA1 = ${doubleLiteral(b1)}, BETA2 = ${doubleLiteral(b2)}, ONE_MINUS_BETA2 = ${doubleLiteral(1 - b2)};
constexpr double EPS = ${doubleLiteral(attrNumber(a, "eps"))}, WEIGHT_DECAY = ${doubleLiteral(attrNumber(a, "weight_decay"))};
constexpr double W = ${doubleLiteral(w)};  // 1 - beta1, the weight of lerp(m, g, W)
constexpr bool WRITE_PARAM = ${pOut!.param !== undefined}, WRITE_M = ${mOut!.param !== undefined}, WRITE_V = ${vOut!.param !== undefined};

${ROUNDED}`;
  const body = `  const long long i = (static_cast<long long>(blockIdx.x) * ${threads} + threadIdx.x) * VEC;
  if (i >= NUMEL) return;
  const long long t = static_cast<long long>(step[0]);
  const double rate = static_cast<double>(widen(lr[0]));
  const double scale = static_cast<double>(widen(grad_scale[0]));
  double p[VEC], g[VEC], mk[VEC], vk[VEC];
  load_math<VEC>(p, param + i);
  load_math<VEC>(g, grad + i);
  load_math<VEC>(mk, m + i);
  load_math<VEC>(vk, v + i);
  const bool skipped = ${skip ? "skip[0] != 0" : "false"};  // a step the fp16 loss scaler skips: values stay as read
  if (!skipped && t < 1) {
    if (i == 0) trainc_raise(6120, SITE, 0, t, 1);
  } else if (!skipped) {
    const double step_size = rate / sub(1.0, pow(BETA1, static_cast<double>(t)));
    const double bc2_sqrt = sqrt(sub(1.0, pow(BETA2, static_cast<double>(t))));
    const double decay = sub(1.0, mul(rate, WEIGHT_DECAY));
#pragma unroll
    for (int j = 0; j < VEC; ++j) {
      g[j] = mul(g[j], scale);
      mk[j] = ${momentum};
      vk[j] = add(mul(vk[j], BETA2), mul(mul(ONE_MINUS_BETA2, g[j]), g[j]));
      p[j] = sub(mul(p[j], decay), mul(step_size, mk[j] / add(sqrt(vk[j]) / bc2_sqrt, EPS)));
    }
  }
  if (WRITE_PARAM) store_math<VEC>(param_out + i, p);
  if (WRITE_M) store_math<VEC>(m_out + i, mk);
  if (WRITE_V) store_math<VEC>(v_out + i, vk);`;
  return makeKernel({
    anchor: a, detail, body, raises: true, inPlace: true,
    summary: `one AdamW step of ${n} ${param!.dtype} parameters (state ${m!.dtype}/${v!.dtype}), in double`,
    helpers: ["pack"],
    roles: [["param", param!], ["grad", grad!], ["m", m!], ["v", v!], ["lr", lr!], ["step", step!], ["grad_scale", gradScale!],
      ...(skip ? [["skip", skip] as const] : []), ["param_out", pOut!], ["m_out", mOut!], ["v_out", vOut!]],
    threads,
    grid: grid1d(n / vec, threads),
    flops: 16 * n,
  });
}

/** The learning rate after warmup, as a C expression of t, and the constants it uses besides LR and WARMUP. */
function afterWarmup(schedule: string, warmup: number, total: number): [string, string] {
  const remaining = `constexpr double REMAINING = ${doubleLiteral(Math.max(1, total - warmup))};  // max(1, total - warmup)`;
  switch (schedule) {
    case "constant":
      return ["LR", ""];
    case "linear":
      return ["LR * fmax(0.0, (TOTAL - t) / REMAINING)", `constexpr double TOTAL = ${doubleLiteral(total)};\n${remaining}`];
    case "cosine":
      return ["LR * fmax(0.0, 0.5 * (1.0 + cos(PI * ((t - WARMUP) / REMAINING))))",
        `${remaining}\nconstexpr double PI = ${doubleLiteral(Math.PI)};`];
    default:
      throw new Error(`lr_schedule '${schedule}' is not one of ${LR_SCHEDULES.join(", ")}`);
  }
}

/** lr_schedule(step) -> lr. */
export function renderLrSchedule(a: Anchor) {
  const schedule = a.node.attrs["schedule"] as string;
  const warmup = attrNumber(a, "warmup_steps");
  const total = attrNumber(a, "total_steps");
  const out = writtenResult(a, 0);
  const [expr, constants] = afterWarmup(schedule, warmup, total);
  const detail = `constexpr double LR = ${doubleLiteral(attrNumber(a, "lr"))};
constexpr double WARMUP = ${doubleLiteral(warmup)}, WARMUP_DIVISOR = ${doubleLiteral(Math.max(1, warmup))};
${constants}`;
  const body = `  const double t = static_cast<double>(step[0]);  // completed steps
  narrow(lr[0], t < WARMUP ? LR * (t / WARMUP_DIVISOR) : ${expr});`;
  return makeKernel({
    anchor: a, detail, body,
    summary: `${schedule} learning rate after ${warmup} warmup steps of ${total}, in ${out.dtype}`,
    helpers: ["convert"],
    roles: [["step", a.args[0]!], ["lr", out]],
    threads: 1,
    grid: [1, 1, 1],
    flops: 8,
  });
}
