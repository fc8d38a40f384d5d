// User-facing errors: every error a person can cause has a code, names the culprit (key, file, op, node) and says
// what to change. Ranges: 1xxx config, 2xxx model files and import, 3xxx IR text and verification, 4xxx passes,
// 5xxx backends and targets, 6xxx runtime and data, 9xxx internal (a bug in trainc: these keep their stack trace).
// Invariant: a TraincError is printed as `error[E<code>]: <message>` plus `  fix: <fix>`, never with a stack trace.

/** An error a user can act on. `code` is stable across versions; `fix` says what to change. */
export class TraincError extends Error {
  readonly code: number;
  readonly fix: string | undefined;

  constructor(code: number, message: string, fix?: string) {
    super(message);
    this.name = "TraincError";
    this.code = code;
    this.fix = fix;
  }

  /** The text shown to the user: `error[E1003]: ...` and, when known, a `fix:` line. */
  format(): string {
    const head = `error[E${this.code}]: ${this.message}`;
    return this.fix === undefined ? head : `${head}\n  fix: ${this.fix}`;
  }
}

/**
 * The TraincError an error stands for: itself, or one rebuilt from an error of a shipped runtime (the wgsl bundle's
 * runtime.js cannot import this module, so its errors carry `code`, `detail` and `fix`); undefined for anything else.
 */
export function asTraincError(e: unknown): TraincError | undefined {
  if (e instanceof TraincError) return e;
  const coded = e as { code?: unknown; detail?: unknown; fix?: unknown } | null;
  if (typeof coded?.code === "number" && typeof coded.detail === "string" && typeof coded.fix === "string") {
    return new TraincError(coded.code, coded.detail, coded.fix);
  }
  return undefined;
}

/** Throws a TraincError; reads well in expressions: `x ?? fail(2001, "...")`. */
export function fail(code: number, message: string, fix?: string): never {
  throw new TraincError(code, message, fix);
}

/** The closest candidate by edit distance, if close enough to be a plausible typo (for did-you-mean hints). */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
