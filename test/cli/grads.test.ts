// Acceptance: `trainc grads --target cpu` on every Hugging Face fixture (test/fixtures/hf) writes loss, logits and
// every parameter gradient that match transformers' float64 reference within ||a-b||/||b|| <= 1e-5 (a prefix_lm case
// with a config saying so). Runs the CLI's main() in-process, exactly as `npx trainc grads ...` does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { main } from "../../compiler/cli.ts";
import { readSafetensors } from "../../compiler/import/safetensors.ts";
import { fixtureCases, gradsConfig } from "../harness/hf-fixtures.ts";
import { relativeError } from "../harness/numeric.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/hf");
const cases = fixtureCases();
const out = mkdtempSync(join(tmpdir(), "trainc-grads-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));


describe("trainc grads matches transformers", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const dir = join(FIXTURES, c.name);
      const file = join(out, `${c.name}.safetensors`);
      const config = gradsConfig(c, out);
      const code = await main(["grads", dir, "--batch", join(dir, "batch.safetensors"), "--out", file, "--target", "cpu",
        ...(config ? ["--config", config] : [])]);
      expect(code).toBe(0);
      const got = readSafetensors(file);
      const want = readSafetensors(join(dir, "reference.safetensors"));
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [key, reference] of Object.entries(want)) {
        expect(got[key]!.dtype, key).toBe("f32");
        expect(got[key]!.shape, key).toEqual(reference.shape);
        expect(relativeError(got[key]!, reference), key).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});
