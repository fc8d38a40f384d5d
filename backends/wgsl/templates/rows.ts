// softmax and logsumexp along one axis on WebGPU, as ir/interpret/reduce.ts defines them, and the row log-sum-exp
// they share with the cross-entropy kernels (loss.ts). A tensor is seen as [OUTER, N, INNER] around the axis; a
// workgroup per line (grid-stride over the OUTER x INNER lines) reduces the line's max and then its sum of
// exponentials through workgroup memory (the language's workgroup reductions, wgsl/language.ts; through subgroup
// operations where the device offers them), in f32.
// Invariant: a line's maximum starts at f32's lowest, not -inf (WGSL lets an implementation assume no infinities), and
// softmax divides exp(x - max) by the line's sum, so a line of lowest-valued entries (masked scores) gives 1/N each,
// as the interpreter does.

import { numel, writtenResult, type Anchor } from "../../cuda/templates/anchor.ts";
import { axisLayout } from "../../cuda/templates/rows.ts";
import type { KernelSource } from "../../kernel.ts";
import { workgroupReduce, workgroupScratch } from "../language.ts";
import { MAX_WORKGROUPS, makeWgslKernel, paramBytes } from "./source.ts";

/**
 * WGSL helpers defining row_stat(r, t): line r's maximum m and sum of exp(x - m), as a vec2, and row_lse(r, t): its
 * log-sum-exp (m when m is not finite); the same values in every thread of the workgroup. `length` names the line's
 * length; `at(j)` is the expression of element j of line r.
 */
export function rowLse(subgroups: boolean, length: string, at: (j: string) => string): string {
  return `${workgroupScratch("float", 256).text}

${workgroupReduce("max", "float", 256, subgroups)}

${workgroupReduce("sum", "float", 256, subgroups)}

fn row_stat(r: i32, t: u32) -> vec2<f32> {
  var top = -0x1.fffffep+127f;  // the lowest f32: WGSL lets an implementation assume no infinities arise
  for (var j: i32 = i32(t); j < ${length}; j += 256) { top = max(top, ${at("j")}); }
  let m = trainc_block_max(top, i32(t));
  var sum = 0.0;
  for (var j: i32 = i32(t); j < ${length}; j += 256) { sum += exp(${at("j")} - m); }
  return vec2<f32>(m, trainc_block_sum(sum, i32(t)));
}

fn row_lse(r: i32, t: u32) -> f32 {
  let stat = row_stat(r, t);
  return select(stat.x, stat.x + log(stat.y), abs(stat.x) != trainc_inf());
}`;
}

/**
 * A kernel of `kind` over the lines of x: the constants and row_stat / row_lse (element j of line r sits at BASE(r) +
 * j * INNER), then `perLine` for each line r (a workgroup each, grid-stride).
 */
function lineKernel(a: Anchor, kind: "softmax" | "logsumexp", subgroups: boolean, perLine: string, flopsPerElement: number): KernelSource {
  const x = a.args[0]!;
  const y = writtenResult(a, 0);
  const [outer, n, inner] = axisLayout(x.shape as number[], a.node.attrs["axis"] as number);
  const count = outer * inner;
  return makeWgslKernel({
    anchor: a, kind, roles: [["x", x], ["y", y]],
    summary: `${kind} of ${count} lines of ${n} along axis ${a.node.attrs["axis"]}, a workgroup per line`,
    helpers: `const N: i32 = ${n};  // the axis' length
const INNER: i32 = ${inner};
const LINES: i32 = ${count};

fn line_base(r: i32) -> i32 { return (r / INNER) * N * INNER + r % INNER; }

${rowLse(subgroups, "N", (j) => `x[line_base(r) + ${j} * INNER]`)}`,
    body: `  for (var r: i32 = i32(wg.x); r < LINES; r += i32(groups.x)) {
${perLine}
  }`,
    grid: [Math.min(count, MAX_WORKGROUPS), 1, 1],
    flops: flopsPerElement * numel(x.shape), bytes: paramBytes([x, y]),
  });
}

/** softmax(x) along `axis`. */
export function renderWgslSoftmax(a: Anchor, subgroups = false): KernelSource {
  return lineKernel(a, "softmax", subgroups, `    let stat = row_stat(r, lid.x);
    for (var j: i32 = i32(lid.x); j < N; j += 256) {
      let at = line_base(r) + j * INNER;
      y[at] = exp(x[at] - stat.x) / stat.y;
    }`, 4);
}

/** logsumexp(x) along `axis` (keepdims does not change the memory layout). */
export function renderWgslLogsumexp(a: Anchor, subgroups = false): KernelSource {
  return lineKernel(a, "logsumexp", subgroups, `    let lse = row_lse(r, lid.x);
    if (lid.x == 0u) { y[r] = lse; }`, 3);
}
