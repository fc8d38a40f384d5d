// Reading a wgsl run's files from bytes, in Node or in a browser (fetch): parameters as safetensors (F32 tensors
// only: the compiler writes the run's parameters in f32) and batches as the batch file every target reads
// (backends/cuda/runtime/batch-file.ts: a 24-byte header "TRNCBTCH", version, count, B, T; then per batch i32 epoch,
// tokens, and [B,T] input_ids, labels, position_ids).
// Shipped in the bundle; imports only the session (for its error type) and types.
// Invariants: views share the given bytes (nothing is copied but the header); a malformed file is a RuntimeError
// (6518) naming what is wrong.

import type { Batch, EpochBatch } from "../../../compiler/data/batches.ts";
import { RuntimeError } from "./session.ts";

function bad(what: string): never {
  throw new RuntimeError(6518, what, "compile the bundle again (trainc compile --target wgsl) so its run files are rewritten");
}

/** The F32 tensors of a safetensors file. */
export function readF32Safetensors(bytes: ArrayBuffer): Record<string, { shape: number[]; data: Float32Array }> {
  if (bytes.byteLength < 8) bad("parameters: shorter than a safetensors header");
  const size = Number(new DataView(bytes).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 8, size))) as Record<string, unknown>;
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== "F32") bad(`parameters: ${name} is ${dtype}, not F32`);
    const start = 8 + size + begin;
    out[name] = { shape, data: new Float32Array(bytes.slice(start, 8 + size + end)) };
  }
  return out;
}

/** The batches of a batch file, as the training loop reads them (the file repeats epochs in order). */
export function* readBatchFile(bytes: ArrayBuffer): Generator<EpochBatch> {
  const head = new DataView(bytes, 0, Math.min(24, bytes.byteLength));
  const magic = new TextDecoder().decode(new Uint8Array(bytes, 0, Math.min(8, bytes.byteLength)));
  if (magic !== "TRNCBTCH" || bytes.byteLength < 24) bad("batches: not a trainc batch file");
  const [count, size, length] = [12, 16, 20].map((at) => head.getUint32(at, true)) as [number, number, number];
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
