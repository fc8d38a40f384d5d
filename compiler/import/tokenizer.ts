// Loads a Hugging Face tokenizer (tokenizer.json, plus tokenizer_config.json when present) from a model or tokenizer
// folder with @huggingface/tokenizers, from local files only; encodes text to ids, decodes ids to text, and exposes
// the special token ids (bos, eos, pad, unk) that the data path needs.
//
// Special tokens around a text: the tokenizer.json post-processor decides what encode() adds (TemplateProcessing,
// Bert/Roberta processing, Sequence of those), except that an explicit boolean `add_bos_token` / `add_eos_token` in
// tokenizer_config.json overrides it, as transformers' Llama-family tokenizers do. The pad id is `pad_token`, or the
// eos token when the config names no pad token (what Axolotl sets for Llama tokenizers).
// Invariants: every id encode() returns is in [0, vocabSize); a named special token always exists in the vocabulary.
//
// Error codes defined here (61xx: tokenizer files):
//   6101  tokenizer.json not found in the folder (or the path does not exist)
//   6102  tokenizer.json or tokenizer_config.json is not valid JSON
//   6103  tokenizer.json does not describe a tokenizer the library can build (missing model, unknown component)
//   6104  a special token named in tokenizer_config.json is not in the vocabulary
//   6105  decode() got an id outside the vocabulary
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Tokenizer as LibTokenizer } from "@huggingface/tokenizers";
import { fail } from "../diagnostics.ts";

const TOKENIZER_FILE = "tokenizer.json";
const CONFIG_FILE = "tokenizer_config.json";

/** The special tokens this tokenizer knows, by id (undefined where the files name none). */
export interface SpecialTokenIds {
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  /** `pad_token` if named, else the eos token. */
  readonly pad: number | undefined;
  readonly unk: number | undefined;
}

/** Options of {@link HfTokenizer.encode}. */
export interface EncodeOptions {
  /** Add the special tokens (e.g. BOS) the tokenizer files ask for. Default true, as in transformers. */
  readonly addSpecialTokens?: boolean;
}

/** Options of {@link HfTokenizer.decode}. */
export interface DecodeOptions {
  /** Leave special tokens (bos, eos, pad, ...) out of the text. Default false, as in transformers. */
  readonly skipSpecialTokens?: boolean;
}

/** A loaded Hugging Face tokenizer. Build it with {@link loadTokenizer}. */
export class HfTokenizer {
  /** Path of the tokenizer.json this was loaded from. */
  readonly file: string;
  /** Number of ids: one more than the largest id in the vocabulary or the added tokens. */
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  /** Ids encode() puts before and after the text's own tokens when special tokens are added. */
  readonly prefix: readonly number[];
  readonly suffix: readonly number[];
  /** The chat template: tokenizer_config.json's chat_template (its `default` entry if a list), else chat_template.jinja. */
  readonly chatTemplate: string | undefined;
  readonly #lib: LibTokenizer;
  readonly #cleanUpSpaces: boolean;

  constructor(parts: TokenizerParts) {
    this.file = parts.file;
    this.#lib = parts.lib;
    this.vocabSize = parts.vocabSize;
    this.special = parts.special;
    this.prefix = parts.prefix;
    this.suffix = parts.suffix;
    this.chatTemplate = parts.chatTemplate;
    this.#cleanUpSpaces = parts.cleanUpSpaces;
  }

  get bosId(): number | undefined {
    return this.special.bos;
  }

  get eosId(): number | undefined {
    return this.special.eos;
  }

  get padId(): number | undefined {
    return this.special.pad;
  }

