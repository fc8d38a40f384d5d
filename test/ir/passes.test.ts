// Golden tests for passes (MLIR-style): test/ir/<pass-name>/*.ir start with `// RUN: <pass>[,<pass>...]`; cases are
// separated by `// -----`. Each case is parsed, run through the passes (verifying after each), printed and matched
// against its CHECK lines; then input and output graphs run through the interpreter on the same random inputs and
// must agree exactly (semantic preservation). A test also requires a golden folder for every registered pass.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { interpret } from "../../ir/interpret/index.ts";
import { parseGraph } from "../../ir/parse.ts";
import { printGraph } from "../../ir/print.ts";
import { toArray } from "../../ir/tensor.ts";
import { verifyGraph } from "../../ir/verify.ts";
import { findPass, PASSES } from "../../passes/registry.ts";
import { fileCheck, parseChecks } from "../harness/filecheck.ts";
import { randomInputs } from "../harness/random.ts";

const root = import.meta.dirname;

function goldenFiles(pass: string): string[] {
  const dir = join(root, pass);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ir")).map((f) => join(dir, f)) : [];
}

describe("pass goldens", () => {
  for (const pass of PASSES) {
    for (const file of goldenFiles(pass.name)) {
      const text = readFileSync(file, "utf8");
      const run = /\/\/\s*RUN:\s*(\S+)/.exec(text)?.[1]?.split(",") ?? [];
      const cases = text.split(/^\/\/ -----$/m);
      cases.forEach((source, i) => {
        test(`${pass.name}/${file.split("/").at(-1)} case ${i + 1}`, () => {
          expect(run.length).toBeGreaterThan(0);
          const before = parseGraph(source, file);
          let after = before;
          for (const name of run) {
            const p = findPass(name);
            if (!p) throw new Error(`RUN names unknown pass '${name}'`);
            after = p.run(after);
            verifyGraph(after);
          }
          const problem = fileCheck(parseChecks(source), printGraph(after));
          if (problem) throw new Error(`${problem}\n--- output ---\n${printGraph(after)}`);
          const inputs = randomInputs(before, 7);
          const want = interpret(before, inputs);
          const got = interpret(after, inputs);
          for (const o of before.outputs) expect(toArray(got[o.name]!)).toEqual(toArray(want[o.name]!));
        });
      });
    }
  }

  test("every pass has goldens", () => {
    expect(PASSES.filter((p) => goldenFiles(p.name).length === 0).map((p) => p.name)).toEqual([]);
  });
});
