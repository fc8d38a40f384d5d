// The tuning DB file: records round-trip through the file, the header is written once, a choice is found only under
// its whole key (kernel, space, device, toolchain), a damaged or foreign file is refused with E5801 and left byte for
// byte as it was; the lookup compile uses answers tuned configs for its own device only and says what it skipped.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { enumerate, type SearchSpace } from "../../backends/tunable.ts";
import { TuningDb, type Choice } from "../../autotune/db.ts";
import { tuningFor } from "../../autotune/lookup.ts";

const tmp = mkdtempSync(join(tmpdir(), "trainc-db-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KEY = { kernel: "abc", space: "test/1", device: "gpu A", toolchain: "tool 1" };
const date = "2026-11-30T00:00:00Z";

function choice(config: Record<string, number>, device = KEY.device): Choice {
  return { record: "choice", ...KEY, device, problem: "p", config, ms: 1, heuristic_ms: 2, measured: 3, strategy: "beam", date };
}

type X = { readonly [k: string]: number; readonly x: number };

const SPACE: SearchSpace<X> = {
  id: "test/1", kernelHash: "abc", problem: "p", axes: { x: [1, 2, 3] },
  candidates: enumerate<X>({ x: [1, 2, 3] }, () => true, { x: 1 }), heuristic: { x: 1 }, flops: 1, bytes: 1,
  describe: (c) => `x${c.x}`, render: () => [], predict: () => 1,
};

describe("TuningDb", () => {
  test("records round-trip, the header is written once, choices are keyed by all four fields", () => {
    const path = join(tmp, "a", "tuning.jsonl");
    const db = TuningDb.open(path);
    db.append({ record: "measurement", ...KEY, problem: "p", config: { x: 2 }, ms: 1.5, date });
    db.append({ record: "measurement", ...KEY, problem: "p", config: { x: 3 }, error: "off the reference", date });
    db.append(choice({ x: 2 }));
    db.append({ record: "ceilings", device: KEY.device, toolchain: KEY.toolchain, flops_per_second: 1e12, bytes_per_second: 1e11, date });
    const lines = readFileSync(path, "utf8").trim().split("\n");
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toEqual({ record: "trainc-tuning-db", version: 1 });
    const again = TuningDb.open(path);
    expect(again.measurements(KEY).map((m) => m.config)).toEqual([{ x: 2 }, { x: 3 }]);
    expect(again.choice(KEY)?.config).toEqual({ x: 2 });
    for (const field of ["kernel", "space", "device", "toolchain"] as const) {
      expect(again.choice({ ...KEY, [field]: "other" })).toBeUndefined();
    }
    expect(again.ceilings(KEY.device, KEY.toolchain)?.flops_per_second).toBe(1e12);
    expect(again.ceilings(KEY.device, "tool 2")).toBeUndefined();
  });

  test("a damaged line, a foreign file or a record of the wrong shape is refused and left as it was", () => {
    const header = '{"record":"trainc-tuning-db","version":1}\n';
    const cases = {
      "damaged.jsonl": `${header}${JSON.stringify(choice({ x: 2 }))}\n{"record":"choice","kern`,
      "foreign.jsonl": "kernel,ms\nabc,1.0\n",
      "shape.jsonl": `${header}${JSON.stringify({ ...choice({ x: 2 }), ms: "fast" })}\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
      const path = join(tmp, name);
      writeFileSync(path, text);
      expect(() => TuningDb.open(path), name).toThrow(expect.objectContaining({ code: 5801 }));
      expect(readFileSync(path, "utf8")).toBe(text);
    }
    expect(() => TuningDb.open(join(tmp, "damaged.jsonl"))).toThrow(/line 3, its last, is unfinished/);
    const newer = join(tmp, "newer.jsonl");
    writeFileSync(newer, '{"record":"trainc-tuning-db","version":2}\n');
    expect(() => TuningDb.open(newer)).toThrow(/a tuning DB of version 2; this trainc reads version 1/);
    const middle = join(tmp, "middle.jsonl");
    writeFileSync(middle, `${header}{"record":\n${JSON.stringify(choice({ x: 2 }))}\n`);
    expect(() => TuningDb.open(middle)).toThrow(/line 2 is damaged/);
  });
});

describe("tuningFor", () => {
  test("this device's choice is used; another device's is not, and the summary names it", () => {
    const path = join(tmp, "lookup.jsonl");
    const db = TuningDb.open(path);
    db.append(choice({ x: 3 }));
    const here = tuningFor(db, KEY.device, KEY.toolchain);
    expect(here.tuned(SPACE)).toEqual({ x: 3 });
    expect(here.summary()).toMatch(/^1 of 1 tunable kernels tuned for gpu A/);
    const there = tuningFor(db, "gpu B", KEY.toolchain);
    expect(there.tuned(SPACE)).toBeUndefined();
    expect(there.summary()).toMatch(/0 of 1 tunable kernels tuned .* also holds tunings of these kernels for gpu A \(tool 1\), not used/);
    expect(there.report()["kernels"]).toEqual([{ problem: "p", space: "test/1", config: "x1", tuned: false }]);
  });

  test("a chosen config no longer in the space is not used", () => {
    const db = TuningDb.open(join(tmp, "stale.jsonl"));
    db.append(choice({ x: 7 }));
    expect(tuningFor(db, KEY.device, KEY.toolchain).tuned(SPACE)).toBeUndefined();
  });

  test("an empty DB says where tunings would come from", () => {
    const use = tuningFor(TuningDb.open(join(tmp, "none.jsonl")), KEY.device, KEY.toolchain);
    use.tuned(SPACE);
    expect(use.summary()).toMatch(/no tunings in .*none\.jsonl \(trainc autotune fills it\): 1 tunable kernels at their heuristic/);
  });
});
