// What each command reads, through the real command line: with a model folder holding config.json alone, `trainc ir`
// and `trainc compile` work (one note says there are no weights) while `trainc train` and `trainc grads` fail with
// E2224 naming the folder; with max_steps set, compile reads neither the tokenizer nor the datasets, so a missing
// dataset file is an error for `trainc train` only.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../harness/cli.ts";

const root = join(import.meta.dirname, "../..");
const example = join(root, "examples/tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "trainc-no-weights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The example model's config.json alone, in a folder of its own. */
const bare = join(tmp, "bare-model");
mkdirSync(bare);
copyFileSync(join(example, "model/config.json"), join(bare, "config.json"));

/** The example config with absolute paths, base_model `model`, dataset `data`, output in tmp; returns its path. */
function config(name: string, model: string, data: string): string {
  const file = join(tmp, `${name}.yml`);
  writeFileSync(file, readFileSync(join(example, "config.yml"), "utf8")
    .replace("base_model: ./model", `base_model: ${model}`)
    .replace("tokenizer_config: ./tokenizer", `tokenizer_config: ${join(example, "tokenizer")}`)
    .replace("path: ./data/train.jsonl", `path: ${data}`)
    .replace("max_steps: 2000", "max_steps: 3")
    .replace(/output_dir: .*/, `output_dir: ${join(tmp, `out-${name}`)}`));
  return file;
}


const dataset = join(example, "data/train.jsonl");
const NOTE = `no weights in ${bare}: compiling from config.json; \`trainc train\` will need them`;

describe("a model folder with config.json and no weights", () => {
  const file = config("bare", bare, dataset);

  test("trainc ir prints the train step and says there are no weights", async () => {
    const { code, stdout, stderr } = await runCli(["ir", file]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(NOTE);
    expect(stdout).toContain("func @micro_step(");
    expect(stdout).toContain("%model.embed_tokens.weight: f32[18,64]");
  });

  test("trainc compile counts the parameters from config.json", async () => {
    const { code, stdout, stderr } = await runCli(["compile", file, "-o", join(tmp, "program-bare")]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(NOTE);
    expect(stdout).toContain("75,200 parameters");
    expect(JSON.parse(readFileSync(join(tmp, "program-bare/report.json"), "utf8")).parameters).toBe(75_200);
  });

  test.each([
    ["train", () => ["train", file]],
    ["grads", () => ["grads", bare, "--batch", join(root, "test/fixtures/hf/llama_tied/batch.safetensors"), "--out", join(tmp, "g.safetensors")]],
  ])("trainc %s fails with E2224 naming the folder and the fix", async (_, args) => {
    const { code, stderr } = await runCli(args());
    expect(code).toBe(1);
    expect(stderr).toMatch(/error\[E2224\]/);
    expect(stderr).toContain(`model folder '${bare}' has no weights`);
    expect(stderr).toContain(`fix: copy the model's .safetensors weights into ${bare}, or write random ones with \`trainc init-model`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("datasets at compile time", () => {
  const file = config("no-data", join(example, "model"), join(tmp, "not-yet.jsonl"));

  test("with max_steps, trainc compile reads no dataset", async () => {
    const { code, stderr } = await runCli(["compile", file, "-o", join(tmp, "program-no-data")]);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain("tokenizing");
  });

  test("trainc train names the missing dataset file", async () => {
    const { code, stderr } = await runCli(["train", file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error\[E6201\].*not-yet\.jsonl/s);
  });
});
