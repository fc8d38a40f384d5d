// What compile and train read from the tuning DB: a Tuned lookup for one device and toolchain, and what it found. A
// space gets the config the DB chose for its kernel on this device with this toolchain (when that config is still one
// of the space's candidates), else its heuristic. Lookups are recorded, so the command can say which tunable kernels
// were tuned and, when the DB holds tunings of the same kernels for another device or toolchain, that it did not use
// them and for which (a DB from another machine is never applied silently, nor ignored silently).
// Invariant: the lookup reads the DB and never writes it; equal DB and kernels give equal answers.

import { sameConfig, type Config, type SearchSpace, type Tuned } from "../backends/tunable.ts";
import { defaultDbPath, TuningDb } from "./db.ts";
import { TraincError } from "../compiler/diagnostics.ts";
import { cudaDeviceKey } from "../backends/cuda/build.ts";
import { cudaTuningToolchain } from "./cuda-measure.ts";
import { openDevice } from "../backends/wgsl/device.ts";

/** One tunable kernel as a lookup found it. */
export interface Lookup {
  readonly problem: string;
  readonly space: string;
  readonly config: string;
  readonly tuned: boolean;
}

export interface TuningUse {
  readonly tuned: Tuned;
  /** Every distinct tunable kernel looked up so far. */
  lookups(): Lookup[];
  /** One line on what the lookups found, for the command's output. */
  summary(): string;
  /** What report.json records: the DB, the device, and each tunable kernel's config. */
  report(): Record<string, unknown>;
}

/** Lookups into `db` for `device` and `toolchain`. */
export function tuningFor(db: TuningDb, device: string, toolchain: string): TuningUse {
  const seen = new Map<string, Lookup>();
  const elsewhere = new Set<string>();
  const tuned: Tuned = <C extends Config>(space: SearchSpace<C>): C | undefined => {
    const choice = db.choice({ kernel: space.kernelHash, space: space.id, device, toolchain });
    const config = choice && space.candidates.find((c) => sameConfig(c, choice.config));
    const used = config ?? space.heuristic;
    seen.set(`${space.kernelHash} ${space.id}`, { problem: space.problem, space: space.id, config: space.describe(used), tuned: !!config });
    if (!config) {
      for (const r of db.records) {
        if (r.record === "choice" && r.kernel === space.kernelHash && r.space === space.id) elsewhere.add(`${r.device} (${r.toolchain})`);
      }
    }
    return config;
  };
  const lookups = () => [...seen.values()];
  const summary = (): string => {
    const all = lookups();
    const hits = all.filter((l) => l.tuned).length;
    if (db.records.length === 0) {
      return `no tunings in ${db.path} (trainc autotune fills it): ${all.length} tunable kernels at their heuristic configs`;
    }
    const others = elsewhere.size > 0 ? `; the DB also holds tunings of these kernels for ${[...elsewhere].join("; ")}, ` +
      "not used on this device (run trainc autotune here)" : "";
    return `${hits} of ${all.length} tunable kernels tuned for ${device} (${toolchain}) from ${db.path}` +
      `${hits < all.length ? ", the rest at their heuristic configs" : ""}${others}`;
  };
  const report = () => ({ db: db.path, device, toolchain, kernels: lookups() });
  return { tuned, lookups, summary, report };
}

/**
 * Lookups into `db` for this machine's NVIDIA GPU and the toolchain of `arch` (with the cuBLASLt that loads here);
 * undefined, said through `note`, when there is no GPU to look tunings up for (a build for another machine then keeps
 * its heuristic configs).
 */
export async function cudaTuning(db: TuningDb, arch: string, note: (m: string) => void): Promise<TuningUse | undefined> {
  const device = cudaDeviceKey();
  if (!device) {
    note("no NVIDIA GPU here to look tunings up for: tunable kernels at their heuristic configs");
    return undefined;
  }
  try {
    return tuningFor(db, device, await cudaTuningToolchain(arch));
  } catch (e) {
    if (!(e instanceof TraincError)) throw e;
    note(`no toolchain to look tunings up for (${e.message}): tunable kernels at their heuristic configs`);
    return undefined;
  }
}

/**
 * The tuning DB compile and train read: `path` (--db) as given, where a damaged file is an error (E5801); the
 * default file, where it is a note and nothing is tuned (a broken cache must not stop a build).
 */
export function dbForBuild(path: string | undefined, note: (m: string) => void): TuningDb | undefined {
  if (path !== undefined) return TuningDb.open(path);
  try {
    return TuningDb.open(defaultDbPath());
  } catch (e) {
    if (!(e instanceof TraincError)) throw e;
    note(`the default tuning DB is unusable, so nothing is tuned: ${e.message} (fix: ${e.fix})`);
    return undefined;
  }
}

/**
 * Lookups into `db` for this machine's WebGPU adapter (a bundle is tuned for the browser here; every config fits any
 * device); undefined, said through `note`, when there is no adapter to look tunings up for.
 */
export async function wgslTuning(db: TuningDb, note: (m: string) => void): Promise<TuningUse | undefined> {
  try {
    const gpu = await openDevice();
    gpu.close();
    return tuningFor(db, gpu.key, gpu.toolchain);
  } catch {
    note("no WebGPU adapter here to look tunings up for: tunable kernels at their heuristic configs");
    return undefined;
  }
}
