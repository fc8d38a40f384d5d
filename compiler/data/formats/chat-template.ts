// Dataset format `type: chat_template`, as Axolotl's ChatTemplateStrategy: a row's messages (field_messages, default
// `messages`; keys renamed by message_property_mappings; roles human/gpt read as user/assistant) are rendered with
// a Jinja chat template (@huggingface/jinja) and tokenized without added special tokens (the template writes BOS and
// EOS itself, as apply_chat_template does). Labels start at -100. A turn is trained when its role is in
// roles_to_train (default [assistant]) or train_on_inputs is set: its content tokens get labels. A turn's tokens are
// found as Axolotl finds them: render the turns before it plus the turn with a dummy content, and the turns up to and
// including it; the span where the two token lists differ is the turn's content. The EOS token within 3 tokens after
// a turn is trained per train_on_eos: `turn` (default) after trained turns, `all` after every turn, `last` only the
// conversation's last one, `none` never. No generation prompt is rendered.
// The template: the entry's chat_template (default tokenizer_default): `tokenizer_default` is the tokenizer's own
// (or what the config's top-level chat_template names, which replaces it as Axolotl does at tokenizer load), `jinja`
// the entry's (else the config's) chat_template_jinja text (a .jinja file is read by the caller: compiler/commands/
// inputs.ts), `chatml` the built-in ChatML, `tokenizer_default_fallback_chatml` the tokenizer's own else ChatML.
// Message keys: message_property_mappings (or its older spellings message_field_role / message_field_content); role
// names: the entry's `roles` (template role -> names rows use) over Axolotl's defaults (human, gpt, ...).
// Error codes: 6217 no usable template (names the entry and what to set); 6218 a row's messages are malformed or the
// template fails on them (names file:line and the field); 6219 a key this format does not read yet
// (message_field_training, message_field_training_detail).
import { Template } from "@huggingface/jinja";
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import { where } from "../read-rows.ts";
import { IGNORE_INDEX, type DataTokenizer, type DatasetEntry, type Format, type FormatOptions, type ObjectRow } from "../types.ts";

/** One message as the template sees it. */
interface Turn {
  readonly role: string;
  readonly content: string;
}

/** ChatML, the one template built in (Axolotl has more; give others as chat_template_jinja). */
export const CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + " +
  "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const BUILT_IN: Readonly<Record<string, string>> = { chatml: CHATML };

/** Role names Axolotl reads as the template's roles. */
const ROLE_NAMES: Readonly<Record<string, string>> = {
  human: "user", user: "user", assistant: "assistant", gpt: "assistant", system: "system", tool: "tool",
};

/** What the dummy turn holds while its position is found. */
const DUMMY = "[[dummy_message]]";

/** How far after a turn its EOS may sit (template padding). */
const EOS_REACH = 3;

/** Tokenizes each chat_template row. */
export const chatTemplate: Format = (entry, tokenizer, options, index) => {
  refuseUnread(entry, index);
  const template = compile(templateText(entry, tokenizer, options, index), entry, index);
  const field = entry.field_messages ?? "messages";
  const train = new Set(entry.roles_to_train ?? ["assistant"]);
  const eosMode = entry.train_on_eos ?? "turn";
  const variables = {
    ...options.chatTemplateKwargs,
    bos_token: tokenizer.bosId === undefined ? "" : tokenizer.idToToken(tokenizer.bosId) ?? "",
    eos_token: tokenizer.eosId === undefined ? "" : tokenizer.idToToken(tokenizer.eosId) ?? "",
    add_generation_prompt: false,
  };
  return (row) => {
    const turns = readTurns(row, entry, field);
    const encode = (messages: readonly Turn[]) =>
      tokenizer.encode(render(template, { ...variables, messages }, row, field), { addSpecialTokens: false });
    const ids = encode(turns);
    const labels = ids.map(() => IGNORE_INDEX);
    let lastEos = -1;
    turns.forEach((turn, i) => {
      const trained = options.trainOnInputs || train.has(turn.role);
      if (!trained && eosMode !== "all") return;
      const [start, end] = turnSpan(encode, turns, i);
      if (start < 0) return;
      if (trained) for (let t = start; t < end; t++) labels[t] = ids[t]!;
      const eos = eosAfter(ids, end, tokenizer.eosId);
      if (eos < 0) return;
      lastEos = eos;
      if (eosMode === "all" || (eosMode === "turn" && trained)) labels[eos] = ids[eos]!;
    });
    if (eosMode === "last" && lastEos >= 0) labels[lastEos] = ids[lastEos]!;
    return { input_ids: ids, labels, file: row.file, line: row.line };
  };
};

/** [start, end) of turn i's content in the conversation's ids, or [-1, -1] when the renders do not tell. */
function turnSpan(encode: (turns: readonly Turn[]) => number[], turns: readonly Turn[], i: number): [number, number] {
  const dummy = encode([...turns.slice(0, i), { role: turns[i]!.role, content: DUMMY }]);
  const full = encode(turns.slice(0, i + 1));
  if (dummy.length === 0 || full.length === 0) return [-1, -1];
  let start = 0;
  while (start < dummy.length && start < full.length && dummy[start] === full[start]) start++;
  let fromEnd = 0;
  while (fromEnd < dummy.length && fromEnd < full.length && dummy[dummy.length - 1 - fromEnd] === full[full.length - 1 - fromEnd]) fromEnd++;
  const end = full.length - fromEnd;
  return start >= full.length || end <= start ? [-1, -1] : [start, end];
}

