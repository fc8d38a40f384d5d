// setTopLevelKeys: edits only top-level keys of config.json text, leaving every other byte (number spellings such
// as 10000.0, nested keys of the same name, strings with braces and escaped quotes) as it was.
import { describe, expect, it } from "vitest";
import { setTopLevelKeys } from "../../../compiler/import/hf/config-text.ts";

describe("setTopLevelKeys", () => {
  it("replaces a top-level value and nothing else", () => {
    const text = '{\n  "rope_theta": 10000.0,\n  "torch_dtype": "float32",\n  "eps": 1e-06\n}\n';
    expect(setTopLevelKeys(text, ["torch_dtype"], "bfloat16")).toBe(text.replace("float32", "bfloat16"));
  });

  it("skips nested objects, arrays and tricky strings", () => {
    const text = '{"text_config": {"dtype": "float32", "x": [1, {"dtype": 2}]}, "name": "a \\" } dtype", "dtype": null, "n": 5}';
    const out = setTopLevelKeys(text, ["dtype"], "float16");
    expect(out).toBe(text.replace('"dtype": null', '"dtype": "float16"'));
    expect(JSON.parse(out)["text_config"]["dtype"]).toBe("float32");
  });

  it("sets every listed key that is present", () => {
    const out = JSON.parse(setTopLevelKeys('{"dtype":"float32","torch_dtype":"float32","a":1}', ["torch_dtype", "dtype"], "float64"));
    expect(out).toEqual({ dtype: "float64", torch_dtype: "float64", a: 1 });
  });

  it("adds the first key when none is present, to empty and non-empty objects", () => {
    expect(JSON.parse(setTopLevelKeys('{"a": [1, 2]}', ["torch_dtype", "dtype"], "float32"))).toEqual({ torch_dtype: "float32", a: [1, 2] });
    expect(JSON.parse(setTopLevelKeys("{ }", ["torch_dtype"], "float32"))).toEqual({ torch_dtype: "float32" });
  });
});
