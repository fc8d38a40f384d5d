// A sweep: every tunable kernel of a program searched on one device, results appended to the tuning DB. Kernels
// are gathered from the program compile builds (so their content hashes are the ones compile looks up), equal kernels
// counted once with their launches per step. Each kernel the DB already has a choice for on this device and toolchain
// is a hit and measures nothing. The device's roofline is measured once and kept in the DB beside the tunings.
// Two drivers: a measurer of one candidate at a time (WebGPU) searches the kernels one after another, heaviest first
// (predicted time x launches), each spending what is left of the budget over the kernels still to search, so time a
// quick search leaves goes to the next; a measurer of whole rounds (CUDA: one build per round) advances every
// kernel's search together, a round at a time, until the searches end or the budget is spent (the first round, which
// holds every heuristic, always runs).
// Invariants: every measurement is appended as it is taken and each choice when its search ends, so an interrupted
// sweep loses at most the round being measured; a second sweep of the same program on the same device measures
// nothing.

import { sameConfig, type Ceilings, type Config, type SearchSpace } from "../backends/tunable.ts";
import type { Kernel } from "../backends/schedule/partition.ts";
import { now, TuningDb, type Choice, type TuningKey } from "./db.ts";
import { Search, search, type Outcome } from "./search.ts";

/** What identifies a device to the DB, and its roofline. */
interface Device {
  readonly device: string;
  readonly toolchain: string;
  ceilings(): Promise<Ceilings>;
}

/** A device measuring one candidate at a time (autotune/wgsl-measure.ts). */
export interface Measurer<P> extends Device {
  prepare(kernel: Kernel, space: SearchSpace): P;
  measure(prepared: P, sources: ReturnType<SearchSpace["render"]>): Promise<Outcome>;
  release(prepared: P): void;
}

/** A device measuring a round of candidates of many kernels at once (autotune/cuda-measure.ts). */
export interface RoundMeasurer extends Device {
  measureRound(items: readonly { readonly tunable: Tunable; readonly config: Config }[], note: (m: string) => void): Promise<Outcome[]>;
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

/** Progress of a sweep, for the command's output. */
export interface Progress {
  /** Kernel `index` of `count` starts its search with `seconds` of budget (one-at-a-time measurers). */
  kernelStart(index: number, count: number, t: Tunable, seconds: number): void;
  candidateDone(measured: number, best: number | undefined, heuristic: number | undefined): void;
  kernelDone(row: SweepRow): void;
  /** Round `round` measured `candidates` candidates of `kernels` kernels; `seconds` of the budget's are spent (round measurers). */
  roundDone(round: number, candidates: number, kernels: number, seconds: number, budget: number): void;
}

async function ceilingsOf(db: TuningDb, m: Device, note: (s: string) => void): Promise<Ceilings> {
  const kept = db.ceilings(m.device, m.toolchain);
  if (kept) return { flopsPerSecond: kept.flops_per_second, bytesPerSecond: kept.bytes_per_second };
  note("measuring the device's roofline");
  const c = await m.ceilings();
  db.append({ record: "ceilings", device: m.device, toolchain: m.toolchain, flops_per_second: c.flopsPerSecond,
    bytes_per_second: c.bytesPerSecond, date: now() });
  return c;
}

/** The DB records of one sweep: keys, what was measured before, each measurement and each choice as they come. */
class Ledger {
  readonly rows: SweepRow[] = [];
  measured = 0;

  constructor(readonly db: TuningDb, readonly m: Device) {}

  key(t: Tunable): TuningKey {
    return { kernel: t.space.kernelHash, space: t.space.id, device: this.m.device, toolchain: this.m.toolchain };
  }

  /** The DB's choice for `t`, recorded as a hit; undefined when `t` must be searched. */
  hit(t: Tunable): Choice | undefined {
    const known = this.db.choice(this.key(t));
    if (known) this.rows.push({ tunable: t, choice: known, hit: true });
    return known;
  }

  prior(t: Tunable): { config: Config; outcome: Outcome }[] {
    return this.db.measurements(this.key(t)).map((r) => ({
      config: r.config, outcome: r.ms !== undefined ? { ms: r.ms } : { error: r.error ?? "failed" },
    }));
  }

  /** Appends a measurement (an unmeasured candidate is left for a later sweep). */
  measurement(t: Tunable, config: Config, outcome: Outcome): void {
    if (outcome.unmeasured) return;
    this.db.append({ record: "measurement", ...this.key(t), problem: t.space.problem, config, ms: outcome.ms, error: outcome.error, date: now() });
  }

