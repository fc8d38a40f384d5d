// The search strategies on synthetic spaces (no device): exhaustive search of a small space finds its fastest
// config; beam search walks a large one to the optimum of a smooth landscape; near-ties resolve to the earliest
// candidate; failed candidates are never chosen, and a failed heuristic stops the search (E5803); measurements the DB
// already holds are not taken again; the budget stops measuring (the heuristic is always measured); the cost model
// prunes candidates far from the best prediction but never the heuristic.

import { describe, expect, test } from "vitest";
import { enumerate, sameConfig, type Config, type SearchSpace } from "../../backends/tunable.ts";
import {
  EXHAUSTIVE_LIMIT, PRUNE_FACTOR, Search, neighbours, prune, search, type Outcome, type Prior,
} from "../../autotune/search.ts";

type AB = { readonly [k: string]: number; readonly a: number; readonly b: number };

function space(values: readonly number[], heuristic: AB = { a: values[0]!, b: values[0]! }): SearchSpace<AB> {
  const axes = { a: values, b: values };
  return {
    id: "test/1", kernelHash: "k", problem: "synthetic", axes, candidates: enumerate<AB>(axes, () => true, heuristic),
    heuristic, flops: 1, bytes: 1, describe: (c) => `a${c.a} b${c.b}`, render: () => [],
    predict: (c) => landscape(c) / 1000,
  };
}

/** A bowl with its minimum (1 ms) at a = 5, b = 3. */
const landscape = (c: Config) => 1 + (c["a"]! - 5) ** 2 + (c["b"]! - 3) ** 2;

/** A measurer taking `cost` ms of clock per candidate, timing each by `time`, and the configs it measured. */
function bench(time: (c: AB) => Outcome = (c) => ({ ms: landscape(c) }), cost = 100) {
  let now = 0;
  const measured: AB[] = [];
  return {
    measured,
    clock: () => now,
    measure: async (c: AB) => {
      now += cost;
      measured.push(c);
      return time(c);
    },
  };
}

const CEILINGS = { flopsPerSecond: 1, bytesPerSecond: 1 };

/** Searches `s` one candidate at a time with bench `b`'s measurer and clock. */
function tune(s: SearchSpace<AB>, b: ReturnType<typeof bench>, budgetSeconds: number, prior: Prior[] = []) {
  return search(new Search(s, prior, undefined), { ...b, budgetSeconds });
}

describe("search", () => {
  test("a small space is searched exhaustively and its fastest config chosen", async () => {
    const s = space([1, 3, 5]);
    const b = bench();
    const r = await tune(s, b, 100);
    expect(r.strategy).toBe("exhaustive");
    expect(b.measured).toHaveLength(9);
    expect(r.chosen).toEqual({ a: 5, b: 3 });
    expect(r.ms).toBe(1);
    expect(r.heuristicMs).toBe(landscape({ a: 1, b: 1 }));
    expect(sameConfig(b.measured[0]!, s.heuristic)).toBe(true);
  });

  test("beam search walks a large space to the optimum, measuring a fraction of it", async () => {
    const s = space([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s.candidates.length).toBeGreaterThan(EXHAUSTIVE_LIMIT);
    const b = bench();
    const r = await tune(s, b, 1000);
    expect(r.strategy).toBe("beam");
    expect(r.chosen).toEqual({ a: 5, b: 3 });
    expect(b.measured.length).toBeLessThan(s.candidates.length / 2);
  });

  test("beam search without ceilings starts at the heuristic and still descends", async () => {
    const s = space([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { a: 12, b: 12 });
    const r = await tune(s, bench(), 1000);
    expect(r.chosen).toEqual({ a: 5, b: 3 });
  });

  test("times within 1% resolve to the earliest candidate, whatever order they were measured in", async () => {
    const s = space([1, 3, 5]);
    const flat = (c: AB) => ({ ms: sameConfig(c, { a: 5, b: 5 }) ? 1 : sameConfig(c, { a: 3, b: 1 }) ? 1.005 : 2 });
    const r = await tune(s, bench(flat), 100);
    expect(r.chosen).toEqual({ a: 3, b: 1 });
  });

  test("a failing candidate is never chosen; a failing heuristic is an error", async () => {
    const s = space([1, 3, 5]);
    const broken = (c: AB) => (sameConfig(c, { a: 5, b: 3 }) ? { error: "off the reference" } : { ms: landscape(c) });
    expect((await tune(s, bench(broken), 100)).chosen).not.toEqual({ a: 5, b: 3 });
    const heuristicBroken = (c: AB) => (sameConfig(c, s.heuristic) ? { error: "rejected by WebGPU" } : { ms: 1 });
    await expect(tune(s, bench(heuristicBroken), 100))
      .rejects.toMatchObject({ code: 5803 });
  });

  test("measurements from the DB are not taken again and count toward the choice", async () => {
    const s = space([1, 3, 5]);
    const b = bench();
    const prior = [{ config: { a: 1, b: 1 }, outcome: { ms: 17 } }, { config: { a: 3, b: 3 }, outcome: { ms: 0.5 } }];
    const r = await tune(s, b, 100, prior);
    expect(b.measured).toHaveLength(7);
    expect(r.measured).toBe(7);
    expect(r.chosen).toEqual({ a: 3, b: 3 });
    expect(r.heuristicMs).toBe(17);
  });

  test("the budget stops measuring, but the heuristic is always measured", async () => {
    const s = space([1, 3, 5]);
    const none = bench();
    const r = await tune(s, none, 0);
    expect(none.measured).toEqual([s.heuristic]);
    expect(r.chosen).toEqual(s.heuristic);
    const some = bench();
    await tune(s, some, 0.35);
    expect(some.measured).toHaveLength(4);
  });
});

describe("pruning and neighbours", () => {
  test("candidates predicted beyond PRUNE_FACTOR x the best are dropped, the heuristic kept first", () => {
    const s = space([1, 3, 5, 7, 9], { a: 9, b: 9 });
    const kept = prune(s, CEILINGS);
    expect(kept[0]).toEqual({ a: 9, b: 9 });
    expect(kept[1]).toEqual({ a: 5, b: 3 });
    for (const c of kept.slice(1)) expect(landscape(c)).toBeLessThanOrEqual(PRUNE_FACTOR);
    expect(prune(s, undefined)).toHaveLength(25);
  });

  test("neighbours move one or two fields to the adjacent value of their axis", () => {
    const s = space([1, 2, 3]);
    const n = neighbours(s, { a: 1, b: 2 });
    expect(n).toEqual(expect.arrayContaining([{ a: 2, b: 2 }, { a: 1, b: 1 }, { a: 1, b: 3 }, { a: 2, b: 1 }, { a: 2, b: 3 }]));
    expect(n).toHaveLength(5);
  });
});
