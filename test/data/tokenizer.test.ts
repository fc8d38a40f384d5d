// Tests of compiler/import/tokenizer.ts: the example tokenizer's round trip and special ids, the rules for which
// special tokens encode() adds (post-processor, tokenizer_config overrides), and each load error with its code.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadTokenizer } from "../../compiler/import/tokenizer.ts";
import { exampleFiles, tokenizerJson, vocabulary } from "../../examples/tiny-llama/make-tokenizer.ts";
import { EXAMPLE_DIR, EXAMPLE_TOKENIZER, tempFolder, traincError } from "./helpers.ts";

const tmp = tempFolder();
afterAll(() => tmp.cleanup());

/** Writes a tokenizer folder holding the example tokenizer.json with `edit` applied, and the given config. */
function tokenizerFolder(name: string, config?: object, edit: (json: Record<string, unknown>) => void = () => {}): string {
  const json = tokenizerJson();
  edit(json);
  tmp.write(`${name}/tokenizer.json`, JSON.stringify(json));
  if (config) tmp.write(`${name}/tokenizer_config.json`, JSON.stringify(config));
  return join(tmp.dir, name);
}

describe("the example tokenizer", () => {
  const tokenizer = loadTokenizer(EXAMPLE_TOKENIZER);

  it("has one id per token of its vocabulary and the special ids of its config", () => {
    expect(tokenizer.vocabSize).toBe(vocabulary().length);
    expect(tokenizer.special).toEqual({ bos: 1, eos: 2, pad: 3, unk: 0 });
    const modelConfig = JSON.parse(readFileSync(join(EXAMPLE_DIR, "model-config.json"), "utf8"));
    expect(modelConfig.vocab_size).toBe(tokenizer.vocabSize);
    expect([modelConfig.bos_token_id, modelConfig.eos_token_id, modelConfig.pad_token_id]).toEqual([1, 2, 3]);
  });

  it("encodes one token per character, with BOS first", () => {
    const text = "907+15=229\n1 2";
    const ids = tokenizer.encode(text);
    expect(ids[0]).toBe(tokenizer.bosId);
    expect(ids.slice(1).map((id) => tokenizer.idToToken(id)).join("")).toBe(text);
    expect(tokenizer.encode(text, { addSpecialTokens: false })).toEqual(ids.slice(1));
  });

  it("round-trips text through encode and decode", () => {
    for (const text of ["0+0=0", "999+999=8991", "12 + 3 =\n51", ""]) {
      const ids = tokenizer.encode(text);
      expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe(text);
      expect(tokenizer.decode(ids)).toBe(`<s>${text}`);
    }
  });

  it("maps a character outside the vocabulary to <unk>", () => {
    expect(tokenizer.encode("1x2", { addSpecialTokens: false })).toEqual([
      tokenizer.tokenToId("1"),
      tokenizer.special.unk,
      tokenizer.tokenToId("2"),
    ]);
  });

  it("refuses to decode an id outside the vocabulary", () => {
    const error = traincError(() => tokenizer.decode([1, 5, 18]));
    expect(error.code).toBe(6105);
    expect(error.message).toContain("id 18 at position 2");
  });

  it("is what make-tokenizer.ts writes", () => {
    for (const [name, text] of Object.entries(exampleFiles())) {
      expect(readFileSync(join(EXAMPLE_DIR, name), "utf8"), name).toBe(text);
    }
  });
});

describe("special tokens around a text", () => {
  it("follow tokenizer_config.json's add_bos_token / add_eos_token over the post-processor", () => {
    const base = { bos_token: "<s>", eos_token: "</s>" };
    const noBos = loadTokenizer(tokenizerFolder("no-bos", { ...base, add_bos_token: false }));
    expect(noBos.encode("12")).toEqual([5, 6]);
    const both = loadTokenizer(tokenizerFolder("both", { ...base, add_bos_token: true, add_eos_token: true }));
    expect(both.encode("12")).toEqual([1, 5, 6, 2]);
  });

  it("come from the post-processor when the config says nothing, through a Sequence too", () => {
    const wrapped = loadTokenizer(
      tokenizerFolder("sequence", { eos_token: "</s>" }, (json) => {
        json.post_processor = { type: "Sequence", processors: [{ type: "ByteLevel" }, json.post_processor] };
      }),
    );
    expect(wrapped.encode("3")).toEqual([1, 7]);
    const plain = loadTokenizer(tokenizerFolder("none", undefined, (json) => (json.post_processor = null)));
    expect(plain.encode("3")).toEqual([7]);
  });

  it("pad with the eos token when the config names no pad_token", () => {
    const tokenizer = loadTokenizer(tokenizerFolder("no-pad", { eos_token: "</s>" }));
    expect(tokenizer.padId).toBe(2);
    expect(tokenizer.bosId).toBeUndefined();
  });

  it("accept special tokens written as objects with a content field", () => {
    const tokenizer = loadTokenizer(tokenizerFolder("objects", { bos_token: { content: "<s>", lstrip: false } }));
    expect(tokenizer.bosId).toBe(1);
  });
});

describe("tokenizer load errors", () => {
  it("6101: a folder without tokenizer.json, or no folder at all", () => {
    const empty = tmp.write("empty/readme.txt", "");
    const missing = traincError(() => loadTokenizer(join(empty, "..")));
    expect(missing.code).toBe(6101);
    expect(missing.message).toContain("no tokenizer.json in");
    expect(traincError(() => loadTokenizer(join(tmp.dir, "nowhere"))).code).toBe(6101);
  });

  it("6102: tokenizer.json or tokenizer_config.json that is not JSON", () => {
    const file = tmp.write("broken/tokenizer.json", '{"model": ');
    const error = traincError(() => loadTokenizer(file));
    expect(error.code).toBe(6102);
    expect(error.message).toContain(file);
    tmp.write("bad-config/tokenizer.json", JSON.stringify(tokenizerJson()));
    const config = tmp.write("bad-config/tokenizer_config.json", "[1, 2]");
    const configError = traincError(() => loadTokenizer(join(tmp.dir, "bad-config")));
    expect(configError.code).toBe(6102);
    expect(configError.message).toContain(config);
  });

  it("6103: tokenizer.json without a model, or with a component the library does not know", () => {
    const noModel = traincError(() => loadTokenizer(tokenizerFolder("no-model", undefined, (json) => delete json.model)));
    expect(noModel.code).toBe(6103);
    expect(noModel.message).toContain('no "model" object');
    const unknown = traincError(() =>
      loadTokenizer(tokenizerFolder("odd-processor", undefined, (json) => (json.post_processor = { type: "Wobble" }))),
    );
    expect(unknown.code).toBe(6103);
    expect(unknown.message).toContain("Wobble");
  });

  it("6104: a special token the vocabulary lacks names the key and the token", () => {
    const error = traincError(() => loadTokenizer(tokenizerFolder("bad-eos", { eos_token: "<|end|>" })));
    expect(error.code).toBe(6104);
    expect(error.message).toContain('eos_token "<|end|>"');
    const noBos = traincError(() => loadTokenizer(tokenizerFolder("flag-only", { add_bos_token: true })));
    expect(noBos.code).toBe(6104);
    expect(noBos.message).toContain("add_bos_token");
  });
});
