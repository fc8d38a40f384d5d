// Sweeps without a device: a fake one-at-a-time measurer and a fake round measurer over synthetic spaces. Both fill
// the DB with every measurement and a choice per kernel, find the fastest config, and a second sweep is all hits and
// appends nothing; the round driver advances every kernel together and stops after the first round once the budget
// is spent; measurements an interrupted sweep left in the DB are not taken again.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { enumerate, type Config, type SearchSpace } from "../../backends/tunable.ts";
import type { Kernel } from "../../backends/schedule/partition.ts";
import { TuningDb } from "../../autotune/db.ts";
import { sweep, sweepRounds, tunables, type Progress, type Tunable } from "../../autotune/sweep.ts";

const tmp = mkdtempSync(join(tmpdir(), "trainc-sweep-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type X = { readonly [k: string]: number; readonly x: number };

/** A kernel whose space has x in 1..8, fastest at `best`. */
function tunable(name: string, best: number): Tunable {
  const axes = { x: [1, 2, 3, 4, 5, 6, 7, 8] };
  const space: SearchSpace<X> = {
    id: "test/1", kernelHash: name, problem: name, axes, candidates: enumerate<X>(axes, () => true, { x: 1 }), heuristic: { x: 1 },
    flops: 1, bytes: 1, describe: (c) => `x${c.x}`, render: (c) => [{ name, code: `${best} ${c.x}` } as never],
    predict: () => 1,
  };
  return { space: space as unknown as SearchSpace, kernel: { name } as Kernel, launches: 1 };
}

const timeOf = (code: string) => {
  const [best, x] = code.split(" ").map(Number);
  return 1 + Math.abs(x! - best!);
};

const DEVICE = { device: "fake gpu", toolchain: "fake 1", ceilings: async () => ({ flopsPerSecond: 1, bytesPerSecond: 1 }) };
const QUIET: Progress = { kernelStart: () => {}, candidateDone: () => {}, kernelDone: () => {}, roundDone: () => {} };

describe("sweeps", () => {
  const list = [tunable("a", 6), tunable("b", 3)];

  test("one at a time: every kernel searched, then all hits", async () => {
    const db = TuningDb.open(join(tmp, "one.jsonl"));
    let taken = 0;
    const m = {
      ...DEVICE, prepare: (k: Kernel) => k, release: () => {},
      measure: async (_: Kernel, sources: { code: string }[]) => (taken++, { ms: timeOf(sources[0]!.code) }),
    };
    const first = await sweep(list, db, m, 100, QUIET, () => {});
    expect(first.rows.map((r) => r.choice.config)).toEqual([{ x: 6 }, { x: 3 }]);
    expect(first.measured).toBe(taken);
    const text = readFileSync(db.path, "utf8");
    const again = await sweep(list, TuningDb.open(db.path), m, 100, QUIET, () => {});
    expect(again.rows.every((r) => r.hit)).toBe(true);
    expect(again.measured).toBe(0);
    expect(readFileSync(db.path, "utf8")).toBe(text);
  });

  test("rounds: kernels advance together; a spent budget ends the sweep after the first round", async () => {
    const rounds: number[] = [];
    const m = {
      ...DEVICE,
      measureRound: async (items: readonly { tunable: Tunable; config: Config }[]) => {
        rounds.push(items.length);
        return items.map((i) => ({ ms: timeOf((i.tunable.space.render(i.config)[0] as { code: string }).code) }));
      },
    };
    const db = TuningDb.open(join(tmp, "rounds.jsonl"));
    const full = await sweepRounds(list, db, m, 100, QUIET, () => {});
    expect(full.rows.map((r) => r.choice.config)).toEqual([{ x: 6 }, { x: 3 }]);
    expect(rounds).toEqual([16]);
    const measurements = db.records.filter((r) => r.record === "measurement");
    expect(measurements).toHaveLength(16);

    rounds.length = 0;
    const spent = await sweepRounds([tunable("c", 8), tunable("d", 2)], TuningDb.open(join(tmp, "spent.jsonl")), m, 0, QUIET, () => {});
    expect(rounds).toEqual([16]);
    expect(spent.rows).toHaveLength(2);
  });

  test("measurements left by an interrupted sweep are reused", async () => {
    const db = TuningDb.open(join(tmp, "resume.jsonl"));
    const key = { kernel: "a", space: "test/1", device: DEVICE.device, toolchain: DEVICE.toolchain };
    for (const x of [1, 2, 3]) db.append({ record: "measurement", ...key, problem: "a", config: { x }, ms: 9, date: "d" });
    const asked: number[] = [];
    const m = {
      ...DEVICE,
      measureRound: async (items: readonly { tunable: Tunable; config: Config }[]) =>
        items.map((i) => (asked.push(i.config["x"]!), { ms: timeOf((i.tunable.space.render(i.config)[0] as { code: string }).code) })),
    };
    const r = await sweepRounds([list[0]!], db, m, 100, QUIET, () => {});
    expect(asked.sort()).toEqual([4, 5, 6, 7, 8]);
    expect(r.rows[0]!.choice.config).toEqual({ x: 6 });
  });

  test("equal kernels are tuned once, their launches counted", () => {
    const t = tunable("a", 1);
    const merged = tunables([{ name: "k1" } as Kernel, { name: "k2" } as Kernel], () => t.space);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.launches).toBe(2);
  });
});
