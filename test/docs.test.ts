// The generated docs (docs/ops.md, docs/passes.md) match the op table and the pipeline; regenerate with
// `npx tsx scripts/gen-docs.ts`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { opsDoc, passesDoc } from "../scripts/gen-docs.ts";

const docs = join(import.meta.dirname, "../docs");

test("docs/ops.md is up to date", () => expect(readFileSync(join(docs, "ops.md"), "utf8")).toBe(opsDoc()));
test("docs/passes.md is up to date", () => expect(readFileSync(join(docs, "passes.md"), "utf8")).toBe(passesDoc()));
