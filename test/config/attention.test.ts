// Attention backend selection: legacy flags map to Axolotl's canonical names, nothing set means sdpa, and the
// ambiguous cases (two flags, a flag plus attn_implementation, short aliases, unknown names) are errors. Each choice
// gives trainc's lowering (attention_lowering): nothing set is the fused flash kernel, sdpa and eager the unfused form.

import { describe, expect, it } from "vitest";
import { attentionTraits, CANONICAL_ATTENTION, CONFIG_ERRORS } from "../../compiler/config/index.ts";
import { expectError, parse, withLines } from "./helpers.ts";

describe("attn_implementation", () => {
  it("defaults to sdpa", () => expect(parse(withLines()).config.attn_implementation).toBe("sdpa"));

  it.each([
    ["flash_attention", "flash_attention_2"],
    ["sdp_attention", "sdpa"],
    ["flex_attention", "flex_attention"],
    ["xformers_attention", "xformers"],
    ["eager_attention", "eager"],
  ])("maps %s: true to %s, with a deprecation warning", (flag, canonical) => {
    const { config, warnings } = parse(withLines(`${flag}: true`));
    expect(config.attn_implementation).toBe(canonical);
    expect(warnings).toContain(`cfg.yml:8:1: ${flag}: true is deprecated in Axolotl; write attn_implementation: ${canonical} instead`);
  });

  it.each(["eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention", "xformers"])("accepts %s", (name) => {
    const { config, warnings } = parse(withLines(`attn_implementation: ${name}`));
    expect(config.attn_implementation).toBe(name);
    expect(warnings).toEqual([]);
  });

  it.each([
    [[], "flash"], [["attn_implementation: sdpa"], "sdpa"], [["sdp_attention: true"], "sdpa"], [["eager_attention: true"], "eager"],
    [["attn_implementation: flash_attention_3"], "flash"], [["flex_attention: true"], "flex"], [["attn_implementation: xformers"], "xformers"],
  ])("%j lowers attention as %s", (lines, lowering) => {
    expect(parse(withLines(...lines)).config.attention_lowering).toBe(lowering);
  });

  it("ignores legacy flags set to false", () => {
    const { config } = parse(withLines("attn_implementation: eager", "flash_attention: false", "sdp_attention: false"));
    expect(config.attn_implementation).toBe("eager");
  });

  it("rejects two legacy flags, naming both with their lines (E1007)", () => {
    const error = expectError(withLines("flash_attention: true", "sdp_attention: true"), CONFIG_ERRORS.ATTENTION_TWO_FLAGS,
      "flash_attention (line 8) and sdp_attention (line 9)", "exactly one");
    expect(error.message).toMatch(/^cfg\.yml:9:1:/);
  });

  it("rejects attn_implementation with a legacy flag (E1008)", () => {
    expectError(withLines("attn_implementation: sdpa", "flash_attention: true"), CONFIG_ERRORS.ATTENTION_MIXED,
      "cfg.yml:9:1: attn_implementation: sdpa (line 8) cannot be combined with the legacy flag flash_attention: true");
  });

  it.each([
    ["flash", "flash_attention_2"],
    ["flex", "flex_attention"],
    ["sdp", "sdpa"],
  ])("rejects the short alias %s with a hint (E1009)", (alias, canonical) => {
    const error = expectError(withLines(`attn_implementation: ${alias}`), CONFIG_ERRORS.ATTENTION_NAME, `cfg.yml:8:1: attn_implementation: ${alias} is a short alias`);
    expect(error.fix).toBe(`write attn_implementation: ${canonical}`);
  });

  it("rejects an unknown name with a did-you-mean (E1009)", () => {
    expectError(withLines("attn_implementation: flash_atention_2"), CONFIG_ERRORS.ATTENTION_NAME, "(did you mean flash_attention_2?)");
  });

  it.each(["sage", "fp8", "kernels-community/flash-attn3"])("accepts %s as a name but does not build it yet (E1011)", (name) => {
    expectError(withLines(`attn_implementation: ${name}`), CONFIG_ERRORS.NOT_SUPPORTED_YET, `attn_implementation: ${name} — `);
  });

  it("reports sage_attention: true as the sage backend, not supported yet", () => {
    expectError(withLines("sage_attention: true"), CONFIG_ERRORS.NOT_SUPPORTED_YET, "attn_implementation: sage");
  });
});

describe("attentionTraits", () => {
  it("follows Axolotl's computed flags", () => {
    expect(attentionTraits("flash_attention_2")).toEqual({ supportsPacking: true, usesFlashLib: true });
    expect(attentionTraits("flex_attention")).toEqual({ supportsPacking: true, usesFlashLib: false });
    expect(attentionTraits("sdpa")).toEqual({ supportsPacking: false, usesFlashLib: false });
    expect(attentionTraits("eager")).toEqual({ supportsPacking: false, usesFlashLib: false });
  });

  it("knows every canonical name", () => {
    const packing = CANONICAL_ATTENTION.filter((name) => attentionTraits(name).supportsPacking);
    expect(packing).toEqual(["flash_attention_2", "flash_attention_3", "flex_attention", "xformers", "sage"]);
  });
});
