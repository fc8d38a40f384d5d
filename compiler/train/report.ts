// What training tells the user while it runs: a progress line (step, loss, lr, grad norm, tokens/s, elapsed, ETA) on
// stderr — redrawn in place on a terminal, printed every logging_steps otherwise — an eval line per evaluation, and
// metrics.jsonl in the output folder: one JSON object per optimizer step and one per evaluation (step, eval_loss).
// Invariant: metrics.jsonl is appended line by line and flushed per step, so a stopped run keeps what it measured.

import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { EvalResult, StepResult } from "./loop.ts";

export interface Reporter {
  step(result: StepResult): void;
  eval(result: EvalResult): void;
  done(): void;
}

/** The line an evaluation prints. */
export function evalLine(r: EvalResult, total: number): string {
  return `eval at step ${r.step}/${total} | eval loss ${r.loss.toFixed(4)} | ${r.targetTokens.toLocaleString("en-US")} target tokens`;
}

/** Formats seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h, m, sec] = hms as [number, number, number];
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}

/** One progress line for a step. */
export function progressLine(r: StepResult, total: number, elapsed: number, tokensPerSecond: number): string {
  const eta = (elapsed / r.step) * (total - r.step);
  return [
    `step ${r.step}/${total}`, `loss ${r.loss.toFixed(4)}`, `lr ${r.lr === 0 ? "0" : r.lr.toExponential(2)}`, `grad ${r.gradNorm.toFixed(3)}`,
    `${Math.round(tokensPerSecond).toLocaleString("en-US")} tok/s`, `epoch ${r.epoch}`, `${clock(elapsed)} elapsed`, `ETA ${clock(eta)}`,
  ].join(" | ");
}

export function createReporter(options: {
  readonly total: number;
  readonly loggingSteps: number;
  readonly metricsFile: string;
  readonly stream?: NodeJS.WriteStream;
}): Reporter {
  const stream = options.stream ?? process.stderr;
  const live = stream.isTTY === true;
  const start = performance.now();
  let tokens = 0;
  mkdirSync(dirname(options.metricsFile), { recursive: true });
  writeFileSync(options.metricsFile, "");
  let pending = false;
  return {
    step(r) {
      const elapsed = (performance.now() - start) / 1000;
      tokens += r.inputTokens;
      const rate = tokens / Math.max(elapsed, 1e-9);
      appendFileSync(options.metricsFile, JSON.stringify({
        step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr, grad_norm: r.gradNorm, target_tokens: r.targetTokens,
        tokens: r.inputTokens, tokens_per_s: rate, elapsed_s: elapsed,
      }) + "\n");
      const line = progressLine(r, options.total, elapsed, rate);
      const keep = r.step % options.loggingSteps === 0 || r.step === 1 || r.step === options.total;
      if (live) {
        stream.write(`\r\x1b[2K${line}${keep ? "\n" : ""}`);
        pending = !keep;
      } else if (keep) {
        stream.write(`${line}\n`);
      }
    },
    eval(r) {
      appendFileSync(options.metricsFile, JSON.stringify({ step: r.step, eval_loss: r.loss, eval_target_tokens: r.targetTokens }) + "\n");
      stream.write(`${pending ? "\n" : ""}${evalLine(r, options.total)}\n`);
      pending = false;
    },
    done() {
      if (pending) stream.write("\n");
    },
  };
}
