// Bit-level codecs of the narrow float formats safetensors stores (F16, BF16, F8_E4M3, F8_E5M2): code -> value
// tables for reading, value -> code for writing. Rounding happens before encoding (ir/tensor.ts's roundTo), so
// encodeFloat only packs values that are exactly representable.
// Invariant: decodeTable(f)[encodeFloat(v, ...f widths)] === v for every representable v; assumes a little-endian host.

/** Values of all 2^bits codes of a float format, decoded once per format. */
const tables = new Map<string, Float32Array>();

export function decodeTable(format: "F16" | "BF16" | "F8_E4M3" | "F8_E5M2"): Float32Array {
  const [exponentBits, mantissaBits, finiteOnly] = ({ F16: [5, 10, false], BF16: [8, 7, false], F8_E4M3: [4, 3, true], F8_E5M2: [5, 2, false] } as const)[format];
  let table = tables.get(format);
  if (!table) {
    table = new Float32Array(2 ** (1 + exponentBits + mantissaBits));
    for (let code = 0; code < table.length; code++) table[code] = decodeFloat(code, exponentBits, mantissaBits, finiteOnly);
    tables.set(format, table);
  }
  return table;
}

/** One float code -> value. `finiteOnly` is the "fn" variant: the top exponent holds numbers, all-ones is NaN. */
function decodeFloat(code: number, exponentBits: number, mantissaBits: number, finiteOnly: boolean): number {
  const sign = code >> (exponentBits + mantissaBits) ? -1 : 1;
  const exponent = (code >> mantissaBits) & ((1 << exponentBits) - 1);
  const mantissa = code & ((1 << mantissaBits) - 1);
  const top = (1 << exponentBits) - 1;
  const bias = (1 << (exponentBits - 1)) - 1;
  if (finiteOnly ? exponent === top && mantissa === (1 << mantissaBits) - 1 : exponent === top) {
    return mantissa !== 0 || finiteOnly ? NaN : sign * Infinity;
  }
  if (exponent === 0) return sign * mantissa * 2 ** (1 - bias - mantissaBits);
  return sign * (1 + mantissa / 2 ** mantissaBits) * 2 ** (exponent - bias);
}

// Scratch views of one float64, to read a double's sign, exponent and top mantissa bits (little-endian host).
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** Bits of a value exactly representable in an IEEE format with the given widths (after roundTo). */
export function encodeFloat(value: number, exponentBits: number, mantissaBits: number): number {
  scratch[0] = value;
  const high = words[1]!;
  const signBit = (high >>> 31) << (exponentBits + mantissaBits);
  const top = (1 << exponentBits) - 1;
  if (Number.isNaN(value)) return (top << mantissaBits) | (1 << (mantissaBits - 1));
  const exponent = ((high >>> 20) & 0x7ff) - 1023;
  if (exponent === 1024) return signBit | (top << mantissaBits);
  const bias = (1 << (exponentBits - 1)) - 1;
  if (exponent < 1 - bias) return signBit | (Math.abs(value) / 2 ** (1 - bias - mantissaBits));
  return signBit | ((exponent + bias) << mantissaBits) | ((high & 0xfffff) >>> (20 - mantissaBits));
}
