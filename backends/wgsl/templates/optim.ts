// Optimizer ops on WebGPU: one AdamW step over a parameter and lr_schedule (ir/interpret/optim.ts,
// ir/lr-schedule.ts), in f32. WGSL has no f64, so unlike the CUDA templates (double, the interpreter's every rounding)
// the arithmetic is f32 in the interpreter's order.
// adamw: two kernels, a thread per element (grid-stride) each: the moments, then the parameters. The bias corrections
// 1 - beta^step are computed as -expm1(step * ln beta) (a series where the product is small, ln beta in double at
// compile time): 1 - pow(beta, step) in f32 would lose 1e-5 of its value to cancellation at small steps. A step
// below 1 stores every value unchanged (the CUDA template also raises 6120; WGSL kernels have no error channel, and the
// wgsl runtime counts steps from 1), as does a true `skip` (the fp16 loss scaler's skipped step).
// AdamW's workgroup size and cap on workgroups are a config (WgslAdamwConfig; wgslAdamwSpace is its search space), by
// default 256 threads and as many workgroups as the elements need (at most 65535).
// lr_schedule: one thread turns the step scalar into the learning rate (cosine through trig.ts).
// Invariant: results the schedule does not write are not stored (lr_schedule); AdamW's three results are always
// written (its second kernel reads the first's moments), else 9602.

import { fail } from "../../../compiler/diagnostics.ts";
import { LR_SCHEDULES } from "../../../ir/lr-schedule.ts";
import { anchorOf, attrNumber, numel, writtenResult, type Anchor } from "../../cuda/templates/anchor.ts";
import type { KernelSource } from "../../kernel.ts";
import type { Kernel } from "../../schedule/partition.ts";
import { BLOCK_CAPS } from "../../c-style/fused.ts";
import { enumerate, kernelContentHash, rooflineSeconds, type SearchSpace } from "../../tunable.ts";
import { WORKGROUP_SIZE } from "../language.ts";
import { f32, gridFor, makeWgslKernel, MAX_WORKGROUPS, paramBytes, type Role } from "./source.ts";

/** An AdamW launch on WebGPU: threads per workgroup, most workgroups launched (each kernel of the two). */
export type WgslAdamwConfig = { readonly threads: number; readonly blocks: number };

/** The caps on workgroups a config may set: the fused kernels' (BLOCK_CAPS), and WebGPU's limit. */
const CAPS = [...BLOCK_CAPS, MAX_WORKGROUPS];

/** The cap of a config that launches what `n` elements at `threads` per workgroup need: the smallest cap above it. */
function capFor(n: number, threads: number): number {
  const needed = Math.ceil(n / threads);
  return CAPS.find((c) => c >= needed) ?? MAX_WORKGROUPS;
}

/** The default launch of AdamW over `n` elements on WebGPU: WORKGROUP_SIZE threads, as many workgroups as needed. */
function wgslAdamwHeuristic(n: number): WgslAdamwConfig {
  return { threads: WORKGROUP_SIZE, blocks: capFor(n, WORKGROUP_SIZE) };
}

/** The search space of an adamw kernel on wgsl: 64 to 256 threads, caps above the need counting once. */
export function wgslAdamwSpace(kernel: Kernel): SearchSpace<WgslAdamwConfig> {
  const a = anchorOf(kernel, "adamw");
  const n = numel(a.args[0]!.shape);
  const axes = { threads: [64, 128, 256], blocks: CAPS };
  const heuristic = wgslAdamwHeuristic(n);
  const valid = (c: WgslAdamwConfig) => c.blocks <= capFor(n, c.threads);
  const flops = 16 * n;
  const bytes = 36 * n;
  return {
    id: "wgsl-adamw/1", kernelHash: kernelContentHash(kernel), problem: `adamw ${n} f32`, axes,
    candidates: enumerate(axes, valid, heuristic), heuristic, flops, bytes,
    describe: (c) => `${c.threads} threads, <= ${c.blocks} workgroups`,
    render: (c) => renderWgslAdamw(a, c),
    predict: (_c, ceilings) => rooflineSeconds(flops, bytes, ceilings),
  };
}
import { SINCOS } from "./trig.ts";

const ONE_MINUS_EXP = `// 1 - e^x for x <= 0: the series of -expm1(x) where it is small, 1 - exp(x) elsewhere.
fn one_minus_exp(x: f32) -> f32 {
  if (x > -0.5) {
    return -x * (1.0 + x * (0.5 + x * (${f32(1 / 6)} + x * (${f32(1 / 24)} + x * (${f32(1 / 120)} + x * (${f32(1 / 720)} +
      x * (${f32(1 / 5040)} + x * ${f32(1 / 40320)})))))));
  }
  return 1.0 - exp(x);
}`;

/**
 * adamw(param, grad, m, v, lr, step, grad_scale[, skip]) -> (param, m, v), f32 parameters and state, as two kernels so
 * each binds at most 8 storage buffers (WebGPU's default limit; one kernel would bind 10 or 11): the moments (grad, m,
 * v, step, grad_scale, skip -> m_out, v_out), then the parameters (param, m_out, v_out, lr, step, skip -> param_out).
 */
