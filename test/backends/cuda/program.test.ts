// Whole CUDA training programs, as CI checks them without a GPU: `trainc compile --target cuda --arch <arch>` schedules,
// renders and builds with nvcc (compile and link; nothing runs here) the example config and the Llama-3.2-1B benchmark
// config, for sm_90 and for sm_90a (whose attention backward is the wgmma kernel). Each writes a report whose memory
// figures add up, and its binary refuses to run without a GPU with a clear error. The 1B config compiles from the repo alone: its model folder holds config.json
// and no weights, and it has no tokenizer or dataset (max_steps fixes the step count). Each 1B build takes nvcc about
// two minutes on the dev box (bench/llama-1b/README.md), hence the timeouts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { runCli } from "../../harness/cli.ts";
import { exampleConfig } from "../../harness/example.ts";
import { HAVE_NVCC, NO_NVCC_REASON } from "./nvcc.ts";

const root = join(import.meta.dirname, "../../..");
const example = join(root, "examples/tiny-llama");
const llama1b = join(root, "bench/llama-1b");
const tmp = mkdtempSync(join(tmpdir(), "trainc-cuda-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
process.env["TRAINC_CACHE"] = join(tmp, "cache");

const ARCHS = ["sm_90", "sm_90a"];

/** The example's config with absolute paths (test/harness/example.ts), `extra` lines appended. */
function exampleWith(extra: readonly string[] = []): string {
  return exampleConfig(tmp, `example-${extra.length}`, (text) => text + extra.map((line) => `${line}\n`).join(""));
}

/** The 1B config as it is in the repo, with base_model absolute (the dataset path is left as is: it is not read). */
function llama1bConfig(): string {
  const config = join(tmp, "llama-1b.yml");
  writeFileSync(config, readFileSync(join(llama1b, "config.yml"), "utf8").replace("base_model: ./model", `base_model: ${join(llama1b, "model")}`));
  return config;
}

/** The parts of report.json these tests read. */
interface Report {
  readonly parameters: number;
  readonly micro_batch_size: number;
  readonly sequence_len: number;
  readonly dtype: string;
  readonly parameter_dtype: string;
  readonly flops_per_step: number;
  readonly memory: { state_bytes: number; activation_bytes: number; workspace_bytes: number; predicted_peak_bytes: number };
  readonly kernels: readonly { readonly graph: string; readonly kind: string; readonly source: string }[];
  readonly binary: string;
}

interface Compiled {
  readonly stdout: string;
  readonly stderr: string;
  readonly report: Report;
}

/** A Llama's parameter count from its config.json, by the textbook formula (tied embeddings counted once). */
function llamaParameters(dir: string): number {
  const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  const [hidden, heads, kv, mlp] = [c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.intermediate_size];
  const headDim = c.head_dim ?? hidden / heads;
  const layer = 2 * hidden * heads * headDim + 2 * hidden * kv * headDim + 3 * hidden * mlp + 2 * hidden;
  return c.vocab_size * hidden * (c.tie_word_embeddings ? 1 : 2) + c.num_hidden_layers * layer + hidden;
}

/** Runs `trainc compile <config> --target cuda --arch <arch>` in-process; expects success and returns its output and report. */
async function compile(config: string, arch: string, name: string): Promise<Compiled> {
  const out = join(tmp, `${name}-${arch}`);
  const { code, stdout, stderr } = await runCli(["compile", config, "--target", "cuda", "--arch", arch, "-o", out]);
  expect(code, stderr).toBe(0);
  expect(stdout).toContain(`compiled for cuda (${arch}): `);
  return { stdout, stderr, report: JSON.parse(readFileSync(join(out, "report.json"), "utf8")) };
}

/** Checks the figures every report must get right, and that the binary was built and refuses to run without a GPU. */
function checkReport(report: Report, parameters: number): void {
  expect(report.parameters).toBe(parameters);
  const memory = report.memory;
  expect(memory.predicted_peak_bytes).toBe(memory.state_bytes + memory.activation_bytes + memory.workspace_bytes);
  // f32 parameters, f32 gradients and AdamW's two f32 moments, plus the batch (three i64 [B,T] planes), a few scalars
  // and 256-byte alignment (at most 1024 pads).
  const batch = 3 * 8 * report.micro_batch_size * report.sequence_len;
  expect(memory.state_bytes).toBeGreaterThanOrEqual(16 * parameters + batch);
  expect(memory.state_bytes).toBeLessThanOrEqual(16 * parameters + batch + 256 * 1024);
  expect(report.flops_per_step).toBeGreaterThan(0);
  const run = spawnSync(report.binary, [join(tmp, "missing-run.json")], { encoding: "utf8" });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/error\[E65\d\d\]/);
}

test.skipIf(!HAVE_NVCC).each(ARCHS)("the example compiles to a CUDA training binary for %s", async (arch) => {
  const { stdout, report } = await compile(exampleWith(), arch, "example");
  const parameters = llamaParameters(join(example, "model"));
  expect(stdout).toContain(`${parameters.toLocaleString("en-US")} parameters, ${report.kernels.length} kernel launches per step`);
  checkReport(report, parameters);
  expect(report.kernels.length).toBeGreaterThan(100);
  expect(report.kernels.filter((k) => k.kind === "matmul").length).toBeGreaterThan(20);
}, 300_000);

test.skipIf(!HAVE_NVCC)("the example with sample packing and a validation split compiles: one packed row, @eval_step built", async () => {
  const config = exampleWith(["sample_packing: true", "attn_implementation: flash_attention_2", "val_set_size: 0.05"]);
  const { stdout, report } = await compile(config, "sm_90a", "example-packed");
  expect([report.micro_batch_size, report.sequence_len]).toEqual([1, 16 * 32]);
  const step = report.kernels.filter((k) => k.graph !== "eval_step").length;
  expect(stdout).toContain(`${step} kernel launches per step`);
  expect(report.kernels.filter((k) => k.graph === "eval_step").map((k) => k.kind)).toContain("attention");
  checkReport(report, llamaParameters(join(example, "model")));
}, 300_000);

test.skipIf(!HAVE_NVCC).each(ARCHS)("the Llama-3.2-1B benchmark compiles without weights, tokenizer or data for %s", async (arch) => {
  for (const absent of ["model/tokenizer.json", "data/train.jsonl"]) expect(existsSync(join(llama1b, absent)), absent).toBe(false);
  const { stderr, report } = await compile(llama1bConfig(), arch, "llama-1b");
  expect(stderr).toContain(`no weights in ${join(llama1b, "model")}: compiling from config.json`);
  expect(stderr).not.toContain("tokenizing");
  expect(llamaParameters(join(llama1b, "model"))).toBe(1_235_814_400);
  checkReport(report, 1_235_814_400);
  expect([report.micro_batch_size, report.sequence_len, report.dtype, report.parameter_dtype]).toEqual([4, 4096, "bf16", "f32"]);
  // 6·N per token for the weights plus causal attention, as bench/e2e counts model FLOPs, is 134.7 TFLOP per step;
  // the compiler's count adds the elementwise work and so lies a little above.
  const tokens = 4 * 4096;
  const model = tokens * (6 * 1_235_814_400 + 6 * 16 * 4096 * 32 * 64);
  expect(report.flops_per_step).toBeGreaterThan(model);
  expect(report.flops_per_step).toBeLessThan(model * 1.05);
  const kinds = new Set(report.kernels.map((k) => k.kind));
  for (const kind of ["matmul", "attention", "attention_grad", "adamw"]) expect(kinds).toContain(kind);
  // The attention backward runs on wgmma where the arch has it (sm_90a), on mma.sync elsewhere.
  const backward = report.kernels.filter((k) => k.kind === "attention_grad").map((k) => k.source);
  expect(backward.some((name) => name.startsWith("attn_bwd_wgmma_"))).toBe(arch === "sm_90a");
}, 480_000);

if (!HAVE_NVCC) console.warn(NO_NVCC_REASON);