  /** Token ids of `text`, with the special tokens the tokenizer adds unless `addSpecialTokens` is false. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = text === "" ? [] : this.#lib.encode(text, { add_special_tokens: false }).ids;
    return options.addSpecialTokens === false ? ids : [...this.prefix, ...ids, ...this.suffix];
  }

  /** The text of `ids`. Throws TraincError 6105 for an id outside the vocabulary. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabSize);
    if (bad >= 0) {
      fail(
        6105,
        `cannot decode id ${ids[bad]} at position ${bad}: the tokenizer ${this.file} has ids 0..${this.vocabSize - 1}`,
        "check that the model's vocab_size matches this tokenizer",
      );
    }
    return this.#lib.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: this.#cleanUpSpaces,
    });
  }

  /** The id of a token string, or undefined if it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.#lib.token_to_id(token);
  }

  /** The token string of an id, or undefined if no token has it. */
  idToToken(id: number): string | undefined {
    return this.#lib.id_to_token(id);
  }
}

/** What {@link HfTokenizer}'s constructor takes; {@link loadTokenizer} computes it from the files. */
export interface TokenizerParts {
  readonly file: string;
  readonly lib: LibTokenizer;
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  readonly prefix: readonly number[];
  readonly suffix: readonly number[];
  readonly chatTemplate?: string;
  readonly cleanUpSpaces: boolean;
}

type Json = Record<string, unknown>;

/**
 * Loads the tokenizer in `path`: a folder holding tokenizer.json (and maybe tokenizer_config.json), or the path of a
 * tokenizer.json itself. Reads local files only.
 */
export function loadTokenizer(path: string): HfTokenizer {
  const file = tokenizerFile(path);
  const json = readJsonObject(file);
  const configFile = join(dirname(file), CONFIG_FILE);
  const config = existsSync(configFile) ? readJsonObject(configFile) : {};
  const lib = buildLibTokenizer(file, json, config);
  const idOf = (key: string): number | undefined => specialTokenId(lib, config, key, configFile);
  const bos = idOf("bos_token");
  const eos = idOf("eos_token");
  const special: SpecialTokenIds = { bos, eos, pad: idOf("pad_token") ?? eos, unk: idOf("unk_token") };
  const processed = postProcessorTokens(json.post_processor, lib);
  return new HfTokenizer({
    file,
    lib,
    vocabSize: vocabSizeOf(lib),
    special,
    prefix: override(processed.prefix, config.add_bos_token, bos, "add_bos_token", "bos_token", configFile),
    suffix: override(processed.suffix, config.add_eos_token, eos, "add_eos_token", "eos_token", configFile),
    cleanUpSpaces: config.clean_up_tokenization_spaces === true,
    chatTemplate: chatTemplateOf(config, dirname(file)),
  });
}

/** The chat template tokenizer_config.json names (a string, or the `default` of a named list), else chat_template.jinja. */
function chatTemplateOf(config: Json, dir: string): string | undefined {
  const named = config.chat_template;
  if (typeof named === "string") return named;
  if (Array.isArray(named)) {
    const entry = named.find((t) => (t as Json)?.name === "default") as Json | undefined;
    if (typeof entry?.template === "string") return entry.template;
  }
  const file = join(dir, "chat_template.jinja");
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

function tokenizerFile(path: string): string {
  if (!existsSync(path)) {
    fail(6101, `tokenizer path ${path} does not exist`, `point it at a folder holding ${TOKENIZER_FILE}`);
  }
  const file = statSync(path).isDirectory() ? join(path, TOKENIZER_FILE) : path;
  if (!existsSync(file)) {
    fail(
      6101,
      `no ${TOKENIZER_FILE} in ${path}`,
      `put the model's ${TOKENIZER_FILE} (the Hugging Face fast-tokenizer file) in that folder; ` +
        `a tokenizer.model (sentencepiece) alone is not read`,
    );
  }
  return file;
}

function readJsonObject(file: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    fail(6102, `${file} is not valid JSON: ${(error as Error).message}`, `restore ${basename(file)} from the model`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(6102, `${file} holds ${describe(value)}, expected a JSON object`, `restore ${basename(file)} from the model`);
  }
  return value as Json;
}

function buildLibTokenizer(file: string, json: Json, config: Json): LibTokenizer {
  const model = json.model;
  if (typeof model !== "object" || model === null || Array.isArray(model)) {
    fail(6103, `${file} has no "model" object`, `restore ${TOKENIZER_FILE} from the model`);
  }
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) {
    fail(6103, `${file}: "added_tokens" is ${describe(json.added_tokens)}, expected a list`);
  }
  const complete = {
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    ...json,
    added_tokens: json.added_tokens ?? [],
  };
  try {
    return new LibTokenizer(complete, config);
  } catch (error) {
    return fail(
      6103,
      `${file} cannot be loaded: ${(error as Error).message}`,
      `restore ${TOKENIZER_FILE} from the model; trainc reads tokenizers in the Hugging Face tokenizers format`,
    );
  }
}

