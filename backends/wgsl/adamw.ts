// The WGSL AdamW kernel: one `adamw` anchor kernel (ir/interpret/optim.ts defines the step) in f32, a thread per
// element (grid-stride). WGSL has no f64, so unlike the CUDA template (double, the interpreter's every rounding) the
// arithmetic is f32 in the interpreter's order. The bias corrections 1 - beta^step are computed as -expm1(step * ln
// beta) (a series where the product is small, ln beta in double at compile time): 1 - pow(beta, step) in f32 would
// lose 1e-5 of its value to cancellation at small steps.
// Invariants: operands bind in kernelParams order (anchorOf names them in<k> / out<k>); results the schedule does not
// write are not stored; a step below 1 stores every value unchanged (the CUDA template also raises 6120; WGSL kernels
// have no error channel yet).

import { fail } from "../../compiler/diagnostics.ts";
import type { Kernel } from "../schedule/partition.ts";
import { KERNEL_NAME, namedByCode, type KernelSource } from "../kernel.ts";
import { anchorOf, attrNumber, numel } from "../cuda/templates/anchor.ts";
import { WGSL, WORKGROUP_SIZE } from "./language.ts";

const MAX_WORKGROUPS = 65535;

/** f32 literal of `x`. */
function float(x: number): string {
  return WGSL.literal(x, "float");
}

/** The WGSL name of anchorOf's parameter `in<k>` / `out<k>`: its binding in kernelParams order (inputs, then outputs). */
function binding(kernel: Kernel, param: string): string {
  const k = param.startsWith("in") ? Number(param.slice(2)) : kernel.graph.inputs.length + Number(param.slice(3));
  return `p${k}`;
}

/** The WGSL kernel of an `adamw` anchor kernel (f32 parameter and state). */
export function renderWgslAdamw(kernel: Kernel): KernelSource {
  const a = anchorOf(kernel, "adamw");
  const [param, grad, m, v, lr, step, gradScale] = a.args;
  const [pOut, mOut, vOut] = a.results;
  for (const t of [param, grad, m, v, lr, gradScale]) {
    if (t!.dtype !== "f32") {
      fail(5700, `${kernel.name}: the wgsl AdamW takes f32 parameters and state, not ${t!.dtype}`,
        "train in f32 on wgsl (bf16: false) for now");
    }
  }
  const n = numel(param!.shape);
  const [b1, b2] = [attrNumber(a, "beta1"), attrNumber(a, "beta2")];
  const w = 1 - b1;
  const [P, G, M, V, LR, STEP, SCALE] = [param, grad, m, v, lr, step, gradScale].map((slot) => binding(kernel, slot!.param!));
  const momentum = w < 0.5 ? `mi + ${float(w)} * (g - mi)` : `g - (g - mi) * ${float(1 - w)}`;
  const stores = ([[pOut!, "p1"], [mOut!, "m1"], [vOut!, "v1"]] as const).flatMap(([slot, value]) =>
    slot.param === undefined ? [] : [`    ${binding(kernel, slot.param)}[i] = ${value};`]);
  const bindings = a.params.map((p, k) => WGSL.pointer(`p${k}`, p.dtype, p.access !== "read", k));
  const code = `// 1 - e^x for x <= 0: the series of -expm1(x) where it is small, 1 - exp(x) elsewhere.
fn one_minus_exp(x: f32) -> f32 {
  if (x > -0.5) {
    return -x * (1.0 + x * (0.5 + x * (${float(1 / 6)} + x * (${float(1 / 24)} + x * (${float(1 / 120)} + x * (${float(1 / 720)} +
      x * (${float(1 / 5040)} + x * ${float(1 / 40320)})))))));
  }
  return 1.0 - exp(x);
}

${WGSL.kernelHead(KERNEL_NAME, bindings)} {
  let t = f32(${STEP}[0]);
  let rate = ${LR}[0];
  let scale = ${SCALE}[0];
  let run = t >= 1.0;
  let step_size = rate / one_minus_exp(t * ${float(Math.log(b1))});
  let bc2_sqrt = sqrt(one_minus_exp(t * ${float(Math.log(b2))}));
  let decay = 1.0 - rate * ${float(attrNumber(a, "weight_decay"))};
  ${WGSL.gridLoop("i", n, 1)}
    let mi = ${M}[i];
    let vi = ${V}[i];
    let g = ${G}[i] * scale;
    let m1 = select(mi, ${momentum}, run);
    let v1 = select(vi, vi * ${float(b2)} + ${float(1 - b2)} * g * g, run);
    let p1 = select(${P}[i], ${P}[i] * decay - step_size * (m1 / (sqrt(v1) / bc2_sqrt + ${float(attrNumber(a, "eps"))})), run);
${stores.join("\n")}
  }
}`;
  return namedByCode("adamw", {
    code, params: a.params,
    grid: [Math.max(1, Math.min(MAX_WORKGROUPS, Math.ceil(n / WORKGROUP_SIZE))), 1, 1], block: [WORKGROUP_SIZE, 1, 1],
    sharedBytes: 0, flops: 16 * n, bytes: 28 * n,
  });
}
