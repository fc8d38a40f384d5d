// Tests of compiler/data/dataset.ts and its readers and formats: completion and pre-tokenized rows from JSONL and
// JSON files, path resolution, the length filter and its counts, and every row error naming file:line.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeStats, loadDatasets, type LoadOptions } from "../../compiler/data/dataset.ts";
import type { DatasetEntry } from "../../compiler/data/types.ts";
import { loadTokenizer } from "../../compiler/import/tokenizer.ts";
import { EXAMPLE_TOKENIZER, tempFolder, traincError } from "./helpers.ts";

const tokenizer = loadTokenizer(EXAMPLE_TOKENIZER);
const tmp = tempFolder();
afterAll(() => tmp.cleanup());
const options: LoadOptions = { sequenceLen: 32, cwd: tmp.dir };

/** Ids of the example tokenizer for a text: BOS, one id per character (digits are 4..13, "+" 14, "=" 15). */
const chars = (text: string): number[] => tokenizer.encode(text, { addSpecialTokens: false });

function load(entries: DatasetEntry[], extra: Partial<LoadOptions> = {}) {
  return loadDatasets(entries, tokenizer, { ...options, ...extra });
}

describe("completion rows", () => {
  it("are BOS + text + EOS with labels equal to the ids", () => {
    tmp.write("c.jsonl", '{"text": "1+2=3"}\n\n{"text": "40+2=24", "other": 1}\r\n');
    const { rows, stats } = load([{ path: "c.jsonl", type: "completion" }]);
    expect(rows.map((row) => row.input_ids)).toEqual([
      [1, ...chars("1+2=3"), 2],
      [1, ...chars("40+2=24"), 2],
    ]);
    expect(rows.map((row) => row.labels)).toEqual(rows.map((row) => row.input_ids));
    expect(rows.map((row) => row.line)).toEqual([1, 3]);
    expect(stats).toMatchObject({ read: 2, rows: 2, tokens: 7 + 9, droppedLong: 0, droppedShort: 0 });
  });

  it("read another field when the entry names one, from a JSON list with each row's line", () => {
    tmp.write("list.json", '[\n  {"body": "7"},\n  {"body": "8+8=61"}\n]\n');
    const { rows } = load([{ path: "list.json", type: "completion", field: "body" }]);
    expect(rows.map((row) => row.input_ids)).toEqual([
      [1, ...chars("7"), 2],
      [1, ...chars("8+8=61"), 2],
    ]);
    expect(rows.map((row) => row.line)).toEqual([2, 3]);
  });

  it("6206: a row without the field names file:line and the fields it has", () => {
    const file = tmp.write("nofield.jsonl", '{"text": "1"}\n{"txt": "2"}\n');
    const error = traincError(() => load([{ path: file, type: "completion" }]));
    expect(error.code).toBe(6206);
    expect(error.message).toBe(`${file}:2: completion row has no "text" field (fields: "txt")`);
    expect(error.fix).toContain("datasets[].field");
  });

  it("6206: a field that is not a string", () => {
    const file = tmp.write("numfield.jsonl", '{"text": 12}\n');
    const error = traincError(() => load([{ path: file, type: "completion" }]));
    expect(error.code).toBe(6206);
    expect(error.message).toContain(`${file}:1: completion row has "text" is not a string`);
  });
});

describe("pre-tokenized rows", () => {
  it("are used as given, labels defaulting to the ids", () => {
    tmp.write("ids.jsonl", '{"input_ids": [1, 5, 6, 2]}\n{"input_ids": [1, 7, 2], "labels": [-100, 7, 2], "attention_mask": [1, 1, 1]}\n');
    const { rows } = load([{ path: "ids.jsonl" }]);
    expect(rows.map((row) => [row.input_ids, row.labels])).toEqual([
      [[1, 5, 6, 2], [1, 5, 6, 2]],
      [[1, 7, 2], [-100, 7, 2]],
    ]);
  });

  it("are dropped, and counted, when no label after the first trains a token (nothing to predict)", () => {
    tmp.write("untrained.jsonl", '{"input_ids": [1, 5, 2], "labels": [1, -100, -100]}\n{"input_ids": [1, 7, 2], "labels": [-100, -100, 2]}\n');
    const { rows, stats } = load([{ path: "untrained.jsonl" }]);
    expect(rows.map((row) => row.line)).toEqual([2]);
    expect(stats).toMatchObject({ read: 2, rows: 1, droppedNoTargets: 1 });
    expect(describeStats(stats)).toContain("1 dropped: no trained token");
  });

  it("6207: an id outside the vocabulary, labels of the wrong length, a padded mask", () => {
    const file = tmp.write("badids.jsonl", '{"input_ids": [1, 5]}\n{"input_ids": [1, 18]}\n');
    const outside = traincError(() => load([{ path: file, type: null }]));
    expect(outside.code).toBe(6207);
    expect(outside.message).toContain(`${file}:2: pre-tokenized row: input_ids[1] is 18, expected an integer in 0..17`);
    const short = tmp.write("short.jsonl", '{"input_ids": [1, 5], "labels": [5]}\n');
    expect(traincError(() => load([{ path: short }])).message).toContain(`${short}:1: pre-tokenized row: "labels" has 1`);
    const padded = tmp.write("padded.jsonl", '{"input_ids": [1, 5, 3], "attention_mask": [1, 1, 0]}\n');
    expect(traincError(() => load([{ path: padded }])).message).toContain("attention_mask[2] is 0");
  });

  it("6208: a text row in a dataset without a type says to set type: completion", () => {
    const file = tmp.write("untyped.jsonl", '{"text": "1+1=2"}\n');
    const error = traincError(() => load([{ path: file, type: "" }]));
    expect(error.code).toBe(6208);
    expect(error.message).toContain(`${file}:1: row has no "input_ids"`);
    expect(error.fix).toContain("type: completion");
  });
});

