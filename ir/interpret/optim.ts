// Optimizer-side ops: one AdamW step and the learning-rate schedule.
// Meaning of adamw (torch.optim.AdamW, single-tensor path, in double precision, each result rounded once to its
// dtype; torch rounds every intermediate to the parameter dtype instead), on g = grad * grad_scale:
//   p = p * (1 - lr*wd); m = lerp(m, g, 1 - b1) (torch's lerp: m + w*(g - m) for w < 0.5, else g - (g - m)*(1 - w));
//   v = v*b2 + (1 - b2)*g*g; denom = sqrt(v) / sqrt(1 - b2^step) + eps; p = p - (lr / (1 - b1^step)) * m / denom.
// step is the 1-based update count (6120 when below 1). With the optional `skip` operand true, param, m and v come out
// as they went in (a step the fp16 loss scaler skips; step is not checked then). lr_schedule: ir/lr-schedule.ts,
// computed in double precision and stored once in the result dtype (f32 unless the node says f64).

import { learningRate, type LrSchedule } from "../lr-schedule.ts";
import { seal, stageOut, type Eval } from "./context.ts";

const adamw: Eval = ([param, grad, m, v, lrT, stepT, scaleT, skipT], ctx) => {
  if (skipT && skipT.data[0]) return [seal(ctx.out[0]!, param!.data), seal(ctx.out[1]!, m!.data), seal(ctx.out[2]!, v!.data)];
  const [b1, b2, eps, wd] = ["beta1", "beta2", "eps", "weight_decay"].map((k) => ctx.attrs[k] as number) as
    [number, number, number, number];
  const lr = lrT!.data[0]!;
  const step = stepT!.data[0]!;
  const scale = scaleT!.data[0]!;
  if (!(step >= 1)) ctx.fail(6120, `adamw step is ${step}; steps count updates from 1`, "start the step counter at 1");
  const stepSize = lr / (1 - Math.pow(b1, step));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
  const decay = 1 - lr * wd;
  const w = 1 - b1;
  const [pd, gd, md, vd] = [param!.data, grad!.data, m!.data, v!.data];
  const [po, mo, vo] = [stageOut(ctx, 0), stageOut(ctx, 1), stageOut(ctx, 2)];
  for (let i = 0; i < pd.length; i++) {
    const g = gd[i]! * scale;
    const mi = md[i]!;
    const m1 = w < 0.5 ? mi + w * (g - mi) : g - (g - mi) * (1 - w);
    const v1 = vd[i]! * b2 + (1 - b2) * g * g;
    po[i] = pd[i]! * decay - stepSize * (m1 / (Math.sqrt(v1) / bc2Sqrt + eps));
    mo[i] = m1;
    vo[i] = v1;
  }
  return [seal(ctx.out[0]!, po), seal(ctx.out[1]!, mo), seal(ctx.out[2]!, vo)];
};

const lrSchedule: Eval = ([step], ctx) => {
  const out = stageOut(ctx);
  out[0] = learningRate({
    schedule: ctx.attrs["schedule"] as LrSchedule,
    lr: ctx.attrs["lr"] as number,
    warmupSteps: ctx.int("warmup_steps"),
    totalSteps: ctx.int("total_steps"),
  }, step!.data[0]!);
  return [seal(ctx.out[0]!, out)];
};

/** Evaluations of adamw and lr_schedule. */
export const OPTIM_EVALS = { adamw, lr_schedule: lrSchedule };
