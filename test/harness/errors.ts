// Error assertions for tests: the TraincError code a call throws (undefined when it returns normally).

/** The `code` of what `fn` throws, or undefined when it does not throw. */
export function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: number }).code;
  }
  return undefined;
}
