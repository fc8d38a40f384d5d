// Turns the schema's findings (zod issues) into one TraincError a person can act on: the key path as written
// (`datasets[0].type`), its line:column in the file, the value found and what was expected; unknown keys get a
// did-you-mean from the keys allowed at that place. Unknown keys are reported first (a misspelled required key
// is better named as a typo than as missing), then the rest in file order; further problems are listed below.
// Invariant: throws E1004 (unknown key), E1006 (missing required key) or E1005 (wrong type / value).

import { z } from "zod";
import { didYouMean, fail } from "../diagnostics.ts";
import { CONFIG_ERRORS } from "./codes.ts";
import { formatPath, where, type ConfigSource, type KeyPath } from "./source.ts";

interface Problem {
  readonly code: number;
  readonly path: KeyPath;
  readonly message: string;
  readonly fix: string;
}

const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  base_model: "add base_model: <folder of a Hugging Face model (config.json + safetensors) or an .onnx file>",
  learning_rate: "add learning_rate: 2e-5 (or the peak learning rate you want)",
};

const MAX_LISTED = 5;

/** Throws the first of `issues` (a non-empty list from CONFIG_SCHEMA) as a TraincError. */
export function failWithIssues(source: ConfigSource, schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): never {
  const problems = issues.flatMap((issue) => toProblems(source, schema, issue));
  const ordered = [...problems].sort((a, b) => rank(source, a) - rank(source, b));
  const [first, ...rest] = ordered as [Problem, ...Problem[]];
  const more = rest.slice(0, MAX_LISTED).map((p) => `\n  also: ${p.message}`);
  const hidden = rest.length > MAX_LISTED ? `\n  (and ${rest.length - MAX_LISTED} more)` : "";
  fail(first.code, `${first.message}${more.join("")}${hidden}`, first.fix);
}

/** Unknown keys first, then by position in the file. */
function rank(source: ConfigSource, problem: Problem): number {
  const at = source.locate(problem.path);
  const position = at === undefined ? 0 : at.line * 10_000 + at.col;
  return (problem.code === CONFIG_ERRORS.UNKNOWN_KEY ? 0 : 1e12) + position;
}

function toProblems(source: ConfigSource, schema: z.ZodType, issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => unknownKey(source, schema, [...issue.path] as KeyPath, key));
  }
  const path = issue.path as KeyPath;
  const name = formatPath(path);
  if (issue.input === undefined) {
    const present = source.has(path);
    return [
      {
        code: CONFIG_ERRORS.MISSING_KEY,
        path,
        message: present
          ? `${where(source, path)}: ${name} is null, but it is required`
          : `${path.length > 1 ? where(source, path.slice(0, -1)) : source.file}: missing required key ${name}`,
        fix: REQUIRED_HINTS[name] ?? `add ${name}`,
      },
    ];
  }
  return [
    {
      code: CONFIG_ERRORS.WRONG_TYPE,
      path,
      message: `${where(source, path)}: ${name}: ${issue.message}, found ${describeValue(issue.input)}`,
      fix: typeFix(name, issue.message, issue.input),
    },
  ];
}

function unknownKey(source: ConfigSource, schema: z.ZodType, parent: KeyPath, key: string): Problem {
  const path = [...parent, key];
  const guess = didYouMean(key, keysAt(schema, parent));
  const name = formatPath(path);
  return {
    code: CONFIG_ERRORS.UNKNOWN_KEY,
    path,
    message: `${where(source, path)}: unknown key ${name}${guess === undefined ? "" : ` (did you mean ${guess}?)`}`,
    fix:
      guess === undefined
        ? `remove ${key}: neither Axolotl nor trainc knows it (Axolotl would drop it silently)`
        : `rename ${key} to ${guess}`,
  };
}

/** A fix line for a wrong value: unquote numbers, spell booleans the YAML 1.2 way, else restate the expectation. */
function typeFix(name: string, expected: string, input: unknown): string {
  if (typeof input === "string" && expected.includes("number") && input.trim() !== "" && !Number.isNaN(Number(input))) {
    return `write ${name}: ${input.trim()} without quotes`;
  }
  if (typeof input === "string" && expected.includes("true") && /^(yes|no|on|off|y|n)$/i.test(input)) {
    return `write true or false: YAML 1.2 reads "${input}" as a string`;
  }
  return `change ${name} to ${expected.replace(/^expected /, "")}`;
}

/** A short rendering of a YAML value with its kind, e.g. `"2" (a string)`, `[1, 2] (a list)`. */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  const kind = Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : `a ${typeof value}`;
  const text = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `${short} (${kind})`;
}

/** The keys a mapping may hold at `path` in the schema (for did-you-mean), or none when it is free-form. */
function keysAt(schema: z.ZodType, path: KeyPath): string[] {
  let node: z.ZodType | undefined = objectLike(schema);
  for (const segment of path) {
    if (node instanceof z.ZodObject && typeof segment === "string") node = objectLike(node.shape[segment]);
    else if (node instanceof z.ZodArray) node = objectLike(node.element as z.ZodType);
    else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** Unwraps optional / default / pipe wrappers, and picks the object or list member of a union. */
function objectLike(schema: z.ZodType | undefined): z.ZodType | undefined {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      node = node.in as z.ZodType;
    } else if (node instanceof z.ZodUnion) {
      const options = (node.options as readonly z.ZodType[]).map(objectLike);
      return options.find((o) => o instanceof z.ZodObject || o instanceof z.ZodArray);
    } else {
      return node;
    }
  }
}
