// Inputs and references for the attention kernel tests: seeded q, k, v, dout (rounded to the spec's 16-bit type),
// document segment ids and the ranges the kernels read (their document ranges, or with spec.prefix prefix-LM ranges
// of them and random prompt runs, test/harness/documents.ts), byte encodings of buffers, the interpreter's attention / attention_grad (the meaning of the
// op) and a naive log-sum-exp per row (the forward kernel's second output, which the IR op does not have).
// Invariant: references are computed in f64 from exactly the values the kernels read.

import { makeRandom } from "../../../../compiler/random.ts";
import type { AttentionSpec } from "../../../../backends/cuda/attention/spec.ts";
import { GraphBuilder } from "../../../../ir/builder.ts";
import { interpret } from "../../../../ir/interpret/index.ts";
import { fromArray, roundArray, toArray } from "../../../../ir/tensor.ts";
import { floatToHalf, halfToFloat } from "../../../../ir/half.ts";
import { documentRanges, prefixLmRanges } from "../../../harness/documents.ts";

/** Host copies of the kernels' inputs, as the exact values the kernels read. */
export interface Inputs {
  readonly q: Float64Array;
  readonly k: Float64Array;
  readonly v: Float64Array;
  readonly dout: Float64Array;
  readonly seg: Int32Array | undefined;
  /** What the kernels read with documents: document ranges [B,T,2], or prefix-LM ranges [B,T,4] with spec.prefix. */
  readonly ranges: Int32Array | undefined;
}

/** Ranges per position of a spec with documents: 4 for prefix-LM ranges, else 2. */
export function rangeWidth(spec: AttentionSpec): number {
  return spec.prefix ? 4 : 2;
}

/**
 * Running counts of trained positions per row for document ranges [B,T,2]: each document's first 0 to half of its
 * positions are its prompt (untrained), so prompts span several tiles of the longer documents.
 */
function trainedCounts(spec: AttentionSpec, ranges: Int32Array, seed: number): Int32Array {
  const next = makeRandom(seed);
  const counts = new Int32Array(spec.B * spec.Tq);
  let promptEnd = 0;
  for (let i = 0; i < counts.length; i++) {
    const [start, end] = [ranges[2 * i]!, ranges[2 * i + 1]!];
    if (i % spec.Tq === start) promptEnd = start + Math.floor(next() * ((end - start) / 2 + 1));
    counts[i] = (i % spec.Tq === 0 ? 0 : counts[i - 1]!) + (i % spec.Tq < promptEnd ? 0 : 1);
  }
  return counts;
}

/** The ranges the kernels read for segment ids `seg` (see Inputs.ranges). */
function kernelRanges(spec: AttentionSpec, seg: Int32Array, seed: number): Int32Array {
  const ranges = documentRanges(seg, spec.B, spec.Tq);
  return spec.prefix ? prefixLmRanges(ranges, trainedCounts(spec, ranges, seed), spec.B, spec.Tq) : ranges;
}

function values(spec: AttentionSpec, count: number, seed: number, spread: number): Float64Array {
  const next = makeRandom(seed);
  const raw = Array.from({ length: count }, () => spread * (2 * next() - 1));
  return Float64Array.from(spec.dtype === "f32" ? Float32Array.from(raw) : roundArray(spec.dtype, raw));
}

/** Segment ids per batch row: documents of random lengths (1 to T/2 tokens), numbered from 0 in each row. */
function segments(spec: AttentionSpec, seed: number): Int32Array {
  const next = makeRandom(seed);
  const ids = new Int32Array(spec.B * spec.Tq);
  for (let b = 0; b < spec.B; b++) {
    let doc = 0;
    let left = 1 + Math.floor(next() * (spec.Tq / 2));
    for (let t = 0; t < spec.Tq; t++) {
      if (left === 0) {
        doc += 1;
        left = 1 + Math.floor(next() * (spec.Tq / 2));
      }
      ids[b * spec.Tq + t] = doc;
      left -= 1;
    }
  }
  return ids;
}

/** Seeded inputs for a spec. */
export function makeInputs(spec: AttentionSpec, seed: number): Inputs {
  const nq = spec.B * spec.Tq * spec.Hq * spec.D;
  const nk = spec.B * spec.Tk * spec.Hk * spec.D;
  const seg = spec.documents ? segments(spec, seed + 4) : undefined;
  return {
    q: values(spec, nq, seed, 2), k: values(spec, nk, seed + 1, 2), v: values(spec, nk, seed + 2, 1),
    dout: values(spec, nq, seed + 3, 1), seg, ranges: seg && kernelRanges(spec, seg, seed + 5),
  };
}

