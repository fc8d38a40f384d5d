// The C++ checkpoint writer: a Hugging Face folder trainc's own loader reads (config.json unchanged, weights rounded
// to the stored dtype, byte for byte the TypeScript checkpoint's model.safetensors, tokenizer files copied), and the
// swap that keeps a good checkpoint whatever happens: replacing one, a process killed mid-write, a write that
// fails, a crash between the two renames, and leftovers of live processes left alone.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensors, SafetensorsFile } from "../../../../compiler/import/safetensors.ts";
import { loadModel } from "../../../../compiler/import/hf/load.ts";
import { saveCheckpoint } from "../../../../compiler/train/checkpoint.ts";
import { roundTo } from "../../../../ir/tensor.ts";
import { build, HAVE_GXX, NO_GXX, printedError, run } from "./build.ts";

const EXAMPLE = new URL("../../../../examples/tiny-llama/", import.meta.url).pathname;
const MODEL = join(EXAMPLE, "model");
const TOKENIZER = join(EXAMPLE, "tokenizer");
const root = mkdtempSync(join(tmpdir(), "trainc-rt-checkpoint-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let tool = "";
let counter = 0;

/** A fresh folder to save checkpoints in, and config.json's text naming bfloat16. */
function workspace(): { parent: string; dir: string; config: string } {
  const parent = join(root, `w${counter++}`);
  mkdirSync(parent);
  const config = join(parent, "config.json");
  writeFileSync(config, readFileSync(join(MODEL, "config.json"), "utf8").replace('"float32"', '"bfloat16"'));
  return { parent, dir: join(parent, "checkpoint-10"), config };
}

function save(mode: "save" | "crash" | "full", w: { dir: string; config: string }, dtype = "BF16", weights = join(MODEL, "model.safetensors")) {
  return run(tool, [mode, w.dir, w.config, weights, dtype, TOKENIZER]);
}

/** Every file of a folder and the hash of its bytes. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash("sha256").update(readFileSync(join(dir, f))).digest("hex")]));
}

/** A pid no process has now (one that just exited). */
function deadPid(): number {
  return spawnSync("true").pid!;
}

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "C++ checkpoints" : `C++ checkpoints (skipped: ${NO_GXX})`, () => {
  beforeAll(() => {
    tool = build("g++", ["checkpoint-tool.cpp"], "checkpoint-tool");
  });

  it("writes a Hugging Face folder that trainc loads, with the TypeScript checkpoint's weights byte for byte", () => {
    const w = workspace();
    expect(save("save", w).stderr).toBe("");
    expect(readdirSync(w.dir).sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
    expect(readFileSync(join(w.dir, "config.json"), "utf8")).toBe(readFileSync(w.config, "utf8"));
    expect(readFileSync(join(w.dir, "tokenizer.json")).equals(readFileSync(join(TOKENIZER, "tokenizer.json")))).toBe(true);
    const file = SafetensorsFile.open(join(w.dir, "model.safetensors"));
    expect(file.metadata).toEqual({ format: "pt" });
    file.close();
    const original = readSafetensors(join(MODEL, "model.safetensors"));
    const loaded = loadModel(w.dir, { dtype: "f32" });
    for (const [name, t] of Object.entries(original)) {
      expect(Array.from(loaded.parameters[name]!.data), name).toEqual(Array.from(t.data, (v) => roundTo("bf16", v)));
    }
    const reference = join(w.parent, "typescript");
    saveCheckpoint(reference, { configText: readFileSync(w.config, "utf8"), tokenizerFile: join(TOKENIZER, "tokenizer.json") }, original, "bf16");
    expect(readFileSync(join(w.dir, "model.safetensors")).equals(readFileSync(join(reference, "model.safetensors")))).toBe(true);
  });

  it("replaces an existing checkpoint and leaves nothing else beside it", () => {
    const w = workspace();
    expect(save("save", w, "F32").stderr).toBe("");
    expect(save("save", w, "BF16").stderr).toBe("");
    expect(readdirSync(w.parent).sort()).toEqual(["checkpoint-10", "config.json"]);
    const file = SafetensorsFile.open(join(w.dir, "model.safetensors"));
    expect(file.info(file.names()[0]!)!.format).toBe("BF16");
    file.close();
  });

  it("keeps the previous checkpoint when the process is killed mid-write, and the next save cleans up", () => {
    const w = workspace();
    save("save", w, "F32");
    const before = snapshot(w.dir);
    const crashed = save("crash", w, "BF16");
    expect(crashed.signal).toBe("SIGXFSZ");
    expect(snapshot(w.dir)).toEqual(before);
    const leftovers = readdirSync(w.parent).filter((f) => f.startsWith("checkpoint-10.tmp-"));
    expect(leftovers).toHaveLength(1);
    expect(readdirSync(join(w.parent, leftovers[0]!))).toContain("model.safetensors.tmp-" + leftovers[0]!.split("-").pop());
    expect(save("save", w, "BF16").stderr).toBe("");
    expect(readdirSync(w.parent).sort()).toEqual(["checkpoint-10", "config.json"]);
  });

  it("reports a write that fails, removes its temporary folder and keeps the previous checkpoint", () => {
    const w = workspace();
    save("save", w, "F32");
    const before = snapshot(w.dir);
    const failed = save("full", w, "BF16");
    const e = printedError(failed);
    expect(failed.status).toBe(1);
    expect(e.code).toBe(2114);
    expect(e.message).toContain(`${w.dir}.tmp-`);
    expect(e.message).toContain("File too large");
    expect(snapshot(w.dir)).toEqual(before);
    expect(readdirSync(w.parent).sort()).toEqual(["checkpoint-10", "config.json"]);
  });

  it("restores the previous checkpoint after a crash between the two renames", () => {
    const w = workspace();
    save("save", w, "F32");
    const before = snapshot(w.dir);
    const pid = deadPid();
    cpSync(w.dir, `${w.dir}.old-${pid}`, { recursive: true });
    rmSync(w.dir, { recursive: true });
    mkdirSync(`${w.dir}.tmp-${pid}`);
    expect(run(tool, ["recover", w.dir]).stderr).toBe("");
    expect(snapshot(w.dir)).toEqual(before);
    expect(readdirSync(w.parent).sort()).toEqual(["checkpoint-10", "config.json"]);
  });

  it("leaves the temporary folders of live processes alone", () => {
    const w = workspace();
    const live = `${w.dir}.tmp-${process.pid}`;
    mkdirSync(live);
    expect(run(tool, ["recover", w.dir]).stderr).toBe("");
    expect(existsSync(live)).toBe(true);
  });

  it("says which checkpoint it could not save (6501)", () => {
    const w = workspace();
    writeFileSync(join(w.parent, "blocked"), "");
    const e = printedError(run(tool, ["save", join(w.parent, "blocked", "checkpoint-1"), w.config, join(MODEL, "model.safetensors"), "BF16", "-"]));
    expect(e.code).toBe(6501);
    expect(e.message).toContain(join(w.parent, "blocked", "checkpoint-1"));
  });
});