/** The id of the special token `key` (bos_token, ...) named in tokenizer_config.json, if it names one. */
function specialTokenId(lib: LibTokenizer, config: Json, key: string, configFile: string): number | undefined {
  const named = config[key];
  if (named === undefined || named === null) return undefined;
  const content = typeof named === "string" ? named : (named as Json).content;
  if (typeof content !== "string") {
    fail(6104, `${configFile}: ${key} is ${describe(named)}, expected a token string`, `set ${key} to a token`);
  }
  const id = lib.token_to_id(content);
  if (id === undefined) {
    fail(
      6104,
      `${configFile}: ${key} ${JSON.stringify(content)} is not in the tokenizer's vocabulary`,
      `set ${key} to a token of tokenizer.json (an entry of "added_tokens" or the model vocab)`,
    );
  }
  return id;
}

function vocabSizeOf(lib: LibTokenizer): number {
  let max = -1;
  for (const id of lib.get_vocab(true).values()) max = Math.max(max, id);
  return max + 1;
}

/**
 * The prefix/suffix that tokenizer_config.json's add_bos_token/add_eos_token impose, when it sets them: exactly
 * [bos] / [eos] or nothing. Left alone when the key is absent.
 */
function override(
  fromProcessor: number[],
  flag: unknown,
  id: number | undefined,
  flagKey: string,
  tokenKey: string,
  configFile: string,
): number[] {
  if (typeof flag !== "boolean") return fromProcessor;
  if (!flag) return [];
  if (id === undefined) {
    fail(6104, `${configFile} sets ${flagKey}: true but names no ${tokenKey}`, `set ${tokenKey} in ${CONFIG_FILE}`);
  }
  return [id];
}

interface Surround {
  prefix: number[];
  suffix: number[];
}

/** The ids a post-processor puts around a single sequence (read from its JSON, the same for every text). */
function postProcessorTokens(processor: unknown, lib: LibTokenizer): Surround {
  if (processor === undefined || processor === null) return { prefix: [], suffix: [] };
  const p = processor as Json;
  switch (p.type) {
    case "TemplateProcessing":
      return templateTokens(p);
    case "BertProcessing":
    case "RobertaProcessing":
      return { prefix: [pairId(p.cls, lib)], suffix: [pairId(p.sep, lib)] };
    case "Sequence": {
      const parts = ((p.processors ?? []) as unknown[]).map((inner) => postProcessorTokens(inner, lib));
      return {
        prefix: parts.flatMap((s) => s.prefix),
        suffix: parts.flatMap((s) => s.suffix),
      };
    }
    default:
      return { prefix: [], suffix: [] };
  }
}

/** TemplateProcessing: special tokens before the `$A` piece of the single template are the prefix, after it the suffix. */
function templateTokens(p: Json): Surround {
  const table = (p.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
  const out: Surround = { prefix: [], suffix: [] };
  let seenSequence = false;
  for (const piece of (p.single ?? []) as Json[]) {
    if ("Sequence" in piece) {
      seenSequence = true;
      continue;
    }
    const name = ((piece.SpecialToken ?? {}) as Json).id as string;
    const ids = table[name]?.ids ?? [];
    (seenSequence ? out.suffix : out.prefix).push(...ids);
  }
  return out;
}

/** Bert/Roberta processors store special tokens as [token, id]; prefer the vocabulary's id for the token. */
function pairId(pair: unknown, lib: LibTokenizer): number {
  const [token, id] = pair as [string, number];
  return lib.token_to_id(token) ?? id;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
