// `trainc init-model` is deterministic by seed, and the committed example model is exactly what it writes.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test, vi } from "vitest";
import { main } from "../../compiler/cli.ts";

const example = join(import.meta.dirname, "../../examples/tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "trainc-init-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function init(seed: number): Promise<string> {
  const out = join(tmp, `seed-${seed}`);
  const quiet = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const code = await main(["init-model", join(example, "model-config.json"), "-o", out, "--seed", String(seed)]).finally(() => quiet.mockRestore());
  expect(code).toBe(0);
  return out;
}

test("the committed example model is init-model's output for seed 0", async () => {
  const out = await init(0);
  for (const file of ["config.json", "model.safetensors"]) {
    expect(readFileSync(join(out, file)).equals(readFileSync(join(example, "model", file))), file).toBe(true);
  }
});

test("another seed gives other weights", async () => {
  const out = await init(1);
  expect(readFileSync(join(out, "model.safetensors")).equals(readFileSync(join(example, "model/model.safetensors")))).toBe(false);
});
