// Golden tests for passes (MLIR-style): test/ir/<pass-name>/*.ir start with `// RUN: <pass>[,<pass>...]`, where a
// pass may carry options (`attention-lowering{attention=sdpa}`: PassOptions keys, `;` between pairs); cases are separated by
// `// -----`. Each case is parsed, run through the passes (verifying after each), printed and matched against its
// CHECK lines; then input and output graphs run through the interpreter on the same random inputs and must agree
// exactly, or within the pass's tolerance (semantic preservation). A test also requires a golden folder for every
// registered pass.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { interpret } from "../../ir/interpret/index.ts";
import { parseGraph } from "../../ir/parse.ts";
import { printGraph } from "../../ir/print.ts";
import { toArray } from "../../ir/tensor.ts";
import { verifyGraph } from "../../ir/verify.ts";
import { DEFAULT_PASS_OPTIONS, type PassOptions } from "../../passes/pass.ts";
import { findPass, PASSES } from "../../passes/registry.ts";
import { fileCheck, parseChecks } from "../harness/filecheck.ts";
import { randomInputs } from "../harness/random.ts";

const root = import.meta.dirname;

function goldenFiles(pass: string): string[] {
  const dir = join(root, pass);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ir")).map((f) => join(dir, f)) : [];
}

/** `name` or `name{key=value,...}` of a RUN line: the pass and its options over the defaults. */
function parseRun(item: string): { name: string; options: PassOptions } {
  const [, name, body] = /^([\w-]+)(?:\{(.*)\})?$/.exec(item) ?? [];
  if (name === undefined) throw new Error(`bad RUN item '${item}'`);
  const pairs = (body ?? "").split(";").filter((p) => p !== "").map((p) => p.split("="));
  return { name, options: { ...DEFAULT_PASS_OPTIONS, ...Object.fromEntries(pairs) } };
}

/** Largest |a - b| / max(|b|, 1) over the elements (nested arrays flattened). */
function maxRelative(a: unknown, b: unknown): number {
  const [x, y] = [[a].flat(Infinity) as number[], [b].flat(Infinity) as number[]];
  if (x.length !== y.length) return Infinity;
  return x.reduce((worst, v, i) => Math.max(worst, Math.abs(v - y[i]!) / Math.max(Math.abs(y[i]!), 1)), 0);
}

describe("pass goldens", () => {
  for (const pass of PASSES) {
    for (const file of goldenFiles(pass.name)) {
      const text = readFileSync(file, "utf8");
      const run = (/\/\/\s*RUN:\s*(\S+)/.exec(text)?.[1]?.split(",") ?? []).map(parseRun);
      const cases = text.split(/^\/\/ -----$/m);
      cases.forEach((source, i) => {
        test(`${pass.name}/${file.split("/").at(-1)} case ${i + 1}`, () => {
          expect(run.length).toBeGreaterThan(0);
          const before = parseGraph(source, file);
          let after = before;
          let tolerance = 0;
          for (const { name, options } of run) {
            const p = findPass(name);
            if (!p) throw new Error(`RUN names unknown pass '${name}'`);
            after = p.run(after, options);
            tolerance = Math.max(tolerance, p.tolerance ?? 0);
            verifyGraph(after);
          }
          const problem = fileCheck(parseChecks(source), printGraph(after));
          if (problem) throw new Error(`${problem}\n--- output ---\n${printGraph(after)}`);
          const inputs = randomInputs(before, 7);
          const want = interpret(before, inputs);
          const got = interpret(after, inputs);
          for (const o of before.outputs) {
            const [a, w] = [toArray(got[o.name]!), toArray(want[o.name]!)];
            if (tolerance === 0) expect(a).toEqual(w);
            else expect(maxRelative(a, w), o.name).toBeLessThanOrEqual(tolerance);
          }
        });
      });
    }
  }

  test("every pass has goldens", () => {
    expect(PASSES.filter((p) => goldenFiles(p.name).length === 0).map((p) => p.name)).toEqual([]);
  });
});
