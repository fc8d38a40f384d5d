// Relative paths in a config: looked up in the current directory first, then in the config file's folder; the
// caller gets every tried path so it can name them when none exists.

import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfigPath } from "../../compiler/config/index.ts";

const config = { config_dir: "/configs/run1" };

describe("resolveConfigPath", () => {
  it("prefers the current directory", () => {
    const found = resolveConfigPath(config, "models/llama", "/home/me", () => true);
    expect(found).toEqual({ path: "/home/me/models/llama", tried: ["/home/me/models/llama", "/configs/run1/models/llama"] });
  });

  it("falls back to the config's folder", () => {
    const found = resolveConfigPath(config, "./data/train.jsonl", "/home/me", (p) => p.startsWith("/configs"));
    expect(found.path).toBe("/configs/run1/data/train.jsonl");
  });

  it("returns both tried paths when neither exists", () => {
    expect(resolveConfigPath(config, "missing", "/home/me", () => false)).toEqual({
      path: undefined,
      tried: ["/home/me/missing", "/configs/run1/missing"],
    });
  });

  it("tries an absolute path as is, and a folder only once when cwd is the config's folder", () => {
    expect(resolveConfigPath(config, "/abs/model", "/home/me", () => false).tried).toEqual(["/abs/model"]);
    expect(resolveConfigPath(config, "m", "/configs/run1", () => false).tried).toEqual(["/configs/run1/m"]);
  });

  it("checks the real file system by default", () => {
    const dir = mkdtempSync(join(tmpdir(), "trainc-paths-"));
    mkdirSync(join(dir, "model"));
    expect(resolveConfigPath({ config_dir: dir }, "model", "/").path).toBe(join(dir, "model"));
  });
});
