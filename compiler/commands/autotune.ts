// `trainc autotune <config.yml> [--target] [--arch] [--budget s] [--db path] [--report]`: builds the program compile
// would build for the config, searches every tunable kernel on this machine's device within the budget
// (autotune/sweep.ts: on cuda a round of candidates per build, autotune/cuda-measure.ts; on wgsl one at a time),
// keeps every measurement in the tuning DB, and prints a table: kernel, launches per step, heuristic and best time,
// speedup, % of the roofline and the chosen config. With --report it measures nothing and prints what the DB holds
// for the config's kernels, for every device it holds them for. Progress on stderr: a line per kernel, redrawn in
// place on a terminal (wgsl), or a line per round (cuda), then a line per kernel as its search ends.
//
// Error codes defined here:
//   5003  autotune on the cpu target: the interpreter has no kernels to tune
//   5804  autotune on the hip target (no AMD GPU to measure on)

import { fail } from "../diagnostics.ts";
import { importFromConfig, makePlan, type Plan } from "../plan.ts";
import { resolveTarget } from "../targets.ts";
import { specializedStep, BUNDLE_LIMITS } from "../wgsl-run.ts";
import { buildWgslProgram, type WgslLimits } from "../../backends/wgsl/program.ts";
import { wgslSearchSpace } from "../../backends/wgsl/kernels.ts";
import { rooflineSeconds, sameConfig, type Ceilings } from "../../backends/tunable.ts";
import { defaultDbPath, TuningDb, type Choice } from "../../autotune/db.ts";
import { sweep, sweepRounds, tunables, type Progress, type SweepResult, type SweepRow, type Tunable } from "../../autotune/sweep.ts";
import { CudaMeasurer } from "../../autotune/cuda-measure.ts";
import { cudaSearchSpace } from "../../backends/cuda/kernels.ts";
import { archFeatures } from "../../backends/cuda/build.ts";
import { chooseArch, compileCuda } from "../cuda-run.ts";
import { WgslMeasurer } from "../../autotune/wgsl-measure.ts";
import { openDevice } from "../../backends/wgsl/device.ts";

export interface AutotuneOptions {
  readonly target?: string;
  /** cuda: the arch the kernels are built for (chooseArch's default: this machine's). */
  readonly arch?: string;
  /** Seconds of measuring for the whole sweep. */
  readonly budget?: number;
  readonly db?: string;
  readonly report?: boolean;
}

/** Seconds a sweep may measure when --budget is not given. */
const DEFAULT_BUDGET_SECONDS = 300;

export async function autotune(configFile: string, options: AutotuneOptions): Promise<void> {
  const note = (m: string) => process.stderr.write(`trainc: ${m}\n`);
  const target = await resolveTarget(options.target, note);
  if (target.name === "cpu") {
    fail(5003, `trainc autotune ${configFile}: the cpu target runs the reference interpreter and has no kernels to tune`,
      "autotune on a GPU target: --target cuda (NVIDIA) or wgsl (WebGPU)");
  }
  if (target.name === "hip") {
    fail(5804, `trainc autotune --target hip: HIP kernels cannot be measured here (trainc builds them, but no AMD GPU runs them)`,
      "autotune with --target cuda or wgsl; hip programs use their heuristic configs");
  }
  const db = TuningDb.open(options.db ?? defaultDbPath());
  const plan = makePlan(importFromConfig(configFile, target, note), { note });
  const budget = options.budget ?? DEFAULT_BUDGET_SECONDS;
  if (target.name === "cuda") await autotuneCuda(plan, db, chooseArch("cuda", options.arch, note), budget, options.report === true, note);
  else await autotuneWgsl(plan, db, budget, options.report === true, note);
}

