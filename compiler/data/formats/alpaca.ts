// Dataset format `type: alpaca` (and `alpaca:chat`), as Axolotl's AlpacaPrompter + InstructionPromptTokenizingStrategy:
// the prompt is the system text in the style's system format plus the turn template filled with the row's
// `instruction` and `input` (the no-input variants when `input` is absent or empty), tokenized with the tokenizer's special tokens (BOS) and no EOS;
// the response is the row's `output`, tokenized on its own with any leading BOS removed and EOS appended (an empty
// output adds nothing). labels: -100 over the prompt unless train_on_inputs, the response's ids after it.
// Difference from Axolotl: Axolotl cuts the prompt and the response to sequence_len each before joining them; here
// the whole sample goes to the length filter (compiler/data/dataset.ts), like every format.
import { IGNORE_INDEX, type Format } from "../types.ts";
import { requireEos } from "./eos.ts";
import { optionalString, stringField } from "./fields.ts";

/** The prompt texts of one alpaca style: `{system}` in systemFormat, `{instruction}` and `{input}` in the turns. */
interface AlpacaStyle {
  readonly systemFormat: string;
  readonly turn: string;
  readonly turnNoInput: string;
}

const SYSTEM = "Below is an instruction that describes a task, paired with an input that provides further context. " +
  "Write a response that appropriately completes the request.";
const SYSTEM_NO_INPUT = "Below is an instruction that describes a task. Write a response that appropriately completes " +
  "the request.";

/** Axolotl's prompt styles: `instruct` (type alpaca) and `chat` (type alpaca:chat). */
export const ALPACA_STYLES = {
  instruct: {
    systemFormat: "{system}\n\n",
    turn: "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
    turnNoInput: "### Instruction:\n{instruction}\n\n### Response:\n",
  },
  chat: {
    systemFormat: "SYSTEM: {system}\n",
    turn: "USER: {instruction}\n{input}\nASSISTANT:",
    turnNoInput: "USER: {instruction}\nASSISTANT:",
  },
} as const satisfies Record<string, AlpacaStyle>;

/** The prompt of an instruction and input in `style` (before the response). */
export function alpacaPrompt(style: AlpacaStyle, instruction: string, input: string): string {
  const fill = (template: string, values: Record<string, string>) =>
    template.replace(/\{(system|instruction|input)\}/g, (_, key: string) => values[key]!);
  const system = fill(style.systemFormat, { system: input ? SYSTEM : SYSTEM_NO_INPUT });
  return system + fill(input ? style.turn : style.turnNoInput, { instruction, input });
}

/** The alpaca format in `style`. */
export function alpaca(style: AlpacaStyle): Format {
  return (entry, tokenizer, options, index) => {
    const eos = requireEos(tokenizer, entry, index);
    return (row) => {
      const name = "alpaca";
      const prompt = tokenizer.encode(alpacaPrompt(style, stringField(row, "instruction", name), optionalString(row, "input", name)));
      const output = stringField(row, "output", name);
      const response = output === "" ? [] : tokenizer.encode(output);
      if (response[0] !== undefined && response[0] === tokenizer.bosId) response.shift();
      if (output !== "" && response[response.length - 1] !== eos) response.push(eos);
      const promptLabels = options.trainOnInputs ? prompt : prompt.map(() => IGNORE_INDEX);
      return { input_ids: [...prompt, ...response], labels: [...promptLabels, ...response], file: row.file, line: row.line };
    };
  };
}
