// A wgsl run's files as bytes, in Node or in a browser (fetch, download): parameters as safetensors (F32 tensors only:
// the compiler writes the run's parameters in f32, and the page saves the trained ones in f32) and batches as the batch
// file every target reads (backends/cuda/runtime/batch-file.ts: a 24-byte header "TRNCBTCH", version, count, B, T; then
// per batch i32 epoch, tokens, and [B,T] input_ids, labels, position_ids). Shipped in the bundle; imports only the
// session (for its error type) and types.
// Invariants: batches are views of the given bytes; each parameter is copied out (a Float32Array needs 4-byte
// alignment, which a safetensors data offset need not have); a malformed file is a RuntimeError (6518) naming what
// is wrong.

import type { Batch, EpochBatch } from "../../../compiler/data/batches.ts";
import { RuntimeError } from "./session.ts";

function bad(what: string): never {
  throw new RuntimeError(6518, what, "compile the bundle again (trainc compile --target wgsl) so its run files are rewritten");
}

/** The F32 tensors of a safetensors file. */
export function readF32Safetensors(bytes: ArrayBuffer): Record<string, { shape: number[]; data: Float32Array }> {
  if (bytes.byteLength < 8) bad("parameters: shorter than a safetensors header");
  const size = Number(new DataView(bytes).getBigUint64(0, true));
  if (8 + size > bytes.byteLength) bad(`parameters: a header of ${size} bytes does not fit the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 8, size))) as Record<string, unknown>;
  } catch {
    return bad("parameters: the header is not JSON");
  }
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== "F32") bad(`parameters: ${name} is ${dtype}, not F32`);
    const count = shape.reduce((n, d) => n * d, 1);
    if (end - begin !== 4 * count || 8 + size + end > bytes.byteLength) bad(`parameters: ${name}'s bytes do not match its shape or the file`);
    out[name] = { shape, data: new Float32Array(bytes.slice(8 + size + begin, 8 + size + end)) };
  }
  return out;
}

/**
 * A safetensors file of F32 tensors, in the given order: the 8-byte header length, the JSON header (padded with spaces
 * to a multiple of 8 bytes, as the format recommends), then each tensor's little-endian bytes.
 */
export function writeF32Safetensors(
  tensors: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>>,
): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let end = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [end, end + 4 * t.data.length] };
    end += 4 * t.data.length;
  }
  const encoded = new TextEncoder().encode(JSON.stringify(header));
  const text = new Uint8Array(Math.ceil(encoded.length / 8) * 8).fill(0x20);
  text.set(encoded);
  const out = new Uint8Array(8 + text.length + end);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(Float32Array.from(t.data).buffer), at);
    at += 4 * t.data.length;
  }
  return out;
}

/** The batches of a batch file, as the training loop reads them (the file repeats epochs in order). */
export function* readBatchFile(bytes: ArrayBuffer): Generator<EpochBatch> {
  const head = new DataView(bytes, 0, Math.min(24, bytes.byteLength));
  const magic = new TextDecoder().decode(new Uint8Array(bytes, 0, Math.min(8, bytes.byteLength)));
  if (magic !== "TRNCBTCH" || bytes.byteLength < 24) bad("batches: not a trainc batch file");
  const [version, count, size, length] = [8, 12, 16, 20].map((at) => head.getUint32(at, true)) as [number, number, number, number];
  if (version !== 1) bad(`batches: version ${version}; this runtime reads version 1`);
  const plane = size * length;
  const record = 8 + 12 * plane;
  if (bytes.byteLength < 24 + count * record) bad(`batches: ${count} batches of [${size}, ${length}] do not fit the file`);
  for (let i = 0; i < count; i++) {
    const at = 24 + i * record;
    const words = new Int32Array(bytes, at, 2 + 3 * plane);
    const batch: Batch = {
      size, length, tokens: words[1]!,
      input_ids: words.subarray(2, 2 + plane), labels: words.subarray(2 + plane, 2 + 2 * plane),
      position_ids: words.subarray(2 + 2 * plane, 2 + 3 * plane),
    };
    yield { epoch: words[0]!, index: i, batch };
  }
}