export function renderWgslAdamw(a: Anchor, config?: WgslAdamwConfig): KernelSource[] {
  const [param, grad, m, v, lr, step, gradScale, skip] = a.args;
  const skipRole: Role[] = skip ? [["skip", skip]] : [];
  const run = `f32(step[0]) >= 1.0${skip ? " && skip[0] == 0u" : ""}`;
  for (const t of [param, grad, m, v, lr, gradScale]) {
    if (t!.dtype !== "f32") {
      fail(5700, `${a.kernel.name}: the wgsl AdamW takes f32 parameters and state, not ${t!.dtype}`,
        "train in f32 on wgsl (bf16: false)");
    }
  }
  const [paramOut, mOut, vOut] = [0, 1, 2].map((k) => writtenResult(a, k));
  const n = numel(param!.shape);
  const { threads, blocks } = config ?? wgslAdamwHeuristic(n);
  const grid = gridFor(n, threads, blocks);
  const [b1, b2] = [attrNumber(a, "beta1"), attrNumber(a, "beta2")];
  const w = 1 - b1;
  const momentum = w < 0.5 ? `mi + ${f32(w)} * (g - mi)` : `g - (g - mi) * ${f32(1 - w)}`;
  const moments = makeWgslKernel({
    anchor: a, kind: "adamw",
    roles: [["grad", grad!], ["m", m!], ["v", v!], ["step", step!], ["grad_scale", gradScale!], ...skipRole,
      ["m_out", mOut], ["v_out", vOut]],
    summary: `AdamW moments of ${n} f32 parameters, in f32`,
    body: `  let run = ${run};
  let scale = grad_scale[0];
  for (var i: i32 = i32(gid.x); i < ${n}; i += i32(groups.x) * ${threads}) {
    let mi = m[i];
    let vi = v[i];
    let g = grad[i] * scale;
    m_out[i] = select(mi, ${momentum}, run);
    v_out[i] = select(vi, vi * ${f32(b2)} + ${f32(1 - b2)} * g * g, run);
  }`,
    grid, threads, flops: 8 * n, bytes: 20 * n,
  });
  const params = makeWgslKernel({
    anchor: a, kind: "adamw",
    roles: [["param", param!], ["m1", mOut], ["v1", vOut], ["lr", lr!], ["step", step!], ...skipRole, ["param_out", paramOut]],
    summary: `AdamW update of ${n} f32 parameters from their new moments, in f32`,
    helpers: ONE_MINUS_EXP,
    body: `  let t = f32(step[0]);
  let rate = lr[0];
  let run = ${run};
  let step_size = rate / one_minus_exp(t * ${f32(Math.log(b1))});
  let bc2_sqrt = sqrt(one_minus_exp(t * ${f32(Math.log(b2))}));
  let decay = 1.0 - rate * ${f32(attrNumber(a, "weight_decay"))};
  for (var i: i32 = i32(gid.x); i < ${n}; i += i32(groups.x) * ${threads}) {
    param_out[i] = select(param[i], param[i] * decay - step_size * (m1[i] / (sqrt(v1[i]) / bc2_sqrt + ${f32(attrNumber(a, "eps"))})), run);
  }`,
    grid, threads, flops: 8 * n, bytes: 16 * n,
  });
  return [moments, params];
}

/** The learning rate after warmup as a WGSL expression of t (completed steps, f32). */
function afterWarmup(schedule: string, lr: number, warmup: number, total: number): string {
  const remaining = f32(Math.max(1, total - warmup));
  switch (schedule) {
    case "constant": return f32(lr);
    case "linear": return `${f32(lr)} * max(0.0, (${f32(total)} - t) / ${remaining})`;
    case "cosine":
      return `${f32(lr)} * max(0.0, 0.5 * (1.0 + trainc_sincos(${f32(Math.PI)} * ((t - ${f32(warmup)}) / ${remaining})).y))`;
    default: throw new Error(`lr_schedule '${schedule}' is not one of ${LR_SCHEDULES.join(", ")}`);
  }
}

/** lr_schedule(step) -> lr. */
export function renderWgslLrSchedule(a: Anchor): KernelSource {
  const schedule = a.node.attrs["schedule"] as string;
  const [lr, warmup, total] = [attrNumber(a, "lr"), attrNumber(a, "warmup_steps"), attrNumber(a, "total_steps")];
  const out = writtenResult(a, 0);
  return makeWgslKernel({
    anchor: a, kind: "lr_schedule", roles: [["step", a.args[0]!], ["lr", out]],
    summary: `${schedule} learning rate after ${warmup} warmup steps of ${total}`,
    helpers: SINCOS,
    body: `  if (gid.x == 0u) {
    let t = f32(step[0]);  // completed steps
    lr[0] = select(${afterWarmup(schedule, lr, warmup, total)}, ${f32(lr)} * (t / ${f32(Math.max(1, warmup))}), t < ${f32(warmup)});
  }`,
    grid: [1, 1, 1], flops: 8, bytes: paramBytes([a.args[0]!, out]),
  });
}
