// `trainc train` end to end on the example model: a short run through the real CLI writes one metrics line per step,
// a Hugging Face checkpoint that loads back, checkpoint-<step> folders within save_total_limit, and the loss falls.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { runCli } from "../harness/cli.ts";
import { exampleConfig } from "../harness/example.ts";
import { loadModel } from "../../compiler/import/hf/load.ts";

const example = join(import.meta.dirname, "../../examples/tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "trainc-train-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("a short training run", async () => {
  const out = join(tmp, "out");
  const file = join(tmp, "config.yml");
  writeFileSync(file, readFileSync(join(example, "config.yml"), "utf8")
    .replace("base_model: ./model", `base_model: ${join(example, "model")}`)
    .replace("tokenizer_config: ./tokenizer", `tokenizer_config: ${join(example, "tokenizer")}`)
    .replace("path: ./data/train.jsonl", `path: ${join(example, "data/train.jsonl")}`)
    .replace(/output_dir: .*/, `output_dir: ${out}\nsave_steps: 10\nsave_total_limit: 2`)
    .replace("gradient_accumulation_steps: 1", "gradient_accumulation_steps: 2"));
  const { code, stderr } = await runCli(["train", file, "--max-steps", "40"]);
  expect(code, stderr).toBe(0);
  expect(stderr).toMatch(/step 40\/40 \| loss [\d.]+ \| lr .* tok\/s .* ETA/);

  const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  const mean = (rows: { loss: number }[]) => rows.reduce((s, m) => s + m.loss, 0) / rows.length;
  expect(mean(metrics.slice(-10))).toBeLessThan(mean(metrics.slice(0, 3)) - 0.5);
  expect(metrics[0].lr).toBe(0);

  expect(readdirSync(out).filter((n) => n.startsWith("checkpoint-")).sort()).toEqual(["checkpoint-20", "checkpoint-30"]);
  expect(existsSync(join(out, "tokenizer.json"))).toBe(true);
  const trained = loadModel(out, { dtype: "f32" });
  const initial = loadModel(join(example, "model"), { dtype: "f32" });
  const name = "model.layers.0.mlp.up_proj.weight";
  expect(trained.parameters[name]!.data).not.toEqual(initial.parameters[name]!.data);
  expect(Object.keys(trained.parameters)).toEqual(Object.keys(initial.parameters));
});

test("a packed run with a validation split evaluates before the first step, at eval_steps and after the last", async () => {
  const out = join(tmp, "packed");
  const file = exampleConfig(tmp, "packed", (text) => text.replace("micro_batch_size: 16", "micro_batch_size: 4") +
    "sample_packing: true\nattn_implementation: flash_attention_2\nval_set_size: 0.02\neval_steps: 10\n");
  const { code, stderr } = await runCli(["train", file, "--max-steps", "25"]);
  expect(code, stderr).toBe(0);
  expect(stderr).toMatch(/sample packing: \d+ of 4900 rows in \d+ bins of 128 tokens .* efficiency 9\d\.\d%/);
  expect(stderr).toContain("100 of 5000 rows held out for evaluation (val_set_size 0.02)");
  expect(stderr).toContain("25 steps of 1 packed row of 128 tokens");
  const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const evals = metrics.filter((m) => m.eval_loss !== undefined);
  expect(evals.map((m) => m.step)).toEqual([0, 10, 20, 25]);
  expect(new Set(evals.map((m) => m.eval_target_tokens)).size).toBe(1);
  expect(evals[3].eval_loss).toBeLessThan(evals[0].eval_loss);
  expect(stderr).toMatch(/eval at step 25\/25 \| eval loss [\d.]+ \| [\d,]+ target tokens/);
});
