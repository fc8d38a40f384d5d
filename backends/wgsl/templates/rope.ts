// Rotary embeddings on WebGPU: rope_tables (cos and sin [B, T, dim] from positions) and rope (x*cos +
// rotate_half(x)*sin on [B, T, H, D]), as ir/interpret/model.ts and ir/rope.ts define them, in f32 (Hugging Face's
// own precision: its angles are float32 products of float32 inverse frequencies).
// rope_tables: for default, linear, yarn and llama3 the inverse frequencies depend on attributes only and are baked
// in. dynamic and longrope depend on the batch's seq_len = max(position) + 1: every workgroup first reduces the
// positions itself (an atomic max in workgroup memory), then computes this batch's frequencies (longrope: the short
// or the long table, both baked; dynamic: HF's NTK formula in f32, each step rounded as ir/rope.ts rounds it).
// rope: a thread per pair (d, d + D/2) of one head.
// Invariant: angles are f32(pos) * inv_freq, their sin and cos from trig.ts, times the attention scaling.

import { ropeFrequencies } from "../../../ir/rope.ts";
import { numel, writtenResult, type Anchor } from "../../cuda/templates/anchor.ts";
import type { KernelSource } from "../../kernel.ts";
import { f32, f32Table, gridFor, makeWgslKernel, paramBytes, type Role } from "./source.ts";
import { SINCOS } from "./trig.ts";

const fr = Math.fround;

type Attrs = Anchor["node"]["attrs"];

/** WGSL `fn inv_freq(seq_len: i32, k: i32) -> f32` for the rope types that depend on seq_len. */
function batchFrequencies(attrs: Attrs, dim: number): string {
  if (attrs["rope_type"] === "longrope") {
    const original = (attrs["original_max_position_embeddings"] ?? attrs["max_position_embeddings"]) as number;
    return `${f32Table("SHORT_INV_FREQ", ropeFrequencies(attrs, original).invFreq)}
${f32Table("LONG_INV_FREQ", ropeFrequencies(attrs, original + 1).invFreq)}

// LongRoPE: long factors past the original context (${original} positions).
fn inv_freq(seq_len: i32, k: i32) -> f32 {
  return select(SHORT_INV_FREQ[k], LONG_INV_FREQ[k], seq_len > ${original});
}`;
  }
  const factor = attrs["factor"] as number;
  const max = attrs["max_position_embeddings"] as number;
  const exponents = Array.from({ length: dim / 2 }, (_, i) => fr((2 * i) / dim));
  return `${f32Table("DEFAULT_INV_FREQ", ropeFrequencies(attrs, 0).invFreq)}
${f32Table("EXPONENTS", exponents)}

// Dynamic NTK: default frequencies up to ${max} positions, then theta grows with seq_len.
fn inv_freq(seq_len: i32, k: i32) -> f32 {
  if (seq_len <= ${max}) { return DEFAULT_INV_FREQ[k]; }
  let ratio = (f32(seq_len) * ${f32(fr(factor))}) / ${f32(fr(max))} - ${f32(fr(factor - 1))};
  let base = ${f32(fr(attrs["theta"] as number))} * pow(ratio, ${f32(fr(dim / (dim - 2)))});
  return 1.0 / pow(base, EXPONENTS[k]);
}`;
}

/** rope_tables: cos and sin [B, T, dim] for positions [B, T]. */
export function renderWgslRopeTables(a: Anchor): KernelSource {
  const pos = a.args[0]!;
  const [cos, sin] = a.results;
  const attrs = a.node.attrs;
  const dim = attrs["dim"] as number;
  const half = dim / 2;
  const rows = numel(pos.shape);
  const perBatch = attrs["rope_type"] === "dynamic" || attrs["rope_type"] === "longrope";
  const { attentionScaling } = ropeFrequencies(attrs, 0);
  const frequencies = perBatch ? batchFrequencies(attrs, dim) : `${f32Table("INV_FREQ", ropeFrequencies(attrs, 0).invFreq)}

fn inv_freq(seq_len: i32, k: i32) -> f32 { return INV_FREQ[k]; }`;
  const roles: Role[] = [["pos", pos]];
  const writes: string[] = [];
  for (const [name, slot] of [["cos_out", cos!], ["sin_out", sin!]] as const) {
    if (slot.param === undefined) continue;
    roles.push([name, slot]);
    const [lane, column] = name === "cos_out" ? ["y", "k"] : ["x", "k"];
    writes.push(`    ${name}[row * ${dim} + ${column}] = sc.${lane} * ${f32(attentionScaling)};`,
      `    ${name}[row * ${dim} + ${column} + ${half}] = sc.${lane} * ${f32(attentionScaling)};`);
  }
  const reduce = perBatch ? `  for (var r: i32 = i32(lid.x); r < ${rows}; r += 256) { atomicMax(&top, pos[r]); }
  workgroupBarrier();
  let seq_len = atomicLoad(&top) + 1;` : "  let seq_len = 0;";
  return makeWgslKernel({
    anchor: a, kind: "rope_tables", roles,
    summary: `${attrs["rope_type"]} rotary cos/sin tables [${[...pos.shape, dim].join(", ")}] f32`,
    helpers: `${SINCOS}

${frequencies}${perBatch ? "\n\nvar<workgroup> top: atomic<i32>;" : ""}`,
    body: `${reduce}
  for (var i: i32 = i32(gid.x); i < ${rows * half}; i += i32(groups.x) * 256) {
    let row = i / ${half};
    let k = i % ${half};
    let sc = trainc_sincos(f32(pos[row]) * inv_freq(seq_len, k));
${writes.join("\n")}
  }`,
    grid: gridFor(rows * half),
    flops: 6 * rows * half,
    bytes: paramBytes([pos, ...[cos!, sin!].filter((s) => s.param !== undefined)]),
  });
}

/** rope: x [B, T, H, D] rotated by cos, sin [B, T, D]. */
export function renderWgslRope(a: Anchor): KernelSource {
  const [x, cos, sin] = a.args;
  const y = writtenResult(a, 0);
  const [b, t, h, d] = x!.shape as [number, number, number, number];
  const half = d / 2;
  const pairs = b * t * h * half;
  return makeWgslKernel({
    anchor: a, kind: "rope", roles: [["x", x!], ["cos_t", cos!], ["sin_t", sin!], ["y", y]],
    summary: `x*cos + rotate_half(x)*sin on [${x!.shape.join(", ")}] f32`,
    body: `  for (var i: i32 = i32(gid.x); i < ${pairs}; i += i32(groups.x) * 256) {
    let k = i % ${half};
    let head = i / ${half};
    let bt = head / ${h};
    let x1 = x[head * ${d} + k];
    let x2 = x[head * ${d} + ${half} + k];
    y[head * ${d} + k] = x1 * cos_t[bt * ${d} + k] - x2 * sin_t[bt * ${d} + k];
    y[head * ${d} + ${half} + k] = x2 * cos_t[bt * ${d} + ${half} + k] + x1 * sin_t[bt * ${d} + ${half} + k];
  }`,
    grid: gridFor(pairs),
    flops: 3 * numel(x!.shape),
    bytes: paramBytes([x!, cos!, sin!, y]),
  });
}
