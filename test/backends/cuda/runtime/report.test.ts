// The C++ progress line and metrics.jsonl against the cpu target's (compiler/train/report.ts): JavaScript's number
// formatting on thousands of numbers (toFixed, toExponential, String, JSON.stringify, grouped integers, clock),
// whole progress lines and metrics objects, and a reporter run (lines kept every logging_steps, the first and the
// last; redrawn in place on a terminal; one metrics object per step).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRandom } from "../../../../compiler/random.ts";
import { clock, evalLine, progressLine } from "../../../../compiler/train/report.ts";
import type { StepResult } from "../../../../compiler/train/loop.ts";
import { build, HAVE_GXX, NO_GXX, printedError, run } from "./build.ts";

const dir = mkdtempSync(join(tmpdir(), "trainc-rt-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let tool = "";

/** Numbers JSON can carry, with the four it cannot spelled as strings. */
const encode = (x: number) => (Number.isNaN(x) ? "NaN" : x === Infinity ? "Infinity" : x === -Infinity ? "-Infinity" : Object.is(x, -0) ? "-0" : x);

/** Edge cases of every formatter, then random numbers over 60 decades, exact binary fractions and integers. */
function numbers(): number[] {
  const random = makeRandom(11, 0);
  const edges = [
    0, -0, NaN, Infinity, -Infinity, 0.5, 1.5, 2.5, -2.5, 0.03125, 0.00005, 1.00005, 0.0018, 1.8e-3, 2.3456, 1.234, 5e-7, 1e-7,
    1e21, 999999999999999900000, 1e20, 123456789.5, 0.1 + 0.2, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -1074, 9.995, 9.9995,
    0.9995, 59.5, 3599.5, 3600, 86399.6, -0.4, -0.5, -0.6, 4.35, 1e-6, 1.5e-6, 123e-20, 2 ** 53, 2 ** 53 + 2,
  ];
  const scaled = Array.from({ length: 3000 }, () => (random() < 0.5 ? -1 : 1) * random() * 10 ** Math.floor(random() * 60 - 30));
  const fractions = Array.from({ length: 500 }, () => Math.floor(random() * 2 ** 20) / 2 ** Math.floor(random() * 24));
  const integers = Array.from({ length: 300 }, () => Math.floor(random() * 10 ** Math.floor(random() * 16)));
  return [...edges, ...scaled, ...fractions, ...integers];
}

/** Random step results (including NaN losses and zero learning rates) with their total, elapsed time and rate. */
function steps(): (StepResult & { total: number; elapsed: number; rate: number })[] {
  const random = makeRandom(12, 0);
  return Array.from({ length: 300 }, (_, i) => {
    const total = 1 + Math.floor(random() * 100000);
    const step = 1 + Math.floor(random() * total);
    return {
      step, total, epoch: Math.floor(random() * 5), loss: i % 50 === 0 ? NaN : random() * 12, lr: i % 7 === 0 ? 0 : random() * 10 ** -(1 + Math.floor(random() * 6)),
      gradNorm: random() * 10 ** Math.floor(random() * 4), targetTokens: Math.floor(random() * 1e6), inputTokens: Math.floor(random() * 1e6),
      elapsed: random() * 10 ** Math.floor(random() * 6), rate: random() * 10 ** Math.floor(random() * 8),
    };
  });
}

/** The metrics.jsonl object report.ts writes for a step. */
function metricsJson(r: StepResult, rate: number, elapsed: number): string {
  return JSON.stringify({
    step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr, grad_norm: r.gradNorm, target_tokens: r.targetTokens,
    tokens: r.inputTokens, tokens_per_s: rate, elapsed_s: elapsed,
  });
}

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "C++ progress and metrics" : `C++ progress and metrics (skipped: ${NO_GXX})`, () => {
  beforeAll(() => {
    tool = build("g++", ["report-tool.cpp"], "report-tool");
  });

  it("formats numbers exactly as JavaScript does", () => {
    const xs = numbers();
    const cases = steps();
    const input = JSON.stringify({
      numbers: xs.map(encode),
      steps: cases.map((c) => ({
        step: c.step, epoch: c.epoch, loss: encode(c.loss), lr: c.lr, grad_norm: c.gradNorm, target_tokens: c.targetTokens,
        input_tokens: c.inputTokens, total: c.total, elapsed: c.elapsed, rate: c.rate,
      })),
    });
    const r = run(tool, ["format"], { input });
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    const want = xs.map((x) => [
      x.toFixed(4), x.toFixed(3), x.toExponential(2), String(x), JSON.stringify(x), Math.round(x).toLocaleString("en-US"), Math.abs(x) < 1e9 ? clock(x) : "-",
    ].join("\t"));
    expect(lines).toHaveLength(xs.length + 2 * cases.length + 1);
    const mismatches = want.map((w, i) => [w, lines[i]]).filter(([w, got]) => w !== got);
    expect(mismatches.slice(0, 8), `${mismatches.length} numbers differ (JavaScript, C++)`).toEqual([]);
    const stepLines = cases.flatMap((c) => [progressLine(c, c.total, c.elapsed, c.rate), metricsJson(c, c.rate, c.elapsed)]);
    expect(lines.slice(xs.length, -1)).toEqual(stepLines);
  });

  /** What the cpu target prints and writes for the tool's made-up run (see report-tool.cpp). */
  function expectedRun(total: number, loggingSteps: number, live: boolean): { stdout: string; metrics: string } {
    let tokens = 0;
    let stdout = "";
    let metrics = "";
    let pending = false;
    for (let i = 1; i <= total; i++) {
      const r: StepResult = { step: i, epoch: Math.floor((i - 1) / 4), loss: 4 / i, lr: (1e-3 * i) / total, gradNorm: 1 / i, targetTokens: 100 + i, inputTokens: 120 + i };
      const elapsed = 0.75 * i;
      tokens += r.inputTokens;
      metrics += metricsJson(r, tokens / elapsed, elapsed) + "\n";
      const line = progressLine(r, total, elapsed, tokens / elapsed);
      const keep = i % loggingSteps === 0 || i === 1 || i === total;
      if (live) stdout += `\r\x1b[2K${line}${keep ? "\n" : ""}`;
      else if (keep) stdout += `${line}\n`;
      pending = live && !keep;
      if (i % 3 === 0 || i === total) {
        const e = { step: i, loss: 2 / i, targetTokens: 50 + i };
        metrics += JSON.stringify({ step: e.step, eval_loss: e.loss, eval_target_tokens: e.targetTokens }) + "\n";
        stdout += `${pending ? "\n" : ""}${evalLine(e, total)}\n`;
        pending = false;
      }
    }
    return { stdout, metrics };
  }

  it.each([["lines", false], ["live", true]] as const)("a run in %s mode prints and writes what the cpu target does", (mode, live) => {
    const metrics = join(dir, mode, "metrics.jsonl");
    const r = run(tool, ["run", metrics, "10", "4", mode]);
    expect(r.stderr).toBe("");
    const want = expectedRun(10, 4, live);
    expect(r.stdout).toBe(want.stdout);
    expect(readFileSync(metrics, "utf8")).toBe(want.metrics);
    if (!live) {
      expect(r.stdout.split("\n").map((l) => l.split(" | ")[0])).toEqual(["step 1/10", "eval at step 3/10", "step 4/10", "eval at step 6/10",
        "step 8/10", "eval at step 9/10", "step 10/10", "eval at step 10/10", ""]);
    }
  });

  it("says when metrics.jsonl cannot be written (6520)", () => {
    writeFileSync(join(dir, "blocked"), "");
    const e = printedError(run(tool, ["run", join(dir, "blocked", "metrics.jsonl"), "3", "1", "lines"]));
    expect(e.code).toBe(6520);
    expect(e.message).toContain(join(dir, "blocked", "metrics.jsonl"));
  });
});
