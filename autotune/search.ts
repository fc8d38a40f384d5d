// Searching one kernel's space under a time budget. The cost model first prunes candidates predicted far from the best
// prediction (PRUNE_FACTOR; the heuristic always stays). A small space is searched exhaustively, most promising first;
// a large one by beam search: the heuristic, every candidate off the axes (cuBLASLt's algorithms) and the best
// predicted seeds, then the unmeasured neighbours (one or two fields moved to the next value of their axis) of the
// BEAM best measured on the axes, at most ROUND of them per round, round
// after round, until no neighbour is left or the budget is spent. A search is a state machine (Search: propose a
// round, record outcomes, decide), so its driver decides how a round is measured and when time is up. Measurements the DB already holds (an interrupted sweep) count as measured and are not
// taken again. The winner is the fastest valid candidate; candidates within TIE of it resolve to the earliest in the
// space's order, so equal measurements always give the same choice.
// Invariants: the heuristic is measured first, whatever the budget, so every search has a baseline; a candidate that
// fails its check is never chosen; the order of measurement depends only on the space, the ceilings and earlier
// results.
//
// Error codes defined here:
//   5803  the heuristic config of a space failed its check (compile would use it: a bug to report)

import { fail } from "../compiler/diagnostics.ts";
import { configText, sameConfig, type Ceilings, type Config, type SearchSpace } from "../backends/tunable.ts";

/** Candidates predicted slower than this many times the best prediction are not measured. */
export const PRUNE_FACTOR = 4;
/** Spaces with at most this many candidates after pruning are searched exhaustively. */
export const EXHAUSTIVE_LIMIT = 24;
/** Beam width, and how many best-predicted seeds join the heuristic in the first round. */
const BEAM = 3;
const SEEDS = 4;
/** Most candidates a beam round proposes (best predicted first): a CUDA round builds them all. */
const ROUND = 16;
/** Relative difference under which two times count as equal. */
export const TIE = 0.01;

/** What measuring a candidate gives: its median time, or why it was rejected. */
export interface Outcome {
  readonly ms?: number;
  readonly error?: string;
  /** Not measured through no fault of its own (the binary measuring it died first): a later sweep measures it. */
  readonly unmeasured?: true;
}

/** How the one-candidate-at-a-time driver (search) measures and keeps time. */
export interface SearchOptions<C extends Config> {
  /** Measures one candidate (checks it, then times it). */
  readonly measure: (config: C) => Promise<Outcome>;
  /** Seconds this search may spend measuring (the heuristic is measured regardless). */
  readonly budgetSeconds: number;
  /** Milliseconds since some origin (performance.now in use; a counter in tests). */
  readonly clock: () => number;
}

/** A measurement the DB already holds. */
export interface Prior {
  readonly config: Config;
  readonly outcome: Outcome;
}

export interface SearchResult<C extends Config> {
  readonly chosen: C;
  readonly ms: number;
  readonly heuristicMs: number;
  /** Candidates measured in this search (prior ones not counted). */
  readonly measured: number;
  readonly strategy: "exhaustive" | "beam";
}

interface Taken<C> {
  readonly config: C;
  readonly outcome: Outcome;
}

/** The candidates worth measuring, most promising first (the heuristic first of all). */
export function prune<C extends Config>(space: SearchSpace<C>, ceilings: Ceilings | undefined): C[] {
  if (!ceilings) return [...space.candidates];
  const predicted = space.candidates.map((c) => space.predict(c, ceilings));
  const best = Math.min(...predicted);
  const order = space.candidates.map((c, i) => ({ c, i, t: predicted[i]! }))
    .filter(({ t, i }) => i === 0 || t <= PRUNE_FACTOR * best)
    .sort((a, b) => (a.i === 0 ? -1 : b.i === 0 ? 1 : a.t - b.t || a.i - b.i));
  return order.map(({ c }) => c);
}

/**
 * Whether `c` is a point of the space's axes (every field an axis value); other candidates (a vendor library's
 * algorithms) have no neighbours, so a beam search measures them all in its first round.
 */
function onAxes(space: SearchSpace<Config>, c: Config): boolean {
  const fields = Object.keys(space.axes);
  return Object.keys(c).length === fields.length && fields.every((f) => space.axes[f]!.includes(c[f]!));
}

/** The configs one or two axis steps from `c` (each field moved to the previous or next value of its axis). */
export function neighbours<C extends Config>(space: SearchSpace<C>, c: C): C[] {
  const moves = Object.entries(space.axes).flatMap(([field, values]) => {
    const at = values.indexOf(c[field]!);
    return [at - 1, at + 1].filter((i) => i >= 0 && i < values.length).map((i) => ({ field, value: values[i]! }));
  });
  const out: C[] = [];
  moves.forEach((m, i) => {
    out.push({ ...c, [m.field]: m.value });
    for (const n of moves.slice(i + 1)) if (n.field !== m.field) out.push({ ...c, [m.field]: m.value, [n.field]: n.value });
  });
  return out;
}

/**
 * One kernel's search as rounds: `propose` gives the candidates to measure next, `record` takes each one's outcome,
 * `result` decides. Whoever drives it owns the clock: the WebGPU sweep measures a round one candidate at a time until
 * its budget is spent, the CUDA sweep builds and runs one round of every kernel at once.
 */