describe("the length filter", () => {
  const rowsOf = (lengths: number[]) => lengths.map((n) => JSON.stringify({ input_ids: Array(n).fill(5) })).join("\n");

  it("drops rows longer than sequence_len and shorter than 2 tokens, and counts them", () => {
    tmp.write("lengths.jsonl", rowsOf([4, 9, 8, 1, 0, 2]));
    const { rows, stats } = load([{ path: "lengths.jsonl" }], { sequenceLen: 8 });
    expect(rows.map((row) => row.input_ids.length)).toEqual([4, 8, 2]);
    expect(stats).toMatchObject({ read: 6, rows: 3, tokens: 14, droppedLong: 1, droppedShort: 2, truncated: 0 });
    expect(describeStats(stats)).toBe(
      "6 rows read from 1 file; 3 kept (14 tokens); 1 dropped: longer than sequence_len 8; " +
        "2 dropped: shorter than 2 tokens",
    );
  });

  it("truncates or raises when excess_length_strategy says so", () => {
    tmp.write("long.jsonl", rowsOf([3, 12]));
    const { rows, stats } = load([{ path: "long.jsonl" }], { sequenceLen: 8, excessLength: "truncate" });
    expect(rows.map((row) => [row.input_ids.length, row.labels.length])).toEqual([[3, 3], [8, 8]]);
    expect(stats.truncated).toBe(1);
    const error = traincError(() => load([{ path: "long.jsonl" }], { sequenceLen: 8, excessLength: "raise" }));
    expect(error.code).toBe(6212);
    expect(error.message).toBe(`${join(tmp.dir, "long.jsonl")}:2: row has 12 tokens, more than sequence_len 8`);
  });
});

describe("dataset files", () => {
  it("are found in the current directory first, then beside the config", () => {
    const configDir = join(tmp.dir, "cfg");
    tmp.write("cfg/data.jsonl", '{"input_ids": [1, 2]}\n');
    tmp.write("cfg/both.jsonl", '{"input_ids": [1, 2]}\n');
    tmp.write("both.jsonl", '{"input_ids": [1, 5, 2]}\n');
    const beside = load([{ path: "data.jsonl" }], { configDir });
    expect(beside.stats.files).toEqual([{ path: join(configDir, "data.jsonl"), rows: 1 }]);
    const first = load([{ path: "both.jsonl" }], { configDir });
    expect(first.rows[0]!.input_ids).toEqual([1, 5, 2]);
  });

  it("6201: a missing file names every path tried", () => {
    const error = traincError(() => load([{ path: "absent.jsonl" }], { configDir: join(tmp.dir, "cfg") }));
    expect(error.code).toBe(6201);
    expect(error.message).toContain(join(tmp.dir, "absent.jsonl"));
    expect(error.message).toContain(join(tmp.dir, "cfg", "absent.jsonl"));
  });

  it("6202 for other kinds of file, 6215 for an entry without a path", () => {
    tmp.write("data.csv", "text\n1+1=2\n");
    expect(traincError(() => load([{ path: "data.csv", type: "completion" }])).code).toBe(6202);
    expect(traincError(() => load([{ type: "completion" }])).message).toBe("datasets[0] has no path");
  });

  it("6203: a malformed JSONL line names file:line", () => {
    const file = tmp.write("broken.jsonl", '{"text": "1"}\n{"text": "2"\n');
    const error = traincError(() => load([{ path: file, type: "completion" }]));
    expect(error.code).toBe(6203);
    expect(error.message).toMatch(new RegExp(`^${file}:2: not valid JSON`));
  });

  it("6204: a malformed JSON list names file:line:column", () => {
    const file = tmp.write("broken.json", '[\n  {"text": "1"},\n  {"text" "2"}\n]');
    const error = traincError(() => load([{ path: file, type: "completion" }]));
    expect(error.code).toBe(6204);
    expect(error.message).toMatch(new RegExp(`^${file}:3:11: not valid JSON`));
  });

  it("6205: a row that is not an object", () => {
    const file = tmp.write("scalar.jsonl", '{"text": "1"}\n"2"\n');
    expect(traincError(() => load([{ path: file, type: "completion" }])).message).toContain(`${file}:2: row is "2"`);
  });

  it("6209: a type not supported yet names the entry and the supported types", () => {
    tmp.write("oasst.jsonl", '{"INSTRUCTION": "x"}\n');
    const error = traincError(() => load([{ path: "oasst.jsonl", type: "completion" }, { path: "oasst.jsonl", type: "oasst" }]));
    expect(error.code).toBe(6209);
    expect(error.message).toContain('datasets[1].type "oasst" is not supported yet');
    expect(error.fix).toContain("completion, alpaca");
  });

  it("concatenate several entries in list order", () => {
    tmp.write("a.jsonl", '{"text": "1"}\n');
    tmp.write("b.jsonl", '{"input_ids": [1, 9, 2]}\n');
    const { rows, stats } = load([{ path: "a.jsonl", type: "completion" }, { path: "b.jsonl" }]);
    expect(rows.map((row) => row.input_ids)).toEqual([[1, ...chars("1"), 2], [1, 9, 2]]);
    expect(stats.files.map((f) => f.rows)).toEqual([1, 1]);
  });
});