/** The cuda sweep (or report) of `plan`'s tunable kernels for `arch`. */
async function autotuneCuda(plan: Plan, db: TuningDb, arch: string, budget: number, report: boolean,
  note: (m: string) => void): Promise<void> {
  const kernels = compileCuda(plan, arch, false, note).program.graphs.flatMap((g) => g.kernels.map((k) => k.kernel));
  const features = archFeatures(arch);
  const list = tunables(kernels, (k) => cudaSearchSpace(k, features));
  if (report) {
    process.stdout.write(reportTable(list, db));
    return;
  }
  const measurer = await CudaMeasurer.open(arch);
  note(`${list.length} tunable kernels on ${measurer.device} (${measurer.toolchain}); budget ${budget} s; tuning DB ${db.path}`);
  printSweep(await sweepRounds(list, db, measurer, budget, progressLines(), note));
}

/**
 * The wgsl sweep (or report) of `plan`'s tunable kernels on the first WebGPU adapter: those of the program train runs
 * on this device and those of the bundle compile writes (planned within WebGPU's default limits, without subgroups),
 * which differ where the limits cut fused kernels differently. A report without an adapter covers the bundle's.
 */
async function autotuneWgsl(plan: Plan, db: TuningDb, budget: number, report: boolean, note: (m: string) => void): Promise<void> {
  const { module, sizes } = specializedStep(plan);
  note(`scheduling the train step for B=${sizes.B}, T=${sizes.T}`);
  const tunableFor = (limits: WgslLimits) => tunables(buildWgslProgram(module, limits).graphs
    .flatMap((g) => g.kernels.map((k) => k.kernel)), (k) => wgslSearchSpace(k, limits.subgroups));
  const both = (device: WgslLimits | undefined) => {
    const bundle = tunableFor(BUNDLE_LIMITS);
    const here = device ? tunableFor(device) : [];
    const key = (t: Tunable) => `${t.space.kernelHash} ${t.space.id}`;
    return [...here, ...bundle.filter((t) => !here.some((h) => key(h) === key(t)))];
  };
  if (report) {
    process.stdout.write(reportTable(both(await adapterLimits()), db));
    return;
  }
  const measurer = await WgslMeasurer.open();
  try {
    const list = both(measurer.limits);
    note(`${list.length} tunable kernels on ${measurer.device} (${measurer.toolchain}), timed by ${measurer.timing}; ` +
      `budget ${budget} s; tuning DB ${db.path}`);
    printSweep(await sweep(list, db, measurer, budget, progressLines(), note));
  } finally {
    measurer.close();
  }
}

/** The first WebGPU adapter's limits, or undefined where there is none. */
async function adapterLimits(): Promise<WgslLimits | undefined> {
  try {
    const gpu = await openDevice();
    gpu.close();
    return gpu.limits;
  } catch {
    return undefined;
  }
}

function printSweep(result: SweepResult): void {
  process.stdout.write(sweepTable(result.rows, result.ceilings));
  const fresh = result.rows.filter((r) => !r.hit).length;
  process.stdout.write(`${fresh} kernels searched (${result.measured} candidates measured), ${result.rows.length - fresh} ` +
    `found in the DB; ${result.seconds.toFixed(1)} s; ${stepLine(result.rows)}\n`);
}

const ms = (x: number) => x < 0.1 ? x.toFixed(4) : x.toFixed(3);

function bar(fraction: number): string {
  const filled = Math.round(20 * Math.min(1, Math.max(0, fraction)));
  return `[${"#".repeat(filled)}${".".repeat(20 - filled)}]`;
}

/**
 * Progress on stderr: one line per kernel, redrawn in place on a terminal while its search runs (wgsl), or one line
 * per round with the budget spent (cuda), then one per kernel as its search ends.
 */
