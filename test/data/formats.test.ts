// Tests of the text formats (compiler/data/formats): alpaca and alpaca:chat (prompt text, BOS only at the start, EOS
// after the response, prompt labels masked unless train_on_inputs), input_output (segments without special tokens,
// labels per segment), chat_template (Jinja rendering, trained turns and EOS per roles_to_train / train_on_eos,
// message mappings, system messages, template choice) and their errors naming file:line and the field. A character
// tokenizer (one id per character, <s> = 1, </s> = 2) makes every expected id list readable.
import { afterAll, describe, expect, it } from "vitest";
import { loadDatasets } from "../../compiler/data/dataset.ts";
import { alpacaPrompt, ALPACA_STYLES } from "../../compiler/data/formats/alpaca.ts";
import { CHATML } from "../../compiler/data/formats/chat-template.ts";
import type { DataTokenizer, DatasetEntry, FormatOptions } from "../../compiler/data/types.ts";
import { tempFolder, traincError } from "./helpers.ts";

const BOS = 1;
const EOS = 2;
const SPECIAL: Readonly<Record<string, number>> = { "<s>": BOS, "</s>": EOS };

/** One id per character (its code + 10); "<s>" and "</s>" are BOS and EOS; special tokens add BOS in front. */
function charTokenizer(chatTemplate?: string): DataTokenizer {
  return {
    encode(text, options = {}) {
      const ids = text.split(/(<\/?s>)/).flatMap((part) => SPECIAL[part] !== undefined ? [SPECIAL[part]]
        : [...part].map((c) => c.codePointAt(0)! + 10));
      return options.addSpecialTokens === false ? ids : [BOS, ...ids];
    },
    bosId: BOS, eosId: EOS, padId: 0, vocabSize: 0x110000, chatTemplate,
    idToToken: (id) => Object.keys(SPECIAL).find((k) => SPECIAL[k] === id) ?? String.fromCodePoint(id - 10),
  };
}

const chars = (text: string) => [...text].map((c) => c.codePointAt(0)! + 10);
const masked = (ids: readonly number[]) => ids.map(() => -100);

const tmp = tempFolder();
afterAll(() => tmp.cleanup());

/** The tokenized rows of `lines` (JSON rows) under dataset entry `entry`. */
function rowsOf(entry: Omit<DatasetEntry, "path">, lines: readonly unknown[], format: Partial<FormatOptions> = {},
  tokenizer = charTokenizer()) {
  const path = tmp.write(`d${Math.random().toString(36).slice(2)}.jsonl`, lines.map((l) => JSON.stringify(l)).join("\n"));
  return loadDatasets([{ ...entry, path }], tokenizer, { sequenceLen: 10_000, format: { trainOnInputs: false, ...format } }).rows;
}

describe("alpaca", () => {
  const instruct = ALPACA_STYLES.instruct;

  it("is the prompt (BOS, no EOS, labels -100) then the response (no BOS, EOS, trained)", () => {
    const [row] = rowsOf({ type: "alpaca" }, [{ instruction: "Add", input: "1+2", output: "3" }]);
    const prompt = [BOS, ...chars(alpacaPrompt(instruct, "Add", "1+2"))];
    expect(row!.input_ids).toEqual([...prompt, ...chars("3"), EOS]);
    expect(row!.labels).toEqual([...masked(prompt), ...chars("3"), EOS]);
    expect(alpacaPrompt(instruct, "Add", "1+2")).toBe("Below is an instruction that describes a task, paired with an input that " +
      "provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd\n\n" +
      "### Input:\n1+2\n\n### Response:\n");
  });

  it("uses the no-input prompt when input is absent or empty, and trains the prompt with train_on_inputs", () => {
    const rows = rowsOf({ type: "alpaca" }, [{ instruction: "Hi", output: "yo" }, { instruction: "Hi", input: "", output: "yo" }],
      { trainOnInputs: true });
    const prompt = [BOS, ...chars(alpacaPrompt(instruct, "Hi", ""))];
    expect(alpacaPrompt(instruct, "Hi", "")).toContain("Below is an instruction that describes a task. Write");
    for (const row of rows) {
      expect(row.input_ids).toEqual([...prompt, ...chars("yo"), EOS]);
      expect(row.labels).toEqual(row.input_ids);
    }
  });

  it("adds nothing for an empty output (a row then trains nothing and is dropped), and alpaca:chat uses the chat turn", () => {
    expect(rowsOf({ type: "alpaca" }, [{ instruction: "Hi", output: "" }])).toEqual([]);
    const [empty] = rowsOf({ type: "alpaca" }, [{ instruction: "Hi", output: "" }], { trainOnInputs: true });
    expect(empty!.input_ids).toEqual([BOS, ...chars(alpacaPrompt(instruct, "Hi", ""))]);
    const [chat] = rowsOf({ type: "alpaca:chat" }, [{ instruction: "Hi", input: "x", output: "yo" }]);
    expect(chat!.input_ids.slice(-6)).toEqual([...chars("ANT:yo"), EOS].slice(-6));
    expect(alpacaPrompt(ALPACA_STYLES.chat, "Hi", "x")).toBe("SYSTEM: Below is an instruction that describes a task, paired " +
      "with an input that provides further context. Write a response that appropriately completes the request.\nUSER: Hi\nx\nASSISTANT:");
  });

  it("6206: a row without instruction names file:line and the fields it has", () => {
    const error = traincError(() => rowsOf({ type: "alpaca" }, [{ instruction: "a", output: "b" }, { prompt: "a", output: "b" }]));
    expect(error.code).toBe(6206);
    expect(error.message).toMatch(/\.jsonl:2: alpaca row has no "instruction" field \(fields: "prompt", "output"\)/);
  });
});

