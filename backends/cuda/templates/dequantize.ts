// dequantize: 4-bit codes (two per byte, low nibble first) to floats, level(code) * absmax[i / block_size], as
// ir/interpret/quant.ts defines it: the nf4 levels are bitsandbytes' float32 constants, the int4 ones signed code / 7
// in double; the product is computed in double and rounded once into the result dtype, as the interpreter does.
// One thread decodes G consecutive elements (G divides both the element count and block_size, so they share one
// absmax and start on a byte when G is even) from one aligned load of G/2 bytes, and stores them with one access.

import { INT4_LEVELS, NF4_LEVELS } from "../../../ir/interpret/quant.ts";
import { attrNumber, elementBytes, numel, writtenResult, type Anchor } from "./anchor.ts";
import { doubleTable, grid1d, makeKernel, vectorWidth } from "./source.ts";

const PAIRED = `  const long long i = (static_cast<long long>(blockIdx.x) * 256 + threadIdx.x) * G;
  if (i >= NUMEL) return;
  const Pack<unsigned char, G / 2> bytes = load_pack<G / 2>(codes + i / 2);
  const double scale = static_cast<double>(widen(absmax[i / BLOCK]));
  double out[G];
#pragma unroll
  for (int j = 0; j < G / 2; ++j) {
    out[2 * j] = LEVELS[bytes.v[j] & 15] * scale;
    out[2 * j + 1] = LEVELS[bytes.v[j] >> 4] * scale;
  }
  store_math<G>(y + i, out);`;

const SINGLE = `  const long long i = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (i >= NUMEL) return;
  const unsigned char byte = codes[i / 2];
  const int code = i % 2 == 0 ? byte & 15 : byte >> 4;
  narrow(y[i], LEVELS[code] * static_cast<double>(widen(absmax[i / BLOCK])));`;

/** dequantize(q, absmax) -> floats of q's shape. */
export function renderDequantize(a: Anchor) {
  const [q, absmax] = a.args;
  const y = writtenResult(a, 0);
  const n = numel(q!.shape);
  const block = attrNumber(a, "block_size");
  const g = vectorWidth([n, block], Math.min(16, 16 / elementBytes(y.dtype)));
  const paired = g >= 2;
  const detail = `constexpr long long NUMEL = ${n};
constexpr long long BLOCK = ${block};  // elements per absmax
${paired ? `constexpr int G = ${g};  // elements per thread\n` : ""}${doubleTable("LEVELS", q!.dtype === "nf4" ? NF4_LEVELS : INT4_LEVELS)}`;
  return makeKernel({
    anchor: a, detail,
    summary: `${q!.dtype} codes of [${q!.shape.join(", ")}] times absmax per ${block} elements, to ${y.dtype}`,
    helpers: ["pack"],
    roles: [["codes", q!], ["absmax", absmax!], ["y", y]],
    body: paired ? PAIRED : SINGLE,
    threads: 256,
    grid: grid1d(n / g, 256),
    flops: n,
  });
}