function progressLines(): Progress {
  const tty = process.stderr.isTTY === true;
  let head = "";
  let started = 0;
  let seconds = 1;
  return {
    kernelStart(index, count, t, budget) {
      head = `[${index + 1}/${count}] ${t.space.problem}`;
      started = performance.now();
      seconds = Math.max(budget, 1e-3);
    },
    candidateDone(measured, best, heuristic) {
      if (!tty) return;
      const used = (performance.now() - started) / 1000 / seconds;
      const times = best === undefined ? "" : `, best ${ms(best)} ms${heuristic ? ` (heuristic ${ms(heuristic)} ms)` : ""}`;
      process.stderr.write(`\r\x1b[K${head} ${bar(used)} ${measured} measured${times}`);
    },
    roundDone(round, candidates, kernels, seconds, budget) {
      process.stderr.write(`round ${round}: ${candidates} candidates of ${kernels} kernels measured ${bar(seconds / budget)} ` +
        `${seconds.toFixed(0)}/${budget} s\n`);
    },
    kernelDone(row) {
      const c = row.choice;
      const what = row.hit ? "in the DB" : `${c.measured} measured (${c.strategy})`;
      const line = `${head || row.tunable.space.problem}: ${what}, ${ms(c.heuristic_ms)} -> ${ms(c.ms)} ms`;
      process.stderr.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
      head = "";
    },
  };
}

/** Columns padded to their widest cell; numbers right-aligned. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = (s: string) => /^[\d.]+(x|%)?$/.test(s);
  const line = (r: readonly string[]) => r.map((c, i) => (numeric(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

function roofline(t: Tunable, c: Ceilings, msTaken: number): string {
  const floor = rooflineSeconds(t.space.flops, t.space.bytes, c);
  return `${((100 * floor) / (msTaken / 1000)).toFixed(1)}%`;
}

function configCell(t: Tunable, choice: Choice): string {
  const heuristic = sameConfig(choice.config, t.space.heuristic);
  return heuristic ? `${t.space.describe(t.space.heuristic)} (heuristic)` : t.space.describe(choice.config as typeof t.space.heuristic);
}

function sweepTable(rows: readonly SweepRow[], c: Ceilings): string {
  return table(["kernel", "launches", "heuristic ms", "best ms", "speedup", "roofline", "config"], rows.map((r) => [
    r.tunable.space.problem, String(r.tunable.launches), ms(r.choice.heuristic_ms), ms(r.choice.ms),
    `${(r.choice.heuristic_ms / r.choice.ms).toFixed(2)}x`, roofline(r.tunable, c, r.choice.ms), configCell(r.tunable, r.choice),
  ]));
}

/** The tunable kernels' time per step (launches x time), heuristic against tuned. */
function stepLine(rows: readonly SweepRow[]): string {
  const sum = (f: (c: Choice) => number) => rows.reduce((n, r) => n + r.tunable.launches * f(r.choice), 0);
  const before = sum((c) => c.heuristic_ms);
  const after = sum((c) => c.ms);
  return `tunable kernels per step ${ms(before)} -> ${ms(after)} ms (${(before / after).toFixed(2)}x)`;
}

/** What the DB holds for `list`, every device's tunings (--report). */
function reportTable(list: readonly Tunable[], db: TuningDb): string {
  const rows = list.flatMap((t) => {
    const choices = db.records.filter((r): r is Choice => r.record === "choice" && r.kernel === t.space.kernelHash && r.space === t.space.id);
    const latest = new Map(choices.map((c) => [`${c.device} ${c.toolchain}`, c]));
    if (latest.size === 0) return [[t.space.problem, String(t.launches), "-", "-", "-", "-", "not tuned"]];
    return [...latest.values()].map((c) => [t.space.problem, String(t.launches), `${c.device} (${c.toolchain})`, ms(c.heuristic_ms),
      ms(c.ms), `${(c.heuristic_ms / c.ms).toFixed(2)}x`, configCell(t, c)]);
  });
  const tuned = list.filter((t) => db.records.some((r) => r.record === "choice" && r.kernel === t.space.kernelHash && r.space === t.space.id)).length;
  return table(["kernel", "launches", "device", "heuristic ms", "best ms", "speedup", "config"], rows) +
    `${tuned} of ${list.length} tunable kernels have tunings in ${db.path}\n`;
}