describe("input_output", () => {
  const row = { segments: [{ label: false, text: "<s>Q: " }, { label: true, text: "A</s>" }] };

  it("concatenates segments as written, without added special tokens; labels only where label is true", () => {
    const [r] = rowsOf({ type: "input_output" }, [row]);
    expect(r!.input_ids).toEqual([BOS, ...chars("Q: "), ...chars("A"), EOS]);
    expect(r!.labels).toEqual([...masked([BOS, ...chars("Q: ")]), ...chars("A"), EOS]);
    const [all] = rowsOf({ type: "input_output" }, [row], { trainOnInputs: true });
    expect(all!.labels).toEqual(all!.input_ids);
  });

  it("6206: a segment without a boolean label names file:line and the segment", () => {
    const error = traincError(() => rowsOf({ type: "input_output" }, [{ segments: [{ text: "a" }] }]));
    expect(error.code).toBe(6206);
    expect(error.message).toMatch(/\.jsonl:1: input_output row: segments\[0\] is \{"text":"a"\}/);
  });
});

describe("chat_template", () => {
  /** A template whose turns are <|role|>content</s>, with a BOS first. */
  const TEMPLATE = "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{{ eos_token }}{% endfor %}";
  const tokenizer = charTokenizer(TEMPLATE);
  const talk = { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "yo" }, { role: "user", content: "ok" },
    { role: "assistant", content: "k" }] };
  const turn = (role: string, content: string) => [...chars(`<|${role}|>`), ...chars(content), EOS];
  const ids = [BOS, ...turn("user", "hi"), ...turn("assistant", "yo"), ...turn("user", "ok"), ...turn("assistant", "k")];
  /** Labels with the given (turn index -> content trained, EOS trained) choices. */
  const labelsFor = (trained: Record<number, [boolean, boolean]>) => {
    const contents = ["hi", "yo", "ok", "k"];
    const roles = ["user", "assistant", "user", "assistant"];
    return [-100, ...contents.flatMap((c, i) => {
      const [content, eos] = trained[i] ?? [false, false];
      return [...masked(chars(`<|${roles[i]}|>`)), ...(content ? chars(c) : masked(chars(c))), eos ? EOS : -100];
    })];
  };

  it("trains the assistant's content and the EOS after it (the defaults)", () => {
    const [r] = rowsOf({ type: "chat_template" }, [talk], {}, tokenizer);
    expect(r!.input_ids).toEqual(ids);
    expect(r!.labels).toEqual(labelsFor({ 1: [true, true], 3: [true, true] }));
  });

  it("follows train_on_eos all / last / none and roles_to_train", () => {
    const labels = (entry: Partial<DatasetEntry>) => rowsOf({ type: "chat_template", ...entry }, [talk], {}, tokenizer)[0]!.labels;
    expect(labels({ train_on_eos: "all" })).toEqual(labelsFor({ 0: [false, true], 1: [true, true], 2: [false, true], 3: [true, true] }));
    expect(labels({ train_on_eos: "last" })).toEqual(labelsFor({ 1: [true, false], 3: [true, true] }));
    expect(labels({ train_on_eos: "none" })).toEqual(labelsFor({ 1: [true, false], 3: [true, false] }));
    expect(labels({ roles_to_train: ["user"] })).toEqual(labelsFor({ 0: [true, true], 2: [true, true] }));
  });

  it("trains every turn with train_on_inputs", () => {
    const [r] = rowsOf({ type: "chat_template" }, [talk], { trainOnInputs: true }, tokenizer);
    expect(r!.labels).toEqual(labelsFor({ 0: [true, true], 1: [true, true], 2: [true, true], 3: [true, true] }));
  });

  it("reads renamed keys and ShareGPT roles, prepends a system field and drops it with drop_system_message", () => {
    const row = { conversations: [{ from: "human", value: "hi" }, { from: "gpt", value: "yo" }], system: "be nice" };
    const entry = { type: "chat_template", field_messages: "conversations", message_property_mappings: { role: "from", content: "value" } };
    const [r] = rowsOf(entry, [row], {}, tokenizer);
    expect(r!.input_ids).toEqual([BOS, ...turn("system", "be nice"), ...turn("user", "hi"), ...turn("assistant", "yo")]);
    const [dropped] = rowsOf({ ...entry, drop_system_message: true }, [row], {}, tokenizer);
    expect(dropped!.input_ids).toEqual([BOS, ...turn("user", "hi"), ...turn("assistant", "yo")]);
  });

  it("reads the older key spellings and the entry's role names; refuses per-message training flags (6219)", () => {
    const row = { turns: [{ speaker: "asker", text: "hi" }, { speaker: "bot", text: "yo" }] };
    const entry = { type: "chat_template", field_messages: "turns", message_field_role: "speaker", message_field_content: "text",
      roles: { user: ["asker"], assistant: ["bot"] } };
    expect(rowsOf(entry, [row], {}, tokenizer)[0]!.input_ids).toEqual([BOS, ...turn("user", "hi"), ...turn("assistant", "yo")]);
    const error = traincError(() => rowsOf({ ...entry, message_field_training: "train" }, [row], {}, tokenizer));
    expect([error.code, error.message]).toEqual([6219, expect.stringContaining("datasets[0].message_field_training")]);
  });

  it("takes chatml, a jinja text, or the config's chat_template over the tokenizer's", () => {
    const [chatml] = rowsOf({ type: "chat_template", chat_template: "chatml" }, [talk], {}, tokenizer);
    expect(chatml!.input_ids.slice(0, 16)).toEqual(chars("<|im_start|>user"));
    expect(CHATML).toContain("<|im_end|>");
    const [jinja] = rowsOf({ type: "chat_template", chat_template: "jinja", chat_template_jinja: "{% for m in messages %}[{{ m.content }}]{% endfor %}" },
      [talk], {}, tokenizer);
    expect(jinja!.input_ids).toEqual(chars("[hi][yo][ok][k]"));
    const [global] = rowsOf({ type: "chat_template" }, [talk], { chatTemplate: "chatml" }, tokenizer);
    expect(global!.input_ids).toEqual(chatml!.input_ids);
    const [own] = rowsOf({ type: "chat_template" }, [talk], { chatTemplate: "tokenizer_default" }, tokenizer);
    expect(own!.input_ids).toEqual(ids);
  });

  it("6217: no template to use names the entry; 6218: a row the template rejects names file:line and the field", () => {
    const none = traincError(() => rowsOf({ type: "chat_template" }, [talk], {}, charTokenizer()));
    expect([none.code, none.message]).toEqual([6217, expect.stringMatching(/datasets\[0\] .*tokenizer_default but the tokenizer has no chat_template/)]);
    const strict = charTokenizer("{% if messages[0].role != 'system' %}{{ raise_exception('needs a system message') }}{% endif %}x");
    const error = traincError(() => rowsOf({ type: "chat_template" }, [talk], {}, strict));
    expect(error.code).toBe(6218);
    expect(error.message).toMatch(/\.jsonl:1: chat_template row \(field "messages"\): the chat template fails on its messages: .*needs a system message/);
    const missing = traincError(() => rowsOf({ type: "chat_template" }, [{ messages: [{ role: "user" }] }], {}, tokenizer));
    expect(missing.message).toMatch(/\.jsonl:1: chat_template row \(field "messages"\): messages\[0\] is \{"role":"user"\}/);
  });
});
