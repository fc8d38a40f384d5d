// Data movement: concat along an axis, gather along an axis (numpy.take) and embedding (a row gather from [V, C]),
// as ir/interpret/structural.ts, gather.ts and embedding.ts define them. Elements are copied unchanged, as words of
// W elements (up to 16 bytes) where W divides every contiguous run the copy moves, so every access is aligned and
// lies inside one source; one thread moves one word, coalesced.
// An index outside [0, size) (negative ones are not wrapped) raises 6121 for gather and 6110 for embedding
// (device-error.ts) once per bad index, and the destination run is written as zeros instead of being read.

import { cType, elementBytes, numel, tensorBytes, writtenResult, type Anchor } from "./anchor.ts";
import { axisLayout } from "./rows.ts";
import { grid1d, makeKernel, vectorWidth } from "./source.ts";

function axisOf(a: Anchor, rank: number): number {
  const axis = a.node.attrs["axis"] as number;
  return axis < 0 ? axis + rank : axis;
}

/** concat of the operands along `axis`. */
export function renderConcat(a: Anchor) {
  const y = writtenResult(a, 0);
  const axis = axisOf(a, y.shape.length);
  const [outer, total, inner] = axisLayout(y.shape, axis);
  const runs = a.args.map((x) => x.shape[axis]! * inner);
  const w = vectorWidth(runs, 16 / elementBytes(y.dtype));
  const starts = runs.map((_, k) => runs.slice(0, k).reduce((s, r) => s + r, 0));
  const parts = a.args.map((_, k) => k).filter((k) => runs[k]! > 0);
  const detail = `constexpr long long ROW = ${total * inner};  // elements of one output row (all axes from ${axis} on)
constexpr int W = ${w};  // elements per word
constexpr long long WORDS = ${(outer * total * inner) / w};
${parts.map((k) => `constexpr long long RUN${k} = ${runs[k]}, START${k} = ${starts[k]};  // operand ${k}`).join("\n")}`;
  const copies = parts.map((k, i) => {
    const test = i === parts.length - 1 ? "" : `if (r < START${k} + RUN${k}) `;
    return `${i === 0 ? "  " : "  else "}${test}store_pack<W>(dst, load_pack<W>(x${k} + o * RUN${k} + (r - START${k})));`;
  });
  const body = `  const long long word = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (word >= WORDS) return;
  const long long o = word / (ROW / W);
  const long long r = word % (ROW / W) * W;  // element offset in the output row
  auto* dst = y + o * ROW + r;
${copies.join("\n")}`;
  return makeKernel({
    anchor: a,
    summary: `join ${a.args.length} operands along axis ${axis} into [${y.shape.join(", ")}] ${y.dtype}`,
    detail,
    helpers: ["pack"],
    roles: [...a.args.map((x, k) => [`x${k}`, x] as const), ["y", y] as const],
    body: parts.length > 0 ? body : "",
    threads: 256,
    grid: grid1d(numel(y.shape) / w, 256),
    flops: 0,
  });
}

/** Rows [outer, count, inner] taken from data [outer, size, inner] at the given indices. */
function renderTake(a: Anchor, axis: number, code: number, summary: string) {
  const [data, indices] = a.args;
  const y = writtenResult(a, 0);
  const [outer, size, inner] = axisLayout(data!.shape, axis);
  const count = numel(indices!.shape);
  const w = vectorWidth([inner], 16 / elementBytes(data!.dtype));
  const detail = `constexpr long long OUTER = ${outer}, SIZE = ${size}, COUNT = ${count}, INNER = ${inner};
constexpr int W = ${w};  // elements per word
constexpr long long WORDS = OUTER * COUNT * INNER / W;`;
  const body = `  const long long word = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (word >= WORDS) return;
  const long long i = word % (INNER / W) * W;
  const long long k = word / (INNER / W) % COUNT;
  const long long o = word / (INNER / W) / COUNT;
  const long long id = static_cast<long long>(indices[k]);
  auto* dst = y + (o * COUNT + k) * INNER + i;
  if (id < 0 || id >= SIZE) {
    if (o == 0 && i == 0) trainc_raise(${code}, SITE, k, id, SIZE);
    store_pack<W>(dst, Pack<${cType(y.dtype, a.kernel.name)}, W>{});
    return;
  }
  store_pack<W>(dst, load_pack<W>(data + (o * SIZE + id) * INNER + i));`;
  return makeKernel({
    anchor: a, summary, detail, body, raises: true,
    helpers: ["pack"],
    roles: [["data", data!], ["indices", indices!], ["y", y]],
    threads: 256,
    grid: grid1d((outer * count * inner) / w, 256),
    flops: 0,
    bytes: tensorBytes(indices!) + 2 * tensorBytes(y),
  });
}

/** gather (numpy.take) along `axis`. */
export function renderGather(a: Anchor) {
  const data = a.args[0]!;
  const axis = axisOf(a, data.shape.length);
  return renderTake(a, axis, 6121,
    `take [${data.shape.join(", ")}] ${data.dtype} along axis ${axis} at ${numel(a.args[1]!.shape)} indices`);
}

/** embedding: rows of weight [V, C] at the ids. */
export function renderEmbedding(a: Anchor) {
  const weight = a.args[0]!;
  return renderTake(a, 0, 6110,
    `rows of [${weight.shape.join(", ")}] ${weight.dtype} at ${numel(a.args[1]!.shape)} ids`);
}
