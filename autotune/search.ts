// Searching one kernel's space under a time budget. The cost model first prunes candidates predicted far from the best
// prediction (PRUNE_FACTOR; the heuristic always stays). A small space is searched exhaustively, most promising first;
// a large one by beam search: the heuristic and the best predicted seeds, then the unmeasured neighbours (one or two
// fields moved to the next value of their axis) of the BEAM best measured, round after round, until no neighbour is
// left or the budget is spent. Measurements the DB already holds (an interrupted sweep) count as measured and are not
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
/** Relative difference under which two times count as equal. */
export const TIE = 0.01;

/** What measuring a candidate gives: its median time, or why it was rejected. */
export interface Outcome {
  readonly ms?: number;
  readonly error?: string;
}

export interface SearchOptions<C extends Config> {
  /** Measures one candidate (checks it, then times it). */
  readonly measure: (config: C) => Promise<Outcome>;
  /** Measurements taken before (from the DB): not taken again. */
  readonly prior: readonly { readonly config: Config; readonly outcome: Outcome }[];
  /** Seconds this search may spend measuring (the heuristic is measured regardless). */
  readonly budgetSeconds: number;
  /** The device's roofline: enables pruning and orders candidates by prediction; absent: space order. */
  readonly ceilings?: Ceilings;
  /** Milliseconds since some origin (performance.now in use; a counter in tests). */
  readonly clock: () => number;
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

/** Searches `space` (see the header). */
export async function search<C extends Config>(space: SearchSpace<C>, options: SearchOptions<C>): Promise<SearchResult<C>> {
  const worth = prune(space, options.ceilings);
  const taken: Taken<C>[] = [];
  const known = (c: Config) => taken.some((t) => sameConfig(t.config, c));
  for (const p of options.prior) {
    const candidate = space.candidates.find((c) => sameConfig(c, p.config));
    if (candidate && !known(candidate)) taken.push({ config: candidate, outcome: p.outcome });
  }
  const deadline = options.clock() + 1000 * options.budgetSeconds;
  let measured = 0;
  const take = async (c: C): Promise<void> => {
    if (known(c)) return;
    taken.push({ config: c, outcome: await options.measure(c) });
    measured++;
  };
  await take(space.heuristic);
  const exhaustive = worth.length <= EXHAUSTIVE_LIMIT;
  let round = exhaustive ? worth : worth.slice(0, 1 + SEEDS);
  while (round.length > 0) {
    for (const c of round) {
      if (options.clock() >= deadline) break;
      await take(c);
    }
    if (exhaustive || options.clock() >= deadline) break;
    round = nextRound(space, worth, ranked(space, taken).slice(0, BEAM), known);
  }
  return decide(space, taken, measured, exhaustive ? "exhaustive" : "beam");
}

/** The unmeasured neighbours of the beam that are worth measuring, in the order `worth` ranks them. */
function nextRound<C extends Config>(space: SearchSpace<C>, worth: readonly C[], beam: readonly Taken<C>[],
  known: (c: Config) => boolean): C[] {
  const near = beam.flatMap((t) => neighbours(space, t.config));
  return worth.filter((c) => !known(c) && near.some((n) => sameConfig(n, c)));
}

/** Valid measurements, fastest first; within TIE of each other, earliest in the space's order first. */
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
