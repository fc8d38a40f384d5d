// Every op in the op table has an evaluation (the EVALS table's type already enforces it; this documents it) and
// is exercised by name in at least one interpreter test file.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EVALS } from "../../ir/interpret/index.ts";
import { OP_NAMES } from "../../ir/ops/index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const sources = readdirSync(here).filter((f) => f.endsWith(".test.ts") && f !== "coverage.test.ts")
  .map((f) => readFileSync(join(here, f), "utf8")).join("\n");

describe("interpreter coverage", () => {
  it("has an evaluation for every op and none for unknown ops", () => {
    expect(Object.keys(EVALS).sort()).toEqual([...OP_NAMES].sort());
  });

  for (const op of OP_NAMES) {
    it(`${op} is named in an interpreter test`, () => expect(sources.includes(`"${op}"`)).toBe(true));
  }
});
