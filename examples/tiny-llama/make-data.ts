// Writes the tiny-llama example's training data: multi-digit addition problems as completion rows,
// {"text": "123+45=861"}, one per line, in data/train.jsonl.
// Run: `npx tsx examples/tiny-llama/make-data.ts [--rows N] [--seed S] [--digits D] [--plain] [--out FILE]`.
//
// The sum is written least-significant digit first ("123+45=861" means 123+45=168). A causal model produces the
// answer left to right; in this order each answer digit depends only on the operand digits of the same place and
// the carry from the digit it has just written, instead of on carries from digits it has not written yet, which
// makes the task far easier for a tiny model. `--plain` writes sums in the usual order, for comparison.
// Operands: each has 1 to `digits` digits (the digit count uniform, then the value uniform among numbers of that
// many digits), so short and long operands are equally common.
// Invariants: the output is a pure function of the options; every character is in the example tokenizer's
// vocabulary (digits, "+", "=").
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { makeRandom, randomInt, type Random } from "../../compiler/random.ts";

/** How the generator is set up; the defaults make the committed data/train.jsonl. */
export interface AdditionOptions {
  readonly rows: number;
  readonly seed: number;
  /** The most digits an operand has. */
  readonly digits: number;
  /** Write the sum least-significant digit first (the default) or in the usual order. */
  readonly reversed: boolean;
}

export const DEFAULT_OPTIONS: AdditionOptions = { rows: 5000, seed: 42, digits: 2, reversed: true };

/** One addition problem as text: `a+b=` and the sum, reversed or not. */
export function additionText(a: number, b: number, reversed: boolean): string {
  const sum = String(a + b);
  return `${a}+${b}=${reversed ? [...sum].reverse().join("") : sum}`;
}

function operand(random: Random, maxDigits: number): number {
  const digits = randomInt(random, 1, maxDigits);
  return digits === 1 ? randomInt(random, 0, 9) : randomInt(random, 10 ** (digits - 1), 10 ** digits - 1);
}

/** The JSON Lines text of the data set. */
export function additionJsonl(options: AdditionOptions): string {
  const random = makeRandom(options.seed);
  const lines: string[] = [];
  for (let i = 0; i < options.rows; i++) {
    const a = operand(random, options.digits);
    const b = operand(random, options.digits);
    lines.push(JSON.stringify({ text: additionText(a, b, options.reversed) }));
  }
  return `${lines.join("\n")}\n`;
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: String(DEFAULT_OPTIONS.rows) },
      seed: { type: "string", default: String(DEFAULT_OPTIONS.seed) },
      digits: { type: "string", default: String(DEFAULT_OPTIONS.digits) },
      plain: { type: "boolean", default: false },
      out: { type: "string", default: join(here, "data", "train.jsonl") },
    },
  });
  const options: AdditionOptions = {
    rows: wholeNumber("--rows", values.rows, 1),
    seed: wholeNumber("--seed", values.seed, 0),
    digits: wholeNumber("--digits", values.digits, 1),
    reversed: !values.plain,
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, additionJsonl(options));
  console.log(`wrote ${options.rows} rows to ${values.out}`);
}

function wholeNumber(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`${flag} must be a whole number of at least ${min}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
