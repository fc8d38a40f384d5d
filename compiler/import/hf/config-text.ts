// Edits config.json as text, so a saved model's config is byte for byte the original except the edited key: a
// re-serialized object would turn 10000.0 into 10000, and transformers-5's strict config classes reject an int
// where they declare a float. Only top-level keys are touched (nested configs may have keys of the same name).
// Invariant: the input is valid JSON whose top level is an object (callers parse it first).

/** The span [start, end) of each top-level value, by key. */
function topLevelValues(text: string): Map<string, [number, number]> {
  const spans = new Map<string, [number, number]>();
  let i = skipSpace(text, 0) + 1;
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] === "}") return spans;
    if (text[i] === ",") {
      i++;
      continue;
    }
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const end = valueEnd(text, start);
    spans.set(key, [start, end]);
    i = end;
  }
}

function skipSpace(text: string, i: number): number {
  while (/\s/.test(text[i] ?? "")) i++;
  return i;
}

/** Index just past the JSON value starting at `start`. */
function valueEnd(text: string, start: number): number {
  const c = text[start];
  if (c === '"') return stringEnd(text, start);
  if (c === "{" || c === "[") return compositeEnd(text, start);
  return start + text.slice(start).search(/[\s,}\]]/);
}

/** Index just past the string literal starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** Index just past the object or array starting at `start`. */
function compositeEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  do {
    const c = text[i]!;
    if (c === '"') {
      i = stringEnd(text, i);
      continue;
    }
    if (c === "{" || c === "[") depth++;
    if (c === "}" || c === "]") depth--;
    i++;
  } while (depth > 0);
  return i;
}

/**
 * `text` with the top-level `keys` that are present set to `value`; when none is present, `keys[0]` is added as the
 * object's first entry.
 */
export function setTopLevelKeys(text: string, keys: readonly string[], value: unknown): string {
  const spans = topLevelValues(text);
  const present = keys.filter((k) => spans.has(k)).map((k) => spans.get(k)!).sort((a, b) => b[0] - a[0]);
  const literal = JSON.stringify(value);
  if (present.length === 0) {
    const open = text.indexOf("{");
    const empty = /^\s*}/.test(text.slice(open + 1));
    return `${text.slice(0, open + 1)}\n  ${JSON.stringify(keys[0])}: ${literal}${empty ? "\n" : ","}${text.slice(open + 1)}`;
  }
  let out = text;
  for (const [start, end] of present) out = out.slice(0, start) + literal + out.slice(end);
  return out;
}