/** Little-endian bytes of values in a kernel buffer's dtype. */
export function encode(dtype: AttentionSpec["dtype"] | "i32", data: ArrayLike<number>): Uint8Array {
  if (dtype === "i32") return new Uint8Array(Int32Array.from(data).buffer);
  if (dtype === "f16") return new Uint8Array(Uint16Array.from(data, floatToHalf).buffer);
  const f32 = Float32Array.from(data);
  if (dtype === "f32") return new Uint8Array(f32.buffer);
  const bits = new Uint32Array(f32.buffer);
  return new Uint8Array(Uint16Array.from(bits, (b) => b >>> 16).buffer);
}

/** Values of a kernel buffer's bytes. */
export function decode(dtype: AttentionSpec["dtype"], bytes: Uint8Array): Float64Array {
  const copy = bytes.slice();
  if (dtype === "f32") return Float64Array.from(new Float32Array(copy.buffer));
  const bits = new Uint16Array(copy.buffer);
  if (dtype === "f16") return Float64Array.from(bits, halfToFloat);
  return Float64Array.from(new Float32Array(Uint32Array.from(bits, (b) => b << 16).buffer));
}

function runAttention(spec: AttentionSpec, x: Inputs, grad: boolean): Float64Array[] {
  const g = new GraphBuilder("reference");
  const qShape = [spec.B, spec.Tq, spec.Hq, spec.D];
  const kShape = [spec.B, spec.Tk, spec.Hk, spec.D];
  const feeds = { q: fromArray("f64", qShape, x.q), k: fromArray("f64", kShape, x.k), v: fromArray("f64", kShape, x.v),
    dout: fromArray("f64", qShape, x.dout),
    ...(x.ranges ? { ranges: fromArray("i32", [spec.B, spec.Tq, rangeWidth(spec)], x.ranges) } : {}) };
  const args = [g.input("q", "f64", qShape), g.input("k", "f64", kShape), g.input("v", "f64", kShape)];
  if (grad) args.push(g.input("dout", "f64", qShape));
  if (x.ranges) args.push(g.input("ranges", "i32", [spec.B, spec.Tq, rangeWidth(spec)]));
  const attrs = { causal: spec.causal, scale: spec.scale, window: spec.window };
  const outs = grad ? g.ops("attention_grad", args, attrs) : [g.op("attention", args, attrs)];
  outs.forEach((v, i) => g.output(`r${i}`, v));
  const used = Object.fromEntries(Object.entries(feeds).filter(([n]) => n !== "dout" || grad));
  const result = interpret(g.build(), used);
  return outs.map((_, i) => Float64Array.from(toArray(result[`r${i}`]!)));
}

/** The interpreter's attention output [B,Tq,Hq,D]. */
export function referenceOut(spec: AttentionSpec, x: Inputs): Float64Array {
  return runAttention(spec, x, false)[0]!;
}

/** The interpreter's (dq, dk, dv). */
export function referenceGrads(spec: AttentionSpec, x: Inputs): Float64Array[] {
  return runAttention(spec, x, true);
}

/** ln(sum over visible keys of exp(scale * q.k)) per [B,Hq,Tq] row; +inf for a row that sees no key. */
export function referenceLse(spec: AttentionSpec, x: Inputs): Float64Array {
  const lse = new Float64Array(spec.B * spec.Hq * spec.Tq);
  const group = spec.Hq / spec.Hk;
  for (let b = 0; b < spec.B; b++) for (let h = 0; h < spec.Hq; h++) for (let i = 0; i < spec.Tq; i++) {
    const scores: number[] = [];
    for (let j = 0; j < spec.Tk; j++) {
      if ((spec.causal && j > i) || (spec.window > 0 && i - j >= spec.window)) continue;
      const at = rangeWidth(spec) * (b * spec.Tq + i);
      if (x.ranges && !(x.ranges[at]! <= j && j < x.ranges[at + 1]!)) continue;
      let s = 0;
      for (let d = 0; d < spec.D; d++) {
        s += x.q[((b * spec.Tq + i) * spec.Hq + h) * spec.D + d]! *
          x.k[((b * spec.Tk + j) * spec.Hk + Math.floor(h / group)) * spec.D + d]!;
      }
      scores.push(s * spec.scale);
    }
    const max = Math.max(...scores);
    lse[(b * spec.Hq + h) * spec.Tq + i] = scores.length === 0 ? Infinity :
      max + Math.log(scores.reduce((acc, s) => acc + Math.exp(s - max), 0));
  }
  return lse;
}
