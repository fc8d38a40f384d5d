// Tests of dataset preparation with the dataset_prepared_path cache (compiler/data/prepare.ts, cache.ts), the
// validation split (split.ts) and `trainc prepare`: a second preparation reads the cache and gives the same rows; a
// changed data file, tokenizer file or option misses it; a failed preparation caches nothing; a damaged entry is an
// error (6216) that names the folder and leaves it alone; the split partitions the rows, deterministically by seed.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareDatasets, type PrepareOptions } from "../../compiler/data/prepare.ts";
import { splitValidation } from "../../compiler/data/split.ts";
import { loadTokenizer } from "../../compiler/import/tokenizer.ts";
import { runCli } from "../harness/cli.ts";
import { EXAMPLE_DIR, EXAMPLE_TOKENIZER, tempFolder, traincError } from "./helpers.ts";

const tmp = tempFolder();
afterAll(() => tmp.cleanup());

/** A copy of the example tokenizer in its own folder (so a test may change its files). */
function tokenizerCopy(name: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(EXAMPLE_TOKENIZER, file), join(dir, file));
  return dir;
}

describe("the prepared-dataset cache", () => {
  const data = tmp.write("cache/data.jsonl", ["1+2=3", "4+4=8", "10+5=15"].map((t) => JSON.stringify({ text: t })).join("\n"));
  const tokenizerDir = tokenizerCopy("tok");
  const root = join(tmp.dir, "prepared");
  const prepare = (over: Partial<PrepareOptions> = {}) => prepareDatasets([{ path: data, type: "completion" }],
    loadTokenizer(tokenizerDir), { sequenceLen: 32, preparedPath: root, tokenizerFile: join(tokenizerDir, "tokenizer.json"), ...over });

  it("stores a preparation and reads it back the same, then misses when an input changes", () => {
    const first = prepare();
    expect(first.cache?.hit).toBe(false);
    const second = prepare();
    expect(second.cache).toEqual({ dir: first.cache!.dir, hit: true });
    expect(second.dataset).toEqual(first.dataset);
    expect(prepare({ sequenceLen: 6 }).cache?.hit).toBe(false);
    writeFileSync(data, readFileSync(data, "utf8") + "\n" + JSON.stringify({ text: "9+9=18" }));
    const changed = prepare();
    expect([changed.cache?.hit, changed.dataset.rows.length]).toEqual([false, 4]);
    const config = join(tokenizerDir, "tokenizer_config.json");
    writeFileSync(config, readFileSync(config, "utf8").replace('"add_eos_token": false', '"add_eos_token": true'));
    expect(prepare().cache?.hit).toBe(false);
    expect(readdirSync(root).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("caches nothing from a failed preparation", () => {
    const bad = tmp.write("cache/bad.jsonl", `${JSON.stringify({ text: "1" })}\n${JSON.stringify({ body: "2" })}`);
    const failedRoot = join(tmp.dir, "failed");
    const error = traincError(() => prepareDatasets([{ path: bad, type: "completion" }], loadTokenizer(tokenizerDir),
      { sequenceLen: 32, preparedPath: failedRoot, tokenizerFile: join(tokenizerDir, "tokenizer.json") }));
    expect(error.code).toBe(6206);
    expect(() => readdirSync(failedRoot)).toThrow();
  });

  it("6216: a damaged entry names its folder and is left as it is", () => {
    const { cache } = prepare();
    writeFileSync(join(cache!.dir, "rows.bin"), "xyz");
    const error = traincError(() => prepare());
    expect(error.code).toBe(6216);
    expect(error.message).toContain(cache!.dir);
    expect(error.fix).toContain(`delete ${cache!.dir}`);
    expect(readFileSync(join(cache!.dir, "rows.bin"), "utf8")).toBe("xyz");
  });
});

describe("the validation split", () => {
  const rows = Array.from({ length: 41 }, (_, i) => i);

  it("holds out the last ceil(size x rows) rows, after a seeded shuffle", () => {
    const { train, eval: held } = splitValidation(rows, 0.1, 42, true);
    expect([train.length, held.length]).toEqual([36, 5]);
    expect([...train, ...held].sort((a, b) => a - b)).toEqual(rows);
    expect(splitValidation(rows, 0.1, 42, true)).toEqual({ train, eval: held });
    expect(splitValidation(rows, 0.1, 7, true).eval).not.toEqual(held);
  });

  it("keeps the order without the shuffle, and holds out nothing at size 0", () => {
    expect(splitValidation(rows, 0.05, 42, false).eval).toEqual([38, 39, 40]);
    expect(splitValidation(rows, 0, 42, true)).toEqual({ train: rows, eval: [] });
  });
});

describe("trainc prepare", () => {
  it("prints counts, the length histogram and the packing efficiency, and caches", async () => {
    const config = tmp.write("prepare/config.yml", [
      `base_model: ${join(EXAMPLE_DIR, "model")}`, `tokenizer_config: ${EXAMPLE_TOKENIZER}`,
      "datasets:", `  - path: ${join(EXAMPLE_DIR, "data/train.jsonl")}`, "    type: completion",
      "sequence_len: 32", "micro_batch_size: 4", "gradient_accumulation_steps: 1", "learning_rate: 0.001",
      "sample_packing: true", "attn_implementation: flash_attention_2", `dataset_prepared_path: ${join(tmp.dir, "prepare/cache")}`,
    ].join("\n"));
    const { code, stdout, stderr } = await runCli(["prepare", config]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("dataset: 5000 rows read from 1 file; 5000 kept");
    expect(stdout).toMatch(/lengths \(tokens per row, 5000 training rows\):\n {3}1- 4 \| +0\n {3}5- 8 \| #+ +1234\n/);
    expect(stdout).toMatch(/batches: 1 packed row of 128 tokens, \d+ per epoch/);
    expect(stdout).toMatch(/sample packing: \d+ of 5000 rows in \d+ bins of 128 tokens .* efficiency 9\d\.\d%/);
    expect(stderr).toContain("prepared data cached in");
    expect((await runCli(["prepare", config])).stderr).toContain("prepared data read from");
  });
});
