// A small FileCheck for IR text goldens (after LLVM's): directives in `// CHECK...:` comments are matched in order
// against an output text. CHECK finds the pattern after the previous match; CHECK-NEXT on the next line; CHECK-SAME
// on the same line; CHECK-NOT must not occur between the previous and the next positive match (or the end);
// CHECK-LABEL is a CHECK that documents a case boundary. In patterns, `{{re}}` is a regex, `[[X:re]]` captures into X,
// `[[X]]` reuses a capture, and runs of spaces match any horizontal whitespace.

export type CheckKind = "CHECK" | "CHECK-NEXT" | "CHECK-SAME" | "CHECK-NOT" | "CHECK-LABEL";

export interface Check {
  readonly kind: CheckKind;
  readonly pattern: string;
  readonly line: number;
}

const DIRECTIVE = /\/\/\s*(CHECK(?:-NEXT|-SAME|-NOT|-LABEL)?):(.*)$/;

/** Any `// CHECK...:` comment, known or not (an unknown one is an error, never silently skipped). */
const ANY_DIRECTIVE = /\/\/\s*(CHECK[\w-]*):/;

/** The check directives of a golden file, with their line numbers; throws on a directive this FileCheck lacks. */
export function parseChecks(text: string): Check[] {
  const checks: Check[] = [];
  text.split("\n").forEach((line, i) => {
    const m = DIRECTIVE.exec(line);
    if (m) checks.push({ kind: m[1] as CheckKind, pattern: m[2]!.trim(), line: i + 1 });
    else if (ANY_DIRECTIVE.test(line)) throw new Error(`line ${i + 1}: unknown directive ${ANY_DIRECTIVE.exec(line)![1]}`);
  });
  return checks;
}

/** Builds a regex from a pattern, substituting captures already defined. */
function compile(pattern: string, vars: Map<string, string>): { re: RegExp; names: string[] } {
  let source = "";
  const names: string[] = [];
  let rest = pattern;
  while (rest.length > 0) {
    const m = /\{\{(.*?)\}\}|\[\[([A-Za-z_][A-Za-z0-9_]*)(?::(.*?))?\]\]/.exec(rest);
    const literal = m ? rest.slice(0, m.index) : rest;
    source += literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/[ \t]+/g, "[ \\t]+");
    if (!m) break;
    if (m[1] !== undefined) source += `(?:${m[1]})`;
    else if (m[3] !== undefined) {
      source += `(${m[3]})`;
      names.push(m[2]!);
    } else {
      const value = vars.get(m[2]!);
      if (value === undefined) throw new Error(`[[${m[2]}]] is used before it is captured`);
      source += value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return { re: new RegExp(source, "g"), names };
}

/** Runs the checks on `output`; returns undefined on success or a message saying which check failed and where. */
export function fileCheck(checks: readonly Check[], output: string): string | undefined {
  const vars = new Map<string, string>();
  const lineStart = (pos: number) => output.lastIndexOf("\n", pos - 1) + 1;
  const lineEnd = (pos: number) => (output.indexOf("\n", pos) + 1 || output.length + 1) - 1;
  let pos = 0;
  let lastLine = 0;
  let pendingNot: Check[] = [];
  for (const check of checks) {
    if (check.kind === "CHECK-NOT") {
      pendingNot.push(check);
      continue;
    }
    const { re, names } = compile(check.pattern, vars);
    const from = check.kind === "CHECK-NEXT" ? lineEnd(pos) + 1 : pos;
    re.lastIndex = Math.min(from, output.length);
    const m = re.exec(output);
    const where = `golden line ${check.line}: ${check.kind}: ${check.pattern}`;
    if (!m) return `${where}\n  no match after output offset ${from}:\n${excerpt(output, from)}`;
    if (check.kind === "CHECK-NEXT" && lineStart(m.index) !== lineEnd(pos) + 1) {
      return `${where}\n  matched, but not on the line after the previous match:\n${excerpt(output, lineEnd(pos) + 1)}`;
    }
    if (check.kind === "CHECK-SAME" && lineStart(m.index) !== lastLine) {
      return `${where}\n  matched, but not on the same line as the previous match`;
    }
    const notError = checkNots(pendingNot, output.slice(pos, m.index), vars);
    if (notError) return notError;
    pendingNot = [];
    names.forEach((name, i) => vars.set(name, m[i + 1]!));
    pos = m.index + m[0].length;
    lastLine = lineStart(m.index);
  }
  return checkNots(pendingNot, output.slice(pos), vars);
}

function checkNots(nots: readonly Check[], region: string, vars: Map<string, string>): string | undefined {
  for (const check of nots) {
    const { re } = compile(check.pattern, vars);
    const m = re.exec(region);
    if (m) return `golden line ${check.line}: CHECK-NOT: ${check.pattern}\n  found: ${m[0]}`;
  }
  return undefined;
}

function excerpt(output: string, from: number): string {
  return output.slice(from, from + 600).split("\n").map((l) => `    | ${l}`).join("\n");
}