export class Search<C extends Config> {
  readonly space: SearchSpace<C>;
  readonly strategy: SearchResult<C>["strategy"];
  readonly #worth: readonly C[];
  /** The worth-measuring candidates on the axes' grid (the beam walks them), and the others (measured at once). */
  readonly #grid: readonly C[];
  readonly #extra: readonly C[];
  readonly #taken: Taken<C>[] = [];
  #measured = 0;
  #rounds = 0;

  /** `ceilings` enable pruning and order candidates by prediction (absent: the space's order). */
  constructor(space: SearchSpace<C>, prior: readonly Prior[], ceilings: Ceilings | undefined) {
    this.space = space;
    this.#worth = prune(space, ceilings);
    this.strategy = this.#worth.length <= EXHAUSTIVE_LIMIT ? "exhaustive" : "beam";
    this.#grid = this.#worth.filter((c) => onAxes(space, c));
    this.#extra = this.#worth.filter((c) => !onAxes(space, c));
    for (const p of prior) {
      const candidate = space.candidates.find((c) => sameConfig(c, p.config));
      if (candidate && !this.#known(candidate)) this.#taken.push({ config: candidate, outcome: p.outcome });
    }
  }

  #known(c: Config): boolean {
    return this.#taken.some((t) => sameConfig(t.config, c));
  }

  /**
   * The next round, at most ROUND candidates, none measured yet (the heuristic first in the first round); empty when
   * the search is over.
   */
  propose(): C[] {
    const first = this.#rounds++ === 0;
    if (!first && this.strategy === "exhaustive") return [];
    const seeds = [...this.#extra, ...this.#grid.slice(0, 1 + SEEDS)];
    const pool = first ? [this.space.heuristic, ...(this.strategy === "exhaustive" ? this.#worth : seeds)]
      : nextRound(this.space, this.#grid, ranked(this.space, this.#taken).filter((t) => onAxes(this.space, t.config)).slice(0, BEAM),
        (c) => this.#known(c));
    const fresh = pool.filter((c, i) => !this.#known(c) && pool.findIndex((d) => sameConfig(c, d)) === i);
    return this.strategy === "exhaustive" ? fresh : fresh.slice(0, ROUND);
  }

  record(config: C, outcome: Outcome): void {
    if (this.#known(config)) throw new Error(`Search.record: ${configText(config)} was measured already`);
    this.#taken.push({ config, outcome });
    this.#measured++;
  }

  result(): SearchResult<C> {
    return decide(this.space, this.#taken, this.#measured, this.strategy);
  }
}

/** Runs search `s` one candidate at a time until its rounds end or the budget is spent (see the header). */
export async function search<C extends Config>(s: Search<C>, options: SearchOptions<C>): Promise<SearchResult<C>> {
  const deadline = options.clock() + 1000 * options.budgetSeconds;
  for (let round = s.propose(); round.length > 0; round = s.propose()) {
    for (const c of round) {
      if (options.clock() >= deadline && !sameConfig(c, s.space.heuristic)) return s.result();
      s.record(c, await options.measure(c));
    }
  }
  return s.result();
}

/** The unmeasured neighbours of the beam that are worth measuring, in the order `worth` ranks them. */
function nextRound<C extends Config>(space: SearchSpace<C>, worth: readonly C[], beam: readonly Taken<C>[],
  known: (c: Config) => boolean): C[] {
  const near = beam.flatMap((t) => neighbours(space, t.config));
  return worth.filter((c) => !known(c) && near.some((n) => sameConfig(n, c)));
}

/** Valid measurements, fastest first (equal times: earliest in the space's order first); decide applies TIE. */
function ranked<C extends Config>(space: SearchSpace<C>, taken: readonly Taken<C>[]): Taken<C>[] {
  const index = (c: Config) => space.candidates.findIndex((d) => sameConfig(c, d));
  return taken.filter((t) => t.outcome.ms !== undefined)
    .sort((a, b) => a.outcome.ms! - b.outcome.ms! || index(a.config) - index(b.config));
}

function decide<C extends Config>(space: SearchSpace<C>, taken: readonly Taken<C>[], measured: number,
  strategy: SearchResult<C>["strategy"]): SearchResult<C> {
  const heuristic = taken.find((t) => sameConfig(t.config, space.heuristic))!;
  if (heuristic.outcome.ms === undefined) {
    fail(5803, `the heuristic config of ${space.id} (${configText(space.heuristic)}) for ${space.problem} failed its ` +
      `check: ${heuristic.outcome.error ?? "no time"}`, "report it with the tuning DB attached; train with --target cpu meanwhile");
  }
  const valid = ranked(space, taken);
  const fastest = valid[0]!.outcome.ms!;
  const index = (c: Config) => space.candidates.findIndex((d) => sameConfig(c, d));
  const tied = valid.filter((t) => t.outcome.ms! <= fastest * (1 + TIE)).sort((a, b) => index(a.config) - index(b.config));
  const chosen = tied[0]!;
  return { chosen: chosen.config, ms: chosen.outcome.ms!, heuristicMs: heuristic.outcome.ms, measured, strategy };
}
