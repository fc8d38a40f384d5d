// `trainc ir` through the CLI: each stage prints under its name, the formats parse, and bad stage names or ONNX
// training say what to do.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { STAGES } from "../../compiler/pipeline.ts";
import { parseModule } from "../../ir/parse.ts";
import { fileCheck, parseChecks } from "../harness/filecheck.ts";
import { runCli } from "../harness/cli.ts";

const root = join(import.meta.dirname, "../..");
const example = join(root, "examples/tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "trainc-ir-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function config(name: string, baseModel: string): string {
  const file = join(tmp, `${name}.yml`);
  writeFileSync(file, readFileSync(join(example, "config.yml"), "utf8")
    .replace("base_model: ./model", `base_model: ${baseModel}`)
    .replace("tokenizer_config: ./tokenizer", `tokenizer_config: ${join(example, "tokenizer")}`)
    .replace("path: ./data/train.jsonl", `path: ${join(example, "data/train.jsonl")}`));
  return file;
}


const llama = config("llama", join(example, "model"));

describe("trainc ir", () => {
  test("--after import prints the forward graph", async () => {
    const { code, stdout } = await runCli(["ir", llama, "--after", "import"]);
    expect(code).toBe(0);
    const problem = fileCheck(parseChecks(`
      // CHECK-LABEL: func @forward(
      // CHECK: %input_ids: i64[B,T]
      // CHECK: %model.embed_tokens.weight: f32[18,64]
      // CHECK: %[[C:[0-9]+]], %[[S:[0-9]+]] = rope_tables %position_ids {dim = 16, {{.*}}theta = 10000}
      // CHECK: %[[SEG:[0-9]+]] = segment_ids %position_ids
      // CHECK: rope %{{[0-9]+}}, %[[C]], %[[S]] : f32[B,T,4,16]
      // CHECK: attention %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %[[SEG]] {scale = 0.25}
      // CHECK: return logits = %{{[0-9]+}}`), stdout);
    expect(problem).toBeUndefined();
    expect(parseModule(stdout).graphs.map((g) => g.name)).toEqual(["forward"]);
  });

  test("--after all prints every stage under its header", async () => {
    const { code, stdout } = await runCli(["ir", llama, "--after", "all"]);
    expect(code).toBe(0);
    expect([...stdout.matchAll(/^\/\/ ----- IR after (\S+) -----$/gm)].map((m) => m[1])).toEqual(STAGES);
    const last = stdout.split(/^\/\/ ----- IR after \S+ -----$/m).at(-1)!;
    expect(parseModule(last).graphs.map((g) => g.name)).toEqual(["micro_step", "optimizer_step"]);
  });

  test("prefix_lm: the forward graph takes labels, and every attention reads their prefix-LM ranges, not causal", async () => {
    const prefix = join(tmp, "prefix.yml");
    writeFileSync(prefix, `${readFileSync(llama, "utf8")}\nprefix_lm: true\n`);
    const { code, stdout } = await runCli(["ir", prefix, "--after", "import"]);
    expect(code).toBe(0);
    const problem = fileCheck(parseChecks(`
      // CHECK-LABEL: func @forward(
      // CHECK: %labels: i64[B,T]
      // CHECK: %[[SEG:[0-9]+]] = segment_ids %position_ids
      // CHECK: ne %labels
      // CHECK: %[[COUNT:[0-9]+]] = cumsum %{{[0-9]+}} {axis = 1}
      // CHECK: %[[DOCS:[0-9]+]] = document_ranges %[[SEG]]
      // CHECK: %[[PREFIX:[0-9]+]] = prefix_lm_ranges %[[DOCS]], %[[COUNT]] : i32[B,T,4]
      // CHECK: attention %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %[[PREFIX]] {causal = false, scale = 0.25}
      // CHECK: attention %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %[[PREFIX]] {causal = false, scale = 0.25}`), stdout);
    expect(problem).toBeUndefined();
    writeFileSync(prefix, `${readFileSync(llama, "utf8")}\nprefix_lm: true\ntrain_on_inputs: true\n`);
    const refused = await runCli(["ir", prefix, "--after", "import"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error\[E1056\][\s\S]*set train_on_inputs: false, or remove prefix_lm/);
  });

  test("json and dot", async () => {
    const json = JSON.parse((await runCli(["ir", llama, "--format", "json"])).stdout);
    expect(json.graphs.map((g: { name: string }) => g.name)).toEqual(["micro_step", "optimizer_step"]);
    expect((await runCli(["ir", llama, "--after", "import", "--format", "dot"])).stdout).toMatch(/^digraph trainc \{/);
  });

  test("an unknown stage", async () => {
    const { code, stderr } = await runCli(["ir", llama, "--after", "csee"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error\[E4001\]: --after csee: no such stage[\s\S]*did you mean --after cse/);
  });

  test("ONNX models import; training them is refused with a reason", async () => {
    const onnx = config("onnx", join(root, "test/fixtures/onnx/tiny_llama.onnx"));
    const imported = await runCli(["ir", onnx, "--after", "import"]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^func @forward\(/);
    const lowered = await runCli(["ir", onnx]);
    expect(lowered.code).toBe(1);
    expect(lowered.stderr).toMatch(/error\[E2002\].*cannot train ONNX models yet/);
    writeFileSync(onnx, `${readFileSync(onnx, "utf8")}\nprefix_lm: true\n`);
    const prefixed = await runCli(["ir", onnx, "--after", "import"]);
    expect(prefixed.code).toBe(1);
    expect(prefixed.stderr).toMatch(/error\[E2003\].*prefix_lm needs a Hugging Face model folder/);
  });
});
