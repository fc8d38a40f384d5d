// The prepared-dataset cache (Axolotl's dataset_prepared_path): tokenized, length-filtered rows stored under a key
// that hashes everything preparation reads — the dataset entries as written, the bytes of every dataset file, the
// bytes of the tokenizer's files, the preparation options and PREPARED_VERSION — so a changed file, tokenizer or
// option misses the cache and an unchanged one hits it. Packing is not stored: it is redone each epoch in
// milliseconds (compiler/data/packing.ts), and it depends on the epoch.
// Layout: <dataset_prepared_path>/<key>/meta.json (stats, row count, files) and rows.bin (little-endian i32: every
// row's length, then every row's input_ids, labels, file index and line). An entry is written into a temporary
// folder and renamed into place only when complete, so a failed or interrupted preparation caches nothing.
// Invariants: load(store(x)) equals x; a folder whose files do not match their meta is an error (6216), never data.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fail } from "../diagnostics.ts";
import { DataError } from "./codes.ts";
import type { DatasetStats, LoadedDataset } from "./dataset.ts";
import type { TokenizedRow } from "./types.ts";

/** Bumped whenever preparation's output for the same inputs changes (a new format rule, a tokenization fix). */
export const PREPARED_VERSION = 2;

/** The files next to tokenizer.json that change how text is tokenized or templated. */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"];

/** What a cache key is made of: options (anything JSON), the dataset files, and the tokenizer's tokenizer.json. */
export interface CacheInputs {
  readonly options: unknown;
  readonly files: readonly string[];
  readonly tokenizerFile: string;
}

/** The cache key of `inputs`: 32 hex digits of a SHA-256 over the options and the bytes of every file read. */
export function preparedKey(inputs: CacheInputs): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ version: PREPARED_VERSION, options: inputs.options }));
  for (const file of inputs.files) hash.update(`\0data\0`).update(readFileSync(file));
  const dir = dirname(inputs.tokenizerFile);
  for (const name of TOKENIZER_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) hash.update(`\0${name}\0`).update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 32);
}

/** The dataset cached under `key` in `root`, or undefined when there is none. */
export function loadPrepared(root: string, key: string): LoadedDataset | undefined {
  const dir = join(root, key);
  if (!existsSync(dir)) return undefined;
  const meta = readMeta(dir);
  const words = readWords(join(dir, "rows.bin"), dir);
  const n = meta.rows;
  const lengths = words.subarray(0, n);
  const total = lengths.reduce((a, b) => a + b, 0);
  if (words.length !== n + 2 * total + 2 * n || total !== meta.stats.tokens) corrupt(dir, "rows.bin does not match meta.json");
  let at = n;
  const take = (count: number) => Array.from(words.subarray(at, (at += count)));
  const ids = Array.from(lengths, (length) => take(length));
  const labels = Array.from(lengths, (length) => take(length));
  const fileIndex = take(n);
  const lines = take(n);
  const rows: TokenizedRow[] = ids.map((input_ids, i) => ({
    input_ids, labels: labels[i]!, file: meta.sources[fileIndex[i]!] ?? corrupt(dir, `row ${i} names no file`), line: lines[i]!,
  }));
  return { rows, stats: meta.stats };
}

/**
 * Stores `dataset` under `key` in `root` (temporary folder, then rename); an existing entry is left as it is, also one
 * a concurrent run renamed into place first.
 */
export function storePrepared(root: string, key: string, dataset: LoadedDataset): void {
  const dir = join(root, key);
  if (existsSync(dir)) return;
  mkdirSync(root, { recursive: true });
  const temporary = join(root, `.${key}.${process.pid}.tmp`);
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary);
  try {
    const sources = [...new Set(dataset.rows.map((r) => r.file))];
    const fileIndex = new Map(sources.map((file, i) => [file, i]));
    const { rows } = dataset;
    const words = new Int32Array(rows.length * 3 + 2 * dataset.stats.tokens);
    let at = 0;
    const put = (values: readonly number[]) => (words.set(values, at), (at += values.length));
    put(rows.map((r) => r.input_ids.length));
    for (const r of rows) put(r.input_ids);
    for (const r of rows) put(r.labels);
    put(rows.map((r) => fileIndex.get(r.file)!));
    put(rows.map((r) => r.line));
    writeFileSync(join(temporary, "rows.bin"), new Uint8Array(words.buffer));
    const meta: Meta = { version: PREPARED_VERSION, rows: rows.length, sources, stats: dataset.stats };
    writeFileSync(join(temporary, "meta.json"), `${JSON.stringify(meta, null, 1)}\n`);
    try {
      renameSync(temporary, dir);
    } catch (e) {
      if (!existsSync(dir)) throw e;
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

/** Removes temporary folders that an interrupted preparation left in `root` (those of processes no longer running). */
export function sweepPrepared(root: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const pid = /^\.[0-9a-f]+\.(\d+)\.tmp$/.exec(name)?.[1];
    if (pid !== undefined && !running(Number(pid))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Whether a process with this id exists (signal 0 tests without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface Meta {
  readonly version: number;
  readonly rows: number;
  readonly sources: readonly string[];
  readonly stats: DatasetStats;
}

function readMeta(dir: string): Meta {
  let meta: Meta;
  try {
    meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta;
  } catch (e) {
    return corrupt(dir, `meta.json cannot be read (${(e as Error).message})`);
  }
  if (meta.version !== PREPARED_VERSION || !Number.isInteger(meta.rows) || !Array.isArray(meta.sources) || typeof meta.stats?.tokens !== "number") {
    corrupt(dir, "meta.json is not a trainc prepared dataset of this version");
  }
  return meta;
}

function readWords(file: string, dir: string): Int32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return corrupt(dir, `rows.bin cannot be read (${(e as Error).message})`);
  }
  if (bytes.length % 4 !== 0) corrupt(dir, "rows.bin is not a whole number of 32-bit words");
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function corrupt(dir: string, why: string): never {
  return fail(DataError.corruptPrepared, `the prepared dataset ${dir} is damaged: ${why}`,
    `delete ${dir}; the next run prepares the data again`);
}
