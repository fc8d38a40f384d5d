// Datasets from Parquet files (compiler/data/parquet.ts through read-rows.ts): files written here with hyparquet-writer
// give the rows their JSON Lines twins give (completion text, pre-tokenized id lists, 64-bit integers as numbers, chat
// messages as lists of structs), row errors name `file row N` and the field, and a file the reader cannot decode is
// 6220 naming it, with nothing read.
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, describe, expect, it } from "vitest";
import { loadDatasets, type LoadOptions } from "../../compiler/data/dataset.ts";
import { readRows } from "../../compiler/data/read-rows.ts";
import type { DatasetEntry } from "../../compiler/data/types.ts";
import { loadTokenizer } from "../../compiler/import/tokenizer.ts";
import { EXAMPLE_TOKENIZER, tempFolder, traincError } from "./helpers.ts";

const tokenizer = loadTokenizer(EXAMPLE_TOKENIZER);
const tmp = tempFolder();
afterAll(() => tmp.cleanup());
const options: LoadOptions = { sequenceLen: 32, cwd: tmp.dir };

type Column = Parameters<typeof parquetWriteBuffer>[0]["columnData"][number];

/** A Parquet file of `columns` in the temporary folder (snappy-compressed, as the writer does by default). */
function parquet(name: string, columns: Column[]): string {
  return tmp.write(name, new Uint8Array(parquetWriteBuffer({ columnData: columns })) as unknown as string);
}

function load(entries: DatasetEntry[]) {
  return loadDatasets(entries, tokenizer, options);
}

describe("Parquet datasets", () => {
  it("completion rows equal their JSON Lines twins, numbered by row", () => {
    const texts = ["1+2=3", "40+2=24", "7"];
    parquet("c.parquet", [{ name: "text", data: texts, type: "STRING" }, { name: "id", data: [1, 2, 3], type: "INT32" }]);
    tmp.write("c.jsonl", texts.map((text) => JSON.stringify({ text })).join("\n"));
    const fromParquet = load([{ path: "c.parquet", type: "completion" }]).rows;
    const fromJson = load([{ path: "c.jsonl", type: "completion" }]).rows;
    expect(fromParquet.map((r) => [r.input_ids, r.labels, r.line])).toEqual(fromJson.map((r) => [r.input_ids, r.labels, r.line]));
  });

  it("pre-tokenized rows from lists of integers", () => {
    parquet("ids.parquet", [
      { name: "input_ids", data: [[1n, 5n, 6n, 2n], [1n, 7n, 2n]] },
      { name: "labels", data: [[-100n, 5n, 6n, 2n], [1n, 7n, 2n]] },
    ]);
    const rows = readRows(`${tmp.dir}/ids.parquet`);
    expect(rows.map((r) => r.value)).toEqual([
      { input_ids: [1, 5, 6, 2], labels: [-100, 5, 6, 2] }, { input_ids: [1, 7, 2], labels: [1, 7, 2] },
    ]);
    expect(load([{ path: "ids.parquet" }]).rows.map((r) => r.labels)).toEqual([[-100, 5, 6, 2], [1, 7, 2]]);
  });

  it("chat messages as lists of structs", () => {
    const messages = [[{ role: "user", content: "1+1" }, { role: "assistant", content: "2" }]];
    parquet("chat.parquet", [{ name: "messages", data: messages }]);
    expect(readRows(`${tmp.dir}/chat.parquet`).map((r) => r.value)).toEqual([{ messages: messages[0] }]);
  });

  it("6206: a row without the field names the file, the row and the field", () => {
    const file = parquet("nofield.parquet", [{ name: "txt", data: ["1", "2"], type: "STRING" }]);
    const error = traincError(() => load([{ path: file, type: "completion" }]));
    expect(error.code).toBe(6206);
    expect(error.message).toBe(`${file} row 1: completion row has no "text" field (fields: "txt")`);
  });

  it("6220: a file the reader cannot decode, named", () => {
    const file = tmp.write("broken.parquet", "PAR1 this is not a parquet file");
    const error = traincError(() => load([{ path: file, type: "completion" }]));
    expect(error.code).toBe(6220);
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the Parquet reader failed on it \\(.+\\)$`));
    expect(error.fix).toContain(".jsonl");
  });

  it("64-bit integers become numbers; 6220 for one beyond 2^53", () => {
    const fits = parquet("int64.parquet", [{ name: "count", data: [2n ** 40n] }]);
    expect(readRows(fits)[0]!.value).toEqual({ count: 2 ** 40 });
    const file = parquet("big.parquet", [{ name: "count", data: [2n ** 60n] }]);
    const error = traincError(() => readRows(file));
    expect([error.code, error.message]).toEqual([6220, `${file}: column count holds 1152921504606846976, beyond what a JSON number holds exactly`]);
  });
});
