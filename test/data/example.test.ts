// Tests of the tiny-llama example's data: the committed train.jsonl is what make-data.ts generates, every row is a
// correct addition with the sum written least-significant digit first, and the example config's datasets load and
// batch through the data path with nothing dropped, with the tokenizer its tokenizer_config names.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { batchStream } from "../../compiler/data/batches.ts";
import { loadDatasets } from "../../compiler/data/dataset.ts";
import { loadTokenizer } from "../../compiler/import/tokenizer.ts";
import { additionJsonl, additionText, DEFAULT_OPTIONS } from "../../examples/tiny-llama/make-data.ts";
import { EXAMPLE_DIR } from "./helpers.ts";

const committed = readFileSync(join(EXAMPLE_DIR, "data", "train.jsonl"), "utf8");

describe("the addition data", () => {
  it("is what make-data.ts writes with its defaults, and depends on the seed", () => {
    expect(additionJsonl(DEFAULT_OPTIONS)).toBe(committed);
    const few = { ...DEFAULT_OPTIONS, rows: 50 };
    expect(additionJsonl({ ...few, seed: 1 })).not.toBe(additionJsonl(few));
    const longest = Math.max(...additionJsonl({ ...few, digits: 4 }).match(/\d+(?=\+)/g)!.map((a) => a.length));
    expect(longest).toBe(4);
  });

  it("writes sums least-significant digit first, or in the usual order with --plain", () => {
    expect(additionText(123, 45, true)).toBe("123+45=861");
    expect(additionText(123, 45, false)).toBe("123+45=168");
    expect(additionText(5, 5, true)).toBe("5+5=01");
  });

  it("holds only correct sums, with operands of every length up to the maximum", () => {
    const texts = committed.trimEnd().split("\n").map((line) => JSON.parse(line).text as string);
    expect(texts).toHaveLength(DEFAULT_OPTIONS.rows);
    const lengths = new Set<number>();
    for (const text of texts) {
      const match = /^(\d+)\+(\d+)=(\d+)$/.exec(text);
      expect(match, text).not.toBeNull();
      const [a, b, reversedSum] = match!.slice(1);
      expect(Number([...reversedSum!].reverse().join("")), text).toBe(Number(a) + Number(b));
      lengths.add(a!.length).add(b!.length);
    }
    expect([...lengths].sort()).toEqual(Array.from({ length: DEFAULT_OPTIONS.digits }, (_, i) => i + 1));
  });
});

describe("the example config's datasets", () => {
  const configFile = join(EXAMPLE_DIR, "config.yml");
  const config = parse(readFileSync(configFile, "utf8"));
  const tokenizer = loadTokenizer(resolve(EXAMPLE_DIR, config.tokenizer_config));

  it("load beside the config from any directory with no row dropped, and batch to 16 tokens", () => {
    const { rows, stats } = loadDatasets(config.datasets, tokenizer, {
      sequenceLen: config.sequence_len,
      configDir: EXAMPLE_DIR,
      cwd: join(EXAMPLE_DIR, "data"),
    });
    expect(stats.files.map((f) => f.path)).toEqual([join(EXAMPLE_DIR, "data", "train.jsonl")]);
    expect(stats).toMatchObject({ read: DEFAULT_OPTIONS.rows, rows: DEFAULT_OPTIONS.rows, droppedLong: 0, droppedShort: 0 });
    const stream = batchStream(rows, {
      microBatchSize: config.micro_batch_size,
      sequenceLen: config.sequence_len,
      padId: tokenizer.padId,
      seed: config.seed,
    });
    const { batch } = stream.next().value!;
    expect([batch.size, batch.length]).toEqual([config.micro_batch_size, 16]);
  });
});
