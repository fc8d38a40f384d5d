// Reads the raw rows of one local dataset file, each with the line it starts on, for the format loaders.
// `.jsonl` is JSON Lines (one row per non-blank line). `.json` is a JSON list of rows, or JSON Lines when the text does
// not start with `[` (the Hugging Face json loader accepts both in a .json file). `.parquet` is a Parquet table, a row
// per table row (parquet.ts), numbered from 1 in place of a line.
// Also resolves a dataset path with the rule every config path follows (compiler/config/paths.ts).
// Invariants: rows come in file order; `line` is 1-based; a malformed file throws before any row is returned.
import { readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { resolveConfigPath } from "../config/paths.ts";
import { fail } from "../diagnostics.ts";
import { DataError } from "./codes.ts";
import { readParquetObjects } from "./parquet.ts";

/** One raw row and where it came from. */
export interface SourceRow {
  readonly value: unknown;
  readonly file: string;
  /** The 1-based line the row starts on; in a Parquet file, the row's 1-based number. */
  readonly line: number;
}

/** `file:line` (`file row N` in a Parquet file), the way errors name a row. */
export function where(row: Pick<SourceRow, "file" | "line">): string {
  return isParquet(row.file) ? `${row.file} row ${row.line}` : `${row.file}:${row.line}`;
}

const isParquet = (file: string) => extname(file).toLowerCase() === ".parquet";

/**
 * The file a dataset `path` names: an absolute path as is; a relative one against `cwd` first, then against
 * `configDir` (the folder of the config file). Throws 6201 naming every path tried when none exists.
 */
export function resolveDatasetPath(path: string, configDir: string | undefined, cwd = process.cwd()): string {
  const { path: found, tried } = resolveConfigPath({ config_dir: configDir ?? cwd }, path, cwd);
  if (found === undefined) {
    fail(
      DataError.fileNotFound,
      `dataset path ${JSON.stringify(path)} not found (tried ${tried.join(", ")})`,
      "give the path of a local .jsonl, .json or .parquet file, relative to the current directory or to the config file; " +
        "trainc does not download datasets from a hub",
    );
  }
  return found;
}

/** Every row of a .jsonl, .json or .parquet file, with its line (row) number. */
export function readRows(file: string): SourceRow[] {
  const ext = extname(file).toLowerCase();
  if (statSync(file).isDirectory() || (ext !== ".jsonl" && ext !== ".json" && ext !== ".parquet")) {
    fail(
      DataError.unsupportedFile,
      `dataset ${file} is ${statSync(file).isDirectory() ? "a folder" : `a ${ext || "extensionless"} file`}; ` +
        "trainc reads .jsonl, .json and .parquet files",
      "convert the data to JSON Lines (one JSON object per line) and point datasets[].path at that file",
    );
  }
  if (isParquet(file)) return readParquetObjects(file).map((value, i) => ({ value, file, line: i + 1 }));
  const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  const isList = ext === ".json" && text.trimStart().startsWith("[");
  return isList ? readJsonList(file, text) : readJsonLines(file, text);
}

function readJsonLines(file: string, text: string): SourceRow[] {
  const rows: SourceRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    try {
      rows.push({ value: JSON.parse(line), file, line: i + 1 });
    } catch (error) {
      fail(
        DataError.badJsonLine,
        `${file}:${i + 1}: not valid JSON (${(error as Error).message}): ${preview(line)}`,
        "each line of a .jsonl file must be one complete JSON object, e.g. {\"text\": \"...\"}",
      );
    }
  }
  return rows;
}

function readJsonList(file: string, text: string): SourceRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    fail(
      DataError.badJsonFile,
      `${file}${jsonErrorPlace(text, message)}: not valid JSON (${message})`,
      "fix the JSON there, or write the rows as JSON Lines (.jsonl, one object per line)",
    );
  }
  if (!Array.isArray(value)) {
    fail(DataError.badJsonFile, `${file}:1:1: expected a JSON list of rows`, "write the rows as [ {...}, {...} ]");
  }
  const lines = elementLines(text);
  return value.map((row, i) => ({ value: row, file, line: lines[i] ?? 1 }));
}

/** `:line:column` of a JSON.parse error, when the engine's message gives a position. */
function jsonErrorPlace(text: string, message: string): string {
  const position = /position (\d+)/.exec(message);
  if (!position) return "";
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `:${line}:${column}`;
}

/** The 1-based line on which each element of the top-level JSON list starts (the text is valid JSON). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (expectElement && depth === 1 && !/\s/.test(c) && c !== "]") {
      lines.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectElement = true;
  }
  return lines;
}

function preview(line: string): string {
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
