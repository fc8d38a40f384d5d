// Realistic Axolotl configs through loadConfig: a Llama full fine-tune loads with Axolotl's defaults filled in and
// warnings for the keys trainc ignores; a LoRA config stops at the first feature trainc does not build yet, naming
// it; Axolotl's multipack config loads.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_ERRORS, loadConfig } from "../../compiler/config/index.ts";
import { TraincError } from "../../compiler/diagnostics.ts";
import { parse, withLines } from "./helpers.ts";

const cases = resolve(import.meta.dirname, "cases");

function loadError(file: string): TraincError {
  try {
    loadConfig(join(cases, file));
  } catch (error) {
    expect(error).toBeInstanceOf(TraincError);
    return error as TraincError;
  }
  throw new Error(`${file} loaded, but an error was expected`);
}

describe("a Llama full fine-tune", () => {
  const { config, warnings } = loadConfig(join(cases, "llama-full-finetune.yml"));

  it("keeps the values written in the file", () => {
    expect(config.base_model).toBe("./models/Llama-3.2-1B");
    expect(config.datasets).toEqual([{ path: "tatsu-lab/alpaca", type: "alpaca" }]);
    expect(config.sequence_len).toBe(2048);
    expect(config.micro_batch_size).toBe(1);
    expect(config.gradient_accumulation_steps).toBe(8);
    expect(config.learning_rate).toBe(2e-5);
    expect(config.warmup_steps).toBe(100);
    expect(config.val_set_size).toBe(0);
    expect(config.output_dir).toBe("./outputs/out");
  });

  it("fills in Axolotl's defaults and derived values", () => {
    expect(config.seed).toBe(42);
    expect(config.bf16).toBe("auto");
    expect(config.excess_length_strategy).toBe("drop");
    expect(config.batch_size).toBe(8);
    expect(config.eval_batch_size).toBe(1);
    expect(config.base_model_config).toBe("./models/Llama-3.2-1B");
    expect(config.tokenizer_config).toBe("./models/Llama-3.2-1B");
    expect(config.context_parallel_size).toBe(1);
    expect(config.max_grad_norm).toBeUndefined();
  });

  it("maps the legacy flash_attention flag to its canonical name and keeps no legacy flag", () => {
    expect(config.attn_implementation).toBe("flash_attention_2");
    expect(Object.keys(config)).not.toContain("flash_attention");
  });

  it("drops null keys and ignored keys from the config", () => {
    expect(Object.keys(config)).not.toContain("fp16");
    expect(Object.keys(config)).not.toContain("wandb_project");
    expect(Object.keys(config)).not.toContain("special_tokens");
  });

  it("records where the config came from", () => {
    expect(config.config_path).toBe(join(cases, "llama-full-finetune.yml"));
    expect(config.config_dir).toBe(cases);
  });

  it("warns about the deprecated flag and each ignored key that is set, with its line", () => {
    expect(warnings.some((w) => w.includes("flash_attention: true is deprecated") && w.includes(":42:1"))).toBe(true);
    expect(config.logging_steps).toBe(1);
    expect(warnings.some((w) => w.includes("special_tokens (line 48)"))).toBe(true);
    expect(warnings.some((w) => w.includes("strict (line 8)") && w.includes("tf32 (line 38)"))).toBe(true);
    expect(warnings.join("\n")).not.toContain("wandb");
    expect(warnings).toHaveLength(3);
  });
});

describe("configs using features trainc does not build yet", () => {
  it("stops a LoRA config at adapter, listing the other unsupported keys", () => {
    const error = loadError("lora.yml");
    expect(error.code).toBe(CONFIG_ERRORS.NOT_SUPPORTED_YET);
    expect(error.message).toMatch(/^.*lora\.yml:11:1: adapter: lora — /);
    expect(error.message).toContain("not supported by trainc yet");
    expect(error.message).toContain("also not supported yet: gradient_checkpointing (line 47)");
    expect(error.message).toContain("optimizer (line 40)");
    expect(error.fix).toContain("remove adapter");
  });

  it("loads Axolotl's multipack config (sample packing is built)", () => {
    const { config } = loadConfig(join(cases, "packing.yml"));
    expect([config.sample_packing, config.attn_implementation, config.sequence_len]).toEqual([true, "flash_attention_2", 4096]);
  });
});

describe("loadConfig", () => {
  it("names a missing file (E1001)", () => {
    const path = join(tmpdir(), "trainc-no-such-config.yml");
    expect(() => loadConfig(path)).toThrow(expect.objectContaining({ code: CONFIG_ERRORS.READ_FAILED, message: expect.stringContaining(path) }));
  });

  it("resolves config_dir from a relative path", () => {
    const dir = mkdtempSync(join(tmpdir(), "trainc-config-"));
    writeFileSync(join(dir, "c.yml"), withLines());
    const { config } = loadConfig(join(dir, "c.yml"));
    expect(config.config_dir).toBe(dir);
  });
});

describe("values as Axolotl reads them", () => {
  it("casts a string learning_rate to a number", () => {
    expect(parse(withLines().replace("learning_rate: 2e-5", 'learning_rate: "3e-4"')).config.learning_rate).toBe(3e-4);
  });

  it("reads YAML 1.2 scientific notation as a number", () => {
    expect(parse(withLines("weight_decay: 1e-2")).config.weight_decay).toBe(0.01);
  });

  it("treats key: null like an absent key", () => {
    const { config } = parse(withLines("seed:", "lr_scheduler: null", "num_epochs: ~"));
    expect([config.seed, config.lr_scheduler, config.num_epochs]).toEqual([42, "cosine", 1]);
  });

  it("accepts YAML anchors and merge keys as PyYAML does", () => {
    const text = withLines().replace("    type: alpaca", "    type: alpaca\n  - <<: *train\n    path: ./data/more.jsonl").replace("  - path:", "  - &train\n    path:");
    expect(parse(text).config.datasets?.[1]).toEqual({ path: "./data/more.jsonl", type: "alpaca" });
  });

  it("keeps batch_size without changing gradient accumulation, and warns (Axolotl's normalize_config)", () => {
    const { config, warnings } = parse(withLines().replace("gradient_accumulation_steps: 4", "batch_size: 16"));
    expect([config.batch_size, config.gradient_accumulation_steps]).toEqual([16, 1]);
    expect(warnings.some((w) => w.includes("cfg.yml:6:1: batch_size: 16 does not set gradient accumulation"))).toBe(true);
  });

  it("fills batch_size from micro_batch_size × gradient_accumulation_steps", () => {
    expect(parse(withLines()).config.batch_size).toBe(8);
  });
});
