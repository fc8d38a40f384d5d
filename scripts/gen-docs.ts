// Writes docs/ops.md (every op: operands, attributes with kinds and defaults, doc) and docs/passes.md (every stage
// and pass) from the op table and the pipeline, so the docs never drift: test/docs.test.ts fails when they are stale.
//   npx tsx scripts/gen-docs.ts

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { STAGE_DOCS } from "../compiler/pipeline.ts";
import { OP_NAMES, opDef } from "../ir/ops/index.ts";
import { printNumber } from "../ir/print.ts";

function arity(a: number | readonly [number, number]): string {
  if (typeof a === "number") return String(a);
  return a[1] === Infinity ? `${a[0]}+` : `${a[0]}-${a[1]}`;
}

function attrText(name: string, spec: { kind: string; default?: unknown; optional?: boolean }): string {
  const value = spec.default;
  const shown = value === undefined ? (spec.optional ? " (optional)" : "") :
    ` = ${typeof value === "number" ? printNumber(value) : JSON.stringify(value)}`;
  return `\`${name}\`: ${spec.kind}${shown}`;
}

export function opsDoc(): string {
  const rows = OP_NAMES.map((op) => {
    const def = opDef(op);
    const attrs = Object.entries(def.attrs).map(([n, s]) => attrText(n, s)).join("<br>") || "—";
    return `| \`${op}\` | ${arity(def.arity)} | ${attrs} | ${def.doc.replace(/\|/g, "\\|")} |`;
  });
  return ["# IR ops", "", "Generated from `ir/ops/` by `npx tsx scripts/gen-docs.ts`; the interpreter (`ir/interpret/`) is the",
    "precise meaning of each. IR text: `%r = <op> %a, %b {attr = value} : <dtype>[<dims>]` (see `ir/print.ts`).", "",
    "| op | operands | attributes | meaning |", "|---|---|---|---|", ...rows, ""].join("\n");
}

export function passesDoc(): string {
  const rows = STAGE_DOCS.map((s) => `| \`${s.name}\` | ${s.summary} |`);
  return ["# Pipeline stages and passes", "", "Generated from `compiler/pipeline.ts` by `npx tsx scripts/gen-docs.ts`.",
    "`trainc ir <config> --after <name>` prints the IR after each; `--after all` prints every one.", "",
    "| name | what it does |", "|---|---|", ...rows, ""].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const docs = join(import.meta.dirname, "../docs");
  writeFileSync(join(docs, "ops.md"), opsDoc());
  writeFileSync(join(docs, "passes.md"), passesDoc());
}
