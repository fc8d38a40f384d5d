// Every op round-trips through the text form: parse -> print -> parse gives the same graph and the same text, and the
// hand-written files are already in canonical form (modulo layout). A coverage test makes sure every op appears.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseModule } from "../../ir/parse.ts";
import { printModule } from "../../ir/print.ts";
import { verifyModule } from "../../ir/verify.ts";
import { OP_NAMES } from "../../ir/ops/index.ts";

const dir = join(import.meta.dirname, "roundtrip");
const files = readdirSync(dir).filter((f) => f.endsWith(".ir"));

const squash = (text: string) =>
  text.replace(/\/\/[^\n]*/g, "").replace(/\s+/g, " ").replace(/\s*([(),[\]{}])\s*/g, "$1").trim();

describe("IR text round trip", () => {
  for (const file of files) {
    test(file, () => {
      const text = readFileSync(join(dir, file), "utf8");
      const module = parseModule(text, file);
      verifyModule(module);
      const printed = printModule(module);
      expect(squash(printed)).toBe(squash(text));
      const again = parseModule(printed, file);
      expect(again).toEqual(module);
      expect(printModule(again)).toBe(printed);
    });
  }

  test("every op appears in a round-trip file", () => {
    const seen = new Set<string>();
    for (const file of files) {
      for (const graph of parseModule(readFileSync(join(dir, file), "utf8"), file).graphs) {
        for (const node of graph.nodes) seen.add(node.op);
      }
    }
    expect(OP_NAMES.filter((op) => !seen.has(op))).toEqual([]);
  });
});
