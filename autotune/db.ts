// The tuning DB: one JSON-lines file, a header line then one record per line, only ever appended to. Every measured
// candidate is kept (`measurement`), each finished search adds the config it chose (`choice`), and each device's
// measured roofline is kept once (`ceilings`). A record's key is the kernel's content hash, the search space's id
// (template and version), the device and the toolchain: a tuning is used only where all four are equal, so a DB
// filled on another GPU, driver, compiler or space version is never applied by mistake (lookups say what they skipped).
// Invariants: a file that is not a whole trainc tuning DB is refused (E5801) before anything is written, and it is
// never rewritten or truncated; each record is appended as one line as soon as it is known, so an interrupted sweep
// keeps what it measured; reading then appending gives the same DB as one longer run.
//
// Error codes defined here:
//   5801  the DB file is not a trainc tuning DB, or a line of it is damaged
//   5802  the DB file cannot be read or written

import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { fail } from "../compiler/diagnostics.ts";
import { cacheRoot } from "../backends/cache.ts";

/** The first line of every tuning DB. */
const HEADER = { record: "trainc-tuning-db", version: 1 } as const;

/** Where a tuning belongs: all four must match for it to be used. */
export interface TuningKey {
  /** Content hash of the kernel (backends/tunable.ts kernelContentHash). */
  readonly kernel: string;
  /** The search space's id, e.g. `wgsl-gemm/1`. */
  readonly space: string;
  /** The device, e.g. `NVIDIA H200 (sm_90, driver 580.95)`. */
  readonly device: string;
  /** The toolchain, e.g. `Build cuda_13.0.r13.0/compiler.36424714_0 (sm_90a), cuBLASLt 13.1.0` (nvcc, arch, cuBLASLt). */
  readonly toolchain: string;
}

const config = z.record(z.string(), z.number());
const key = { kernel: z.string(), space: z.string(), device: z.string(), toolchain: z.string() };

const MEASUREMENT = z.object({
  record: z.literal("measurement"), ...key, problem: z.string(), config,
  /** Median milliseconds of one run; absent when the candidate failed (then `error` says why). */
  ms: z.number().positive().optional(), error: z.string().optional(), date: z.string(),
}).strict();

const CHOICE = z.object({
  record: z.literal("choice"), ...key, problem: z.string(), config, ms: z.number().positive(),
  heuristic_ms: z.number().positive(), measured: z.number().int().nonnegative(), strategy: z.string(), date: z.string(),
}).strict();

const CEILINGS = z.object({
  record: z.literal("ceilings"), device: z.string(), toolchain: z.string(),
  flops_per_second: z.number().positive(), bytes_per_second: z.number().positive(), date: z.string(),
}).strict();

const RECORD = z.discriminatedUnion("record", [MEASUREMENT, CHOICE, CEILINGS]);

type Measurement = z.infer<typeof MEASUREMENT>;
export type Choice = z.infer<typeof CHOICE>;
type CeilingsRecord = z.infer<typeof CEILINGS>;
type TuningRecord = z.infer<typeof RECORD>;

/** The DB file used when --db is not given: tuning.jsonl in trainc's cache folder. */
export function defaultDbPath(): string {
  return join(cacheRoot(), "tuning.jsonl");
}

function keyText(k: TuningKey): string {
  return JSON.stringify([k.kernel, k.space, k.device, k.toolchain]);
}

const REFUSE_FIX = "move the file aside (trainc never rewrites it) or pass --db with another path";

/** The records of the DB text `text` read from `path` (E5801 when any line is not a record). */
function parse(path: string, text: string): TuningRecord[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) return [];
  let header: unknown;
  try {
    header = JSON.parse(lines[0]!);
  } catch {
    header = undefined;
  }
  const version = (header as { record?: unknown; version?: unknown } | undefined);
  if (version?.record === HEADER.record && version.version !== HEADER.version) {
    fail(5801, `${path} is a tuning DB of version ${JSON.stringify(version.version)}; this trainc reads version ${HEADER.version}`,
      "use the trainc that wrote it, or move the file aside (trainc never rewrites it) or pass --db with another path");
  }
  if (JSON.stringify(header) !== JSON.stringify(HEADER)) {
    fail(5801, `${path} is not a trainc tuning DB (its first line is not ${JSON.stringify(HEADER)})`, REFUSE_FIX);
  }
  const unfinished = !text.endsWith("\n");
  return lines.slice(1).map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      if (unfinished && i === lines.length - 2) {
        fail(5801, `${path} line ${i + 2}, its last, is unfinished (a sweep stopped while writing it?)`,
          `delete that last line (every line before it is whole), or move the file aside or pass --db with another path`);
      }
      fail(5801, `${path} line ${i + 2} is damaged: ${(e as Error).message}`, REFUSE_FIX);
    }
    const parsed = RECORD.safeParse(value);
    if (!parsed.success) {
      fail(5801, `${path} line ${i + 2} is not a tuning record: ${parsed.error.issues[0]!.message} at ` +
        `${parsed.error.issues[0]!.path.join(".") || "the record"}`, REFUSE_FIX);
    }
    return parsed.data;
  });
}

export class TuningDb {
  readonly path: string;
  readonly #records: TuningRecord[];
  readonly #choices = new Map<string, Choice>();

  private constructor(path: string, records: TuningRecord[]) {
    this.path = path;
    this.#records = [];
    for (const r of records) this.#add(r);
  }

  /** Opens the DB at `path` (a missing file is an empty DB, created on the first append). */
  static open(path: string = defaultDbPath()): TuningDb {
    if (!existsSync(path)) return new TuningDb(path, []);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      fail(5802, `cannot read the tuning DB ${path}: ${(e as Error).message}`, "check the path and its permissions, or pass --db");
    }
    return new TuningDb(path, parse(path, text));
  }

  #add(r: TuningRecord): void {
    this.#records.push(r);
    if (r.record === "choice") this.#choices.set(keyText(r), r);
  }

  /** Every record, in file order. */
  get records(): readonly TuningRecord[] {
    return this.#records;
  }

  /** The config chosen for `key` (the latest search's), if a search finished. */
  choice(key: TuningKey): Choice | undefined {
    return this.#choices.get(keyText(key));
  }

  /** Every measurement of `key`, in the order taken. */
  measurements(key: TuningKey): Measurement[] {
    const text = keyText(key);
    return this.#records.filter((r): r is Measurement => r.record === "measurement" && keyText(r) === text);
  }

  /** The roofline measured for `device` with `toolchain`, if any. */
  ceilings(device: string, toolchain: string): CeilingsRecord | undefined {
    return this.#records.filter((r): r is CeilingsRecord => r.record === "ceilings" && r.device === device &&
      r.toolchain === toolchain).at(-1);
  }

  /** Appends `record` to the file (with the header first when the file is new) and to this DB. */
  append(record: TuningRecord): void {
    const lines = (existsSync(this.path) && statSync(this.path).size > 0 ? "" : `${JSON.stringify(HEADER)}\n`) +
      `${JSON.stringify(RECORD.parse(record))}\n`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, lines);
    } catch (e) {
      fail(5802, `cannot write the tuning DB ${this.path}: ${(e as Error).message}`, "check the path and its permissions, or pass --db");
    }
    this.#add(record);
  }
}

/** Today's date and time in UTC, as records carry it. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}
