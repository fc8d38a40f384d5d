// IEEE binary16 (f16) bits to and from numbers, for the readers of f16 files and for the wgsl runtime's f16 tensors.
// Imports nothing: the wgsl bundle ships this file to the browser as JavaScript (backends/wgsl/host.ts RUNTIME).
// Invariants: halfToFloat is exact; floatToHalf rounds to nearest, ties to even, with subnormals, and overflows to
// infinity; NaN stays NaN (a quiet NaN's bits).

const wide = new Float32Array(1);
const wideBits = new Uint32Array(wide.buffer);

/** IEEE binary16 bits -> number (exact). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The binary16 bits nearest to x as an f32 (ties to even; beyond the f16 range, infinity). */
export function floatToHalf(x: number): number {
  wide[0] = x;
  const bits = wideBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent === 128 + 15) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 31) return sign | 0x7c00;
  const [value, shift] = exponent > 0 ? [(exponent << 23) | mantissa, 13] : [mantissa | 0x800000, 14 - exponent];
  if (shift > 24) return sign;
  const kept = Math.floor(value / 2 ** shift);
  const rest = value - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return sign | (kept + (rest > half || (rest === half && kept % 2 === 1) ? 1 : 0));
}
