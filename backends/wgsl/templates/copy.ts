// Data movement on WebGPU: concat along an axis, gather along an axis (numpy.take), embedding (rows of [V, C] at the
// ids) and embedding_grad (their scatter-add), as ir/interpret/structural.ts, gather.ts and embedding.ts define them.
// Copies run a thread per output element. embedding_grad gives each thread one column of the weight's gradient: it
// zeroes the column, then adds the ids' rows in id order, so no two threads write one element (WGSL has no float
// atomics) and the sums are deterministic.
// Invariant: an index outside [0, size) reads as zeros (gather, embedding) or adds nothing (embedding_grad); WGSL
// kernels have no error channel, so the wgsl runtime checks token ids and labels on the host before a step.

import { numel, writtenResult, type Anchor } from "../../cuda/templates/anchor.ts";
import { axisLayout } from "../../cuda/templates/rows.ts";
import type { KernelSource } from "../../kernel.ts";
import { gridFor, makeWgslKernel, paramBytes } from "./source.ts";

/** The zero of a stored dtype (bool is stored as u32). */
function zero(dtype: string): string {
  return dtype === "f32" || dtype === "f16" ? "0.0" : dtype === "bool" ? "0u" : "0";
}

function axisOf(a: Anchor, rank: number): number {
  const axis = a.node.attrs["axis"] as number;
  return axis < 0 ? axis + rank : axis;
}

/** concat of the operands along `axis`. */
export function renderWgslConcat(a: Anchor): KernelSource {
  const y = writtenResult(a, 0);
  const axis = axisOf(a, y.shape.length);
  const [outer, total, inner] = axisLayout(y.shape, axis);
  const runs = a.args.map((x) => x.shape[axis]! * inner);
  const row = total * inner;
  const starts = runs.map((_, k) => runs.slice(0, k).reduce((x, r) => x + r, 0));
  const parts = a.args.map((_, k) => k).filter((k) => runs[k]! > 0);
  const copies = parts.map((k, i) => {
    const test = i === parts.length - 1 ? "" : `if (r < ${starts[k]! + runs[k]!}) `;
    return `    ${i === 0 ? "" : "else "}${test}{ y[i] = x${k}[o * ${runs[k]} + r - ${starts[k]}]; }`;
  });
  const n = outer * row;
  return makeWgslKernel({
    anchor: a, kind: "concat",
    roles: [...a.args.map((x, k) => [`x${k}`, x] as const), ["y", y] as const],
    summary: `join ${a.args.length} operands along axis ${axis} into [${y.shape.join(", ")}]`,
    body: parts.length === 0 ? "" : `  for (var i: i32 = i32(gid.x); i < ${n}; i += i32(groups.x) * 256) {
    let o = i / ${row};
    let r = i % ${row};
${copies.join("\n")}
  }`,
    grid: gridFor(n), flops: 0, bytes: paramBytes([...a.args, y]),
  });
}

/** Rows [outer, count, inner] taken from data [outer, size, inner] at the given indices. */
function renderTake(a: Anchor, kind: string, axis: number, summary: string): KernelSource {
  const [data, indices] = a.args;
  const y = writtenResult(a, 0);
  const [outer, size, inner] = axisLayout(data!.shape, axis);
  const count = numel(indices!.shape);
  const n = outer * count * inner;
  return makeWgslKernel({
    anchor: a, kind, summary, roles: [["data", data!], ["indices", indices!], ["y", y]],
    body: `  for (var i: i32 = i32(gid.x); i < ${n}; i += i32(groups.x) * 256) {
    let c = i % ${inner};
    let k = i / ${inner} % ${count};
    let o = i / ${inner * count};
    let id = i32(indices[k]);
    let ok = id >= 0 && id < ${size};
    y[i] = select(${zero(data!.dtype)}, data[(o * ${size} + select(0, id, ok)) * ${inner} + c], ok);
  }`,
    grid: gridFor(n), flops: 0, bytes: 4 * count + 8 * n,
  });
}

/** gather (numpy.take) along `axis`. */
export function renderWgslGather(a: Anchor): KernelSource {
  const data = a.args[0]!;
  const axis = axisOf(a, data.shape.length);
  return renderTake(a, "gather", axis, `take [${data.shape.join(", ")}] along axis ${axis} at ${numel(a.args[1]!.shape)} indices`);
}

/** embedding: rows of weight [V, C] at the ids. */
export function renderWgslEmbedding(a: Anchor): KernelSource {
  const weight = a.args[0]!;
  return renderTake(a, "embedding", 0, `rows of [${weight.shape.join(", ")}] at ${numel(a.args[1]!.shape)} ids`);
}

/** embedding_grad: dweight [V, C] = sum over positions n of dy[n] into row ids[n]. */
export function renderWgslEmbeddingGrad(a: Anchor): KernelSource {
  const [ids, dy] = a.args;
  const dw = writtenResult(a, 0);
  const [rows, cols] = dw.shape as [number, number];
  const count = numel(ids!.shape);
  return makeWgslKernel({
    anchor: a, kind: "embedding_grad", roles: [["ids", ids!], ["dy", dy!], ["dw", dw]],
    summary: `scatter-add of ${count} rows of [${dy!.shape.join(", ")}] into [${rows}, ${cols}], a thread per column`,
    body: `  for (var c: i32 = i32(gid.x); c < ${cols}; c += i32(groups.x) * 256) {
    for (var v: i32 = 0; v < ${rows}; v++) { dw[v * ${cols} + c] = 0.0; }
    for (var n: i32 = 0; n < ${count}; n++) {
      let id = i32(ids[n]);
      if (id >= 0 && id < ${rows}) { dw[id * ${cols} + c] += dy[n * ${cols} + c]; }
    }
  }`,
    grid: gridFor(cols), flops: count * cols, bytes: paramBytes([ids!, dy!, dw]),
  });
}
