// Writes the sample-packing benchmark's inputs into a folder (default out/packing): an Alpaca-style dataset of rows
// of varied length (data/alpaca.jsonl), a character-level tokenizer over printable ASCII (tokenizer/, the example's
// format: examples/tiny-llama/make-tokenizer.ts), the Hugging Face config.json of a 27M-parameter Llama (model/), and
// the two configs the benchmark compares (packed.yml, unpacked.yml): the same but for sample_packing and for the
// unpacked run's gradient_accumulation_steps of 3, which gives both about the same real tokens per optimizer step (3 x
// 4 padded rows hold about 8,700; one packed row of 8,192 slots about 8,100), so their losses compare step for step.
// Run: `npx tsx bench/packing/make-data.ts [folder]`; then bench/packing/README.md.
// Rows: an instruction of 4-24 words, an input of 0-60 words (empty for 40% of rows, so both Alpaca prompts occur), and
// an output whose length in characters is log-uniform over [16, 1600]: with the Alpaca prompt the rows run from about
// 200 to 2000 tokens, the spread where padding wastes most and packing saves most.
// Invariant: a pure function of the folder name (seeded), so both configs read the same rows.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tokenizerConfigJson, tokenizerJson, vocabulary, SPECIAL_TOKENS } from "../../examples/tiny-llama/make-tokenizer.ts";
import { makeRandom, randomInt, type Random } from "../../compiler/random.ts";

/** Rows written. */
const ROWS = 2400;
/** sequence_len of both runs; rows are shorter. */
const SEQUENCE_LEN = 2048;
/** Printable ASCII and newline: every character the rows use is one token. */
const CHARACTERS = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), "\n"];

function word(random: Random): string {
  const letters = "etaoinshrdlucmfwypvbgkjqxz";
  return Array.from({ length: randomInt(random, 2, 9) }, () => letters[Math.floor(random() ** 1.6 * letters.length)]).join("");
}

function words(random: Random, count: number): string {
  return Array.from({ length: count }, () => word(random)).join(" ");
}

/** One Alpaca row: instruction, input, output. */
function row(random: Random): { instruction: string; input: string; output: string } {
  const instruction = `${words(random, randomInt(random, 4, 24))}?`;
  const input = random() < 0.4 ? "" : words(random, randomInt(random, 1, 60));
  const length = Math.round(16 * 100 ** random());
  let output = "";
  while (output.length < length) output += `${word(random)}${random() < 0.08 ? ".\n" : " "}`;
  return { instruction, input, output: output.slice(0, length).trim() };
}

/** The model: 8 layers, hidden 512, 8 heads of 64 (4 kv heads), SwiGLU 1536, tied embeddings. */
function modelConfig(): Record<string, unknown> {
  const tokens = vocabulary(CHARACTERS);
  return {
    architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: tokens.length, hidden_size: 512,
    intermediate_size: 1536, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 64,
    hidden_act: "silu", max_position_embeddings: SEQUENCE_LEN, rms_norm_eps: 1e-6, rope_theta: 10000.0, rope_scaling: null,
    attention_bias: false, attention_dropout: 0.0, mlp_bias: false, initializer_range: 0.02, tie_word_embeddings: true,
    bos_token_id: tokens.indexOf(SPECIAL_TOKENS.bos), eos_token_id: tokens.indexOf(SPECIAL_TOKENS.eos),
    pad_token_id: tokens.indexOf(SPECIAL_TOKENS.pad), torch_dtype: "float32", use_cache: true,
  };
}

/** The config of one run; `packed` turns sample packing on. */
function trainConfig(packed: boolean): string {
  const name = packed ? "packed" : "unpacked";
  return [
    `# The sample-packing benchmark's ${name} run (bench/packing/README.md); written by bench/packing/make-data.ts.`,
    "base_model: ./model", "tokenizer_config: ./tokenizer",
    "datasets:", "  - path: ./data/alpaca.jsonl", "    type: alpaca",
    `sequence_len: ${SEQUENCE_LEN}`, "micro_batch_size: 4", `gradient_accumulation_steps: ${packed ? 1 : 3}`, "num_epochs: 1",
    "learning_rate: 0.0006", "lr_scheduler: cosine", "warmup_steps: 10", "optimizer: adamw_torch", "weight_decay: 0.0",
    "max_grad_norm: 1.0", "bf16: true", "attn_implementation: flash_attention_2", "val_set_size: 0.05", "eval_steps: 0.25",
    ...(packed ? ["sample_packing: true"] : []),
    `output_dir: ./${name}`, "seed: 42", "logging_steps: 10", "save_strategy: \"no\"", "",
  ].join("\n");
}

function main(): void {
  const dir = resolve(process.argv[2] ?? "out/packing");
  const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const random = makeRandom("bench/packing");
  const files: Record<string, string> = {
    "tokenizer/tokenizer.json": text(tokenizerJson(CHARACTERS)),
    "tokenizer/tokenizer_config.json": text(tokenizerConfigJson(SEQUENCE_LEN)),
    "model/config.json": text(modelConfig()),
    "data/alpaca.jsonl": Array.from({ length: ROWS }, () => JSON.stringify(row(random))).join("\n") + "\n",
    "packed.yml": trainConfig(true),
    "unpacked.yml": trainConfig(false),
  };
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
    console.log(`wrote ${join(dir, name)}`);
  }
}

main();
