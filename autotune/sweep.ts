// A sweep: every tunable kernel of a program searched on one device, results appended to the tuning DB. Kernels
// are gathered from the program compile builds (so their content hashes are the ones compile looks up), equal kernels
// counted once with their launches per step, and searched heaviest first (predicted time x launches). Each kernel
// the DB already has a choice for on this device and toolchain is a hit and measures nothing. The budget is shared:
// each kernel may spend what is left over the kernels still to search, so time a quick search leaves goes to the
// next. The device's roofline is measured once and kept in the DB beside the tunings.
// Invariants: every measurement is appended as it is taken and each choice when its search ends, so an interrupted
// sweep loses at most the candidate being measured; a second sweep of the same program on the same device measures
// nothing.

import { sameConfig, type Ceilings, type Config, type SearchSpace } from "../backends/tunable.ts";
import type { Kernel } from "../backends/schedule/partition.ts";
import { now, TuningDb, type Choice } from "./db.ts";
import { search, type Outcome } from "./search.ts";

/** A device the sweep measures on (autotune/wgsl-measure.ts on wgsl). */
export interface Measurer<P> {
  readonly device: string;
  readonly toolchain: string;
  ceilings(): Promise<Ceilings>;
  prepare(kernel: Kernel): P;
  measure(prepared: P, sources: ReturnType<SearchSpace["render"]>): Promise<Outcome>;
  release(prepared: P): void;
}

/** One tunable kernel of the program: its space, a kernel it stands for, and how many launches per step share it. */
export interface Tunable {
  readonly space: SearchSpace;
  readonly kernel: Kernel;
  readonly launches: number;
}

/** A row of the sweep's table. */
export interface SweepRow {
  readonly tunable: Tunable;
  readonly choice: Choice;
  /** Whether the choice came from the DB (nothing measured). */
  readonly hit: boolean;
}

export interface SweepResult {
  readonly rows: readonly SweepRow[];
  readonly ceilings: Ceilings;
  /** Candidates measured in this sweep. */
  readonly measured: number;
  readonly seconds: number;
}

/** The tunable kernels among `kernels` (those `spaceOf` gives a space), equal ones merged. */
export function tunables(kernels: readonly Kernel[], spaceOf: (k: Kernel) => SearchSpace | undefined): Tunable[] {
  const byKey = new Map<string, { space: SearchSpace; kernel: Kernel; launches: number }>();
  for (const kernel of kernels) {
    const space = spaceOf(kernel);
    if (!space) continue;
    const key = `${space.kernelHash} ${space.id}`;
    const known = byKey.get(key);
    if (known) known.launches++;
    else byKey.set(key, { space, kernel, launches: 1 });
  }
  return [...byKey.values()];
}

/** Progress of one kernel's search, for the command's progress bar. */
export interface Progress {
  /** Kernel `index` of `count` starts its search with `seconds` of budget. */
  kernelStart(index: number, count: number, t: Tunable, seconds: number): void;
  candidateDone(measured: number, best: number | undefined, heuristic: number | undefined): void;
  kernelDone(row: SweepRow): void;
}

async function ceilingsOf<P>(db: TuningDb, m: Measurer<P>, note: (s: string) => void): Promise<Ceilings> {
  const kept = db.ceilings(m.device, m.toolchain);
  if (kept) return { flopsPerSecond: kept.flops_per_second, bytesPerSecond: kept.bytes_per_second };
  note("measuring the device's roofline (a copy and a multiply-add kernel)");
  const c = await m.ceilings();
  db.append({ record: "ceilings", device: m.device, toolchain: m.toolchain, flops_per_second: c.flopsPerSecond,
    bytes_per_second: c.bytesPerSecond, date: now() });
  return c;
}

/** Searches every kernel of `list` the DB has no choice for, within `budgetSeconds` in all. */
export async function sweep<P>(list: readonly Tunable[], db: TuningDb, m: Measurer<P>, budgetSeconds: number,
  progress: Progress, note: (s: string) => void): Promise<SweepResult> {
  const start = performance.now();
  const ceilings = await ceilingsOf(db, m, note);
  const weight = (t: Tunable) => t.launches * t.space.predict(t.space.heuristic, ceilings);
  const order = [...list].sort((a, b) => weight(b) - weight(a));
  const keyOf = (t: Tunable) => ({ kernel: t.space.kernelHash, space: t.space.id, device: m.device, toolchain: m.toolchain });
  const rows: SweepRow[] = [];
  let measured = 0;
  const misses = order.filter((t) => !db.choice(keyOf(t))).length;
  let searched = 0;
  for (const [index, t] of order.entries()) {
    const key = keyOf(t);
    const known = db.choice(key);
    if (known) {
      rows.push({ tunable: t, choice: known, hit: true });
      progress.kernelDone(rows.at(-1)!);
      continue;
    }
    const left = budgetSeconds - (performance.now() - start) / 1000;
    const share = Math.max(0, left / (misses - searched++));
    progress.kernelStart(index, order.length, t, share);
    const prepared = m.prepare(t.kernel);
    const prior = db.measurements(key).map((r) => ({ config: r.config, outcome: r.ms !== undefined ? { ms: r.ms } : { error: r.error ?? "failed" } }));
    let best: number | undefined;
    let heuristic = prior.find((p) => sameConfig(p.config, t.space.heuristic))?.outcome.ms;
    let count = 0;
    const measure = async (config: Config): Promise<Outcome> => {
      const outcome = await m.measure(prepared, t.space.render(config));
      db.append({ record: "measurement", ...key, problem: t.space.problem, config, ...outcome, date: now() });
      if (outcome.ms !== undefined) best = Math.min(best ?? Infinity, outcome.ms);
      if (sameConfig(config, t.space.heuristic)) heuristic = outcome.ms;
      progress.candidateDone(++count, best, heuristic);
      return outcome;
    };
    try {
      const result = await search(t.space, { measure, prior, budgetSeconds: share, ceilings, clock: () => performance.now() });
      const choice: Choice = {
        record: "choice", ...key, problem: t.space.problem, config: result.chosen, ms: result.ms,
        heuristic_ms: result.heuristicMs, measured: result.measured, strategy: result.strategy, date: now(),
      };
      db.append(choice);
      measured += result.measured;
      rows.push({ tunable: t, choice, hit: false });
      progress.kernelDone(rows.at(-1)!);
    } finally {
      m.release(prepared);
    }
  }
  return { rows, ceilings, measured, seconds: (performance.now() - start) / 1000 };
}