/** The first EOS at or after `from` if it lies within EOS_REACH tokens, else -1. */
function eosAfter(ids: readonly number[], from: number, eos: number | undefined): number {
  if (eos === undefined) return -1;
  const at = ids.indexOf(eos, from);
  return at >= 0 && at - from <= EOS_REACH ? at : -1;
}

/** The row's messages as turns: mapped keys and role names, a row-level system field prepended, drop_system_message. */
function readTurns(row: ObjectRow, entry: DatasetEntry, field: string): Turn[] {
  const list = row.value[field];
  if (!Array.isArray(list)) badRow(row, field, list === undefined ? `has no "${field}" field` : `"${field}" is not a list`);
  const roleKey = entry.message_property_mappings?.["role"] ?? entry.message_field_role ?? "role";
  const contentKey = entry.message_property_mappings?.["content"] ?? entry.message_field_content ?? "content";
  const roleNames = { ...ROLE_NAMES, ...Object.fromEntries(Object.entries(entry.roles ?? {}).flatMap(([role, names]) => names.map((n) => [n, role]))) };
  const turns = list.map((message, i): Turn => {
    const m = message as Record<string, unknown> | null;
    const role = m?.[roleKey];
    const content = m?.[contentKey];
    if (typeof m !== "object" || m === null || typeof role !== "string" || typeof content !== "string") {
      badRow(row, field, `${field}[${i}] is ${JSON.stringify(message)}, expected {"${roleKey}": "...", "${contentKey}": "..."}`);
    }
    return { role: roleNames[role] ?? role, content };
  });
  const system = row.value["system"];
  if (turns[0]?.role !== "system" && typeof system === "string") turns.unshift({ role: "system", content: system });
  if (entry.drop_system_message === true && turns[0]?.role === "system") turns.shift();
  return turns;
}

/** 6219 for the entry keys this format does not read yet, rather than ignoring what they ask for. */
function refuseUnread(entry: DatasetEntry, index: number): void {
  const unread = (["message_field_training", "message_field_training_detail"] as const).filter((k) => entry[k] !== undefined);
  if (unread.length > 0) {
    fail(DataError.unreadKey, `datasets[${index}].${unread[0]}: per-message training flags are not read by trainc yet`,
      `remove ${unread.join(" and ")}; roles_to_train and train_on_eos choose the trained turns`);
  }
}

function render(template: Template, variables: Record<string, unknown>, row: ObjectRow, field: string): string {
  try {
    return template.render(variables);
  } catch (e) {
    return badRow(row, field, `the chat template fails on its messages: ${(e as Error).message}`);
  }
}

function badRow(row: ObjectRow, field: string, problem: string): never {
  return fail(
    DataError.badChatRow,
    `${where(row)}: chat_template row (field "${field}"): ${problem}`,
    "give every row a list of {role, content} messages the template accepts (set field_messages and " +
      "message_property_mappings if the row names them differently)",
  );
}

/** The template text the entry asks for (see the file header). */
function templateText(entry: DatasetEntry, tokenizer: DataTokenizer, options: FormatOptions, index: number): string {
  const name = entry.chat_template ?? "tokenizer_default";
  const own = options.chatTemplate === undefined ? tokenizer.chatTemplate
    : named(options.chatTemplate, options.chatTemplateJinja, tokenizer.chatTemplate, "chat_template", index, entry);
  return named(name, entry.chat_template_jinja ?? options.chatTemplateJinja, own, `datasets[${index}].chat_template`, index, entry);
}

function named(name: string, jinja: string | undefined, own: string | undefined, key: string, index: number,
  entry: DatasetEntry): string {
  const fallback = name.startsWith("tokenizer_default_fallback_") ? name.slice("tokenizer_default_fallback_".length) : undefined;
  if (name === "tokenizer_default" || fallback !== undefined) {
    if (own !== undefined) return own;
    if (fallback !== undefined && BUILT_IN[fallback] !== undefined) return BUILT_IN[fallback];
    return noTemplate(index, entry, `${key} is ${name} but the tokenizer has no chat_template`,
      "add a chat_template to tokenizer_config.json, or set chat_template: chatml, or chat_template: jinja with chat_template_jinja");
  }
  if (name === "jinja") {
    return jinja ?? noTemplate(index, entry, `${key} is jinja but no chat_template_jinja is set`, "set chat_template_jinja to the template text or a .jinja file");
  }
  return BUILT_IN[name] ?? noTemplate(index, entry, `${key} ${name} is not a template trainc has built in`,
    `use ${Object.keys(BUILT_IN).join(", ")}, tokenizer_default, or jinja with chat_template_jinja (the template's text)`);
}

function compile(text: string, entry: DatasetEntry, index: number): Template {
  try {
    return new Template(text);
  } catch (e) {
    return noTemplate(index, entry, `the chat template does not parse: ${(e as Error).message}`, "fix the template's Jinja syntax");
  }
}

function noTemplate(index: number, entry: DatasetEntry, problem: string, fix: string): never {
  return fail(DataError.noChatTemplate, `datasets[${index}] (${entry.path ?? "no path"}): ${problem}`, fix);
}
