// Bad input through the real command line: each case exits non-zero with `error[E<code>]: ...` naming the culprit and
// a `fix:` line, and never a stack trace. One case runs the installed bin (bin/trainc.js) as a child process; the
// rest call main() in-process with stderr captured.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../harness/cli.ts";

const root = join(import.meta.dirname, "../..");
const example = join(root, "examples/tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "trainc-errors-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


/** A copy of the example config with some lines replaced or added; returns its path. */
function config(name: string, edit: (text: string) => string): string {
  const text = readFileSync(join(example, "config.yml"), "utf8")
    .replace("base_model: ./model", `base_model: ${join(example, "model")}`)
    .replace("tokenizer_config: ./tokenizer", `tokenizer_config: ${join(example, "tokenizer")}`)
    .replace("path: ./data/train.jsonl", `path: ${join(example, "data/train.jsonl")}`);
  const file = join(tmp, `${name}.yml`);
  writeFileSync(file, edit(text));
  return file;
}

/** A copy of the example model whose model.safetensors is edited. */
function model(name: string, edit: (bytes: Buffer) => Buffer, configEdit: (json: string) => string = (j) => j): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), configEdit(readFileSync(join(example, "model/config.json"), "utf8")));
  writeFileSync(join(dir, "model.safetensors"), edit(readFileSync(join(example, "model/model.safetensors"))));
  return dir;
}

function expectUserError(result: { code: number; stderr: string }, code: number, culprit: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`error\\[E${code}\\]`));
  expect(result.stderr).toMatch(culprit);
  expect(result.stderr).toMatch(/\n {2}fix: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const grads = (dir: string) => ["grads", dir, "--batch", join(root, "test/fixtures/hf/llama_tied/batch.safetensors"), "--out", join(tmp, "g.safetensors")];

describe("user errors at the command line", () => {
  test("the bin exits 1 and prints no stack trace", () => {
    const file = config("typo-bin", (t) => t.replace("learning_rate:", "learnig_rate:"));
    const result = spawnSync(process.execPath, [join(root, "bin/trainc.js"), "ir", file], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error\[E1004\].*unknown key learnig_rate.*did you mean learning_rate/s);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test("--profile outside the cuda target", async () => {
    expectUserError(await runCli(["train", config("profile", (t) => t), "--profile", join(tmp, "p.json")]), 5021, /--profile.*cpu target/);
  });

  test("malformed YAML names line and column", async () => {
    expectUserError(await runCli(["ir", config("yaml", (t) => t.replace("seed: 42", "seed: [42"))]), 1002, /yaml.yml:\d+:\d+/);
  });

  test("two attention backends", async () => {
    const file = config("attn", (t) => `${t}flash_attention: true\nsdp_attention: true\n`);
    expectUserError(await runCli(["ir", file]), 1007, /flash_attention.*sdp_attention/s);
  });

  test("a wrong type", async () => {
    expectUserError(await runCli(["ir", config("type", (t) => t.replace("micro_batch_size: 16", "micro_batch_size: sixteen"))]), 1005, /micro_batch_size/);
  });

  test("a missing model folder", async () => {
    expectUserError(await runCli(["ir", config("nomodel", (t) => t.replace(/base_model: .*/, "base_model: ./no-such-model"))]), 2001, /no-such-model/);
  });

  test("a model folder without weights", async () => {
    const dir = join(tmp, "noweights");
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(example, "model/config.json"), join(dir, "config.json"));
    expectUserError(await runCli(grads(dir)), 2224, /noweights' has no weights.*model\.safetensors.*trainc grads/s);
  });

  test("a truncated safetensors file", async () => {
    const dir = model("truncated", (b) => b.subarray(0, 4));
    expectUserError(await runCli(grads(dir)), 2101, /model\.safetensors/);
  });

  test("a header length beyond the file", async () => {
    const dir = model("header", (b) => {
      const copy = Buffer.from(b);
      copy.writeBigUInt64LE(BigInt(b.length * 2), 0);
      return copy;
    });
    expectUserError(await runCli(grads(dir)), 2102, /model\.safetensors/);
  });

  test("an unknown dtype in the header", async () => {
    const dir = model("dtype", (b) => Buffer.from(b.toString("latin1").replace('"dtype":"F32"', '"dtype":"F31"'), "latin1"));
    expectUserError(await runCli(grads(dir)), 2105, /F31/);
  });

  test("an unsupported architecture", async () => {
    const dir = model("arch", (b) => b, (j) => j.replace("LlamaForCausalLM", "GPT2LMHeadModel"));
    expectUserError(await runCli(grads(dir)), 2204, /GPT2LMHeadModel.*LlamaForCausalLM/s);
  });

  test("bad usage exits 2", async () => {
    expect((await runCli(["train"])).code).toBe(2);
  });
});