  choice(t: Tunable, s: Search<Config>): SweepRow {
    const result = s.result();
    const choice: Choice = {
      record: "choice", ...this.key(t), problem: t.space.problem, config: result.chosen, ms: result.ms,
      heuristic_ms: result.heuristicMs, measured: result.measured, strategy: result.strategy, date: now(),
    };
    this.db.append(choice);
    this.measured += result.measured;
    const row = { tunable: t, choice, hit: false };
    this.rows.push(row);
    return row;
  }
}

/** Searches every kernel of `list` the DB has no choice for, one candidate at a time, within `budgetSeconds` in all. */
export async function sweep<P>(list: readonly Tunable[], db: TuningDb, m: Measurer<P>, budgetSeconds: number,
  progress: Progress, note: (s: string) => void): Promise<SweepResult> {
  const start = performance.now();
  const ceilings = await ceilingsOf(db, m, note);
  const weight = (t: Tunable) => t.launches * t.space.predict(t.space.heuristic, ceilings);
  const order = [...list].sort((a, b) => weight(b) - weight(a));
  const ledger = new Ledger(db, m);
  const misses = order.filter((t) => !db.choice(ledger.key(t)));
  for (const [index, t] of order.entries()) {
    if (ledger.hit(t)) {
      progress.kernelDone(ledger.rows.at(-1)!);
      continue;
    }
    const left = budgetSeconds - (performance.now() - start) / 1000;
    const share = Math.max(0, left / (misses.length - misses.indexOf(t)));
    progress.kernelStart(index, order.length, t, share);
    const prepared = m.prepare(t.kernel, t.space);
    const prior = ledger.prior(t);
    let best: number | undefined;
    let heuristic = prior.find((p) => sameConfig(p.config, t.space.heuristic))?.outcome.ms;
    let count = 0;
    const measure = async (config: Config): Promise<Outcome> => {
      const outcome = await m.measure(prepared, t.space.render(config));
      ledger.measurement(t, config, outcome);
      if (outcome.ms !== undefined) best = Math.min(best ?? Infinity, outcome.ms);
      if (sameConfig(config, t.space.heuristic)) heuristic = outcome.ms;
      progress.candidateDone(++count, best, heuristic);
      return outcome;
    };
    try {
      const s = new Search(t.space, prior, ceilings);
      await search(s, { measure, budgetSeconds: share, clock: () => performance.now() });
      progress.kernelDone(ledger.choice(t, s));
    } finally {
      m.release(prepared);
    }
  }
  return { rows: ledger.rows, ceilings, measured: ledger.measured, seconds: (performance.now() - start) / 1000 };
}

/** Searches every kernel of `list` the DB has no choice for, all together a round at a time, within `budgetSeconds`. */
export async function sweepRounds(list: readonly Tunable[], db: TuningDb, m: RoundMeasurer, budgetSeconds: number,
  progress: Progress, note: (s: string) => void): Promise<SweepResult> {
  const start = performance.now();
  const ceilings = await ceilingsOf(db, m, note);
  const ledger = new Ledger(db, m);
  const searches = new Map<Tunable, Search<Config>>();
  for (const t of list) {
    if (ledger.hit(t)) progress.kernelDone(ledger.rows.at(-1)!);
    else searches.set(t, new Search(t.space, ledger.prior(t), ceilings));
  }
  let round = 0;
  while (searches.size > 0) {
    const items = [...searches].flatMap(([tunable, s]) => s.propose().map((config) => ({ tunable, config })));
    const done = [...searches.keys()].filter((t) => !items.some((i) => i.tunable === t));
    const spent = (performance.now() - start) / 1000 >= budgetSeconds;
    if (items.length > 0 && !(spent && round > 0)) {
      const outcomes = await m.measureRound(items, note);
      items.forEach((item, i) => {
        ledger.measurement(item.tunable, item.config, outcomes[i]!);
        searches.get(item.tunable)!.record(item.config, outcomes[i]!);
      });
      round++;
      progress.roundDone(round, items.length, searches.size - done.length, (performance.now() - start) / 1000, budgetSeconds);
    }
    const finished = items.length === 0 || (spent && round > 0) ? [...searches.keys()] : done;
    for (const t of finished) {
      progress.kernelDone(ledger.choice(t, searches.get(t)!));
      searches.delete(t);
    }
  }
  return { rows: ledger.rows, ceilings, measured: ledger.measured, seconds: (performance.now() - start) / 1000 };
}
