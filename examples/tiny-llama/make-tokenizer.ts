// Writes the tiny-llama example's tokenizer and model config: tokenizer/tokenizer.json, tokenizer/tokenizer_config.json
// and model-config.json (the Hugging Face config.json of a tiny LlamaForCausalLM, from which `trainc init-model` makes
// model/). Run: `npx tsx examples/tiny-llama/make-tokenizer.ts` (writes beside this script).
//
// The tokenizer is character level, written in the Hugging Face tokenizers format so that both
// @huggingface/tokenizers and Hugging Face's own tokenizers load it: a BPE model with one token per character and no
// merges (so each character is its own token), no normalizer or pre-tokenizer, a Fuse decoder (tokens joined without
// spaces) and a TemplateProcessing post-processor that puts BOS before every text. Vocabulary: <unk> <s> </s> <pad>,
// the digits, "+", "=", space and newline. A character outside it encodes to <unk>.
// Invariants: the model config's vocab_size and bos/eos/pad ids are computed from the tokenizer built here, so the
// three files always agree; the output is a pure function of this script (no randomness).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The special tokens, at ids 0..3 in this order (Llama's order for the first three). */
export const SPECIAL_TOKENS = { unk: "<unk>", bos: "<s>", eos: "</s>", pad: "<pad>" } as const;

/** The characters the tokenizer knows, each one token, after the special tokens. */
export const CHARACTERS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "=", " ", "\n"] as const;

/** max_position_embeddings of the model, also the tokenizer's model_max_length. */
export const MAX_POSITIONS = 64;

/** Every token in id order: the special tokens, then `characters` (default: the example's). */
export function vocabulary(characters: readonly string[] = CHARACTERS): string[] {
  return [...Object.values(SPECIAL_TOKENS), ...characters];
}

/** The tokenizer.json object of a character-level tokenizer over `characters` (default: the example's). */
export function tokenizerJson(characters: readonly string[] = CHARACTERS): Record<string, unknown> {
  const tokens = vocabulary(characters);
  const idOf = (token: string): number => tokens.indexOf(token);
  const addedTokens = Object.values(SPECIAL_TOKENS).map((content) => ({
    id: idOf(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const bos = SPECIAL_TOKENS.bos;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [idOf(bos)], tokens: [bos] } },
    },
    decoder: { type: "Fuse" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: SPECIAL_TOKENS.unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((token, id) => [token, id])),
      merges: [],
    },
  };
}

/** The tokenizer_config.json object: special tokens, BOS added and EOS not (completion rows get EOS from trainc). */
export function tokenizerConfigJson(maxPositions = MAX_POSITIONS): Record<string, unknown> {
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: SPECIAL_TOKENS.bos,
    eos_token: SPECIAL_TOKENS.eos,
    pad_token: SPECIAL_TOKENS.pad,
    unk_token: SPECIAL_TOKENS.unk,
    add_bos_token: true,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: maxPositions,
  };
}

/** The Hugging Face config.json of the tiny LlamaForCausalLM (tied embeddings, grouped-query attention). */
export function modelConfigJson(): Record<string, unknown> {
  const tokens = vocabulary();
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: tokens.length,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    hidden_act: "silu",
    max_position_embeddings: MAX_POSITIONS,
    rms_norm_eps: 1e-6,
    rope_theta: 10000.0,
    rope_scaling: null,
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    initializer_range: 0.02,
    tie_word_embeddings: true,
    bos_token_id: tokens.indexOf(SPECIAL_TOKENS.bos),
    eos_token_id: tokens.indexOf(SPECIAL_TOKENS.eos),
    pad_token_id: tokens.indexOf(SPECIAL_TOKENS.pad),
    torch_dtype: "float32",
    use_cache: true,
  };
}

/** The files this script writes, by path relative to the example folder, as the exact text written. */
export function exampleFiles(): Record<string, string> {
  const text = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  return {
    "tokenizer/tokenizer.json": text(tokenizerJson()),
    "tokenizer/tokenizer_config.json": text(tokenizerConfigJson()),
    "model-config.json": text(modelConfigJson()),
  };
}

function main(): void {
  const dir = dirname(fileURLToPath(import.meta.url));
  for (const [name, content] of Object.entries(exampleFiles())) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
    console.log(`wrote ${join(dir, name)}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
