// Symbolic dimensions: a Dim is a number, or a polynomial over named sizes with integer coefficients in canonical
// text form ("B", "B*T", "T-1", "2*B*T+4"). Canonical form makes equality a string compare; a polynomial that folds to
// a constant is always returned as a number.
// Invariant: every function here returns canonical Dims, so `dimEqual` is `===` on outputs of this module.

export type Dim = number | string;
export type Shape = readonly Dim[];

/** A polynomial: monomial key ("" for the constant, "B*T" sorted factors) -> integer coefficient. */
type Poly = Map<string, number>;

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

function toPoly(dim: Dim): Poly {
  if (typeof dim === "number") return new Map(dim === 0 ? [] : [["", dim]]);
  return parsePoly(dim);
}

function parsePoly(text: string): Poly {
  const poly: Poly = new Map();
  const src = text.replace(/\s+/g, "");
  const terms = src.match(/[+-]?[^+-]+/g);
  if (!terms || terms.join("") !== src) throw new Error(`bad dimension '${text}'`);
  for (const term of terms) {
    const sign = term.startsWith("-") ? -1 : 1;
    const body = term.replace(/^[+-]/, "");
    let coef = sign;
    const symbols: string[] = [];
    for (const factor of body.split("*")) {
      if (/^\d+$/.test(factor)) coef *= Number(factor);
      else if (SYMBOL.test(factor)) symbols.push(factor);
      else throw new Error(`bad dimension '${text}': '${factor}' is neither a number nor a name`);
    }
    addTerm(poly, symbols.sort().join("*"), coef);
  }
  return poly;
}

function addTerm(poly: Poly, key: string, coef: number): void {
  const next = (poly.get(key) ?? 0) + coef;
  if (next === 0) poly.delete(key);
  else poly.set(key, next);
}

function degree(key: string): number {
  return key === "" ? 0 : key.split("*").length;
}

function fromPoly(poly: Poly): Dim {
  const keys = [...poly.keys()].sort((a, b) => degree(b) - degree(a) || (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return 0;
  if (keys.length === 1 && keys[0] === "") return poly.get("")!;
  let out = "";
  for (const key of keys) {
    const coef = poly.get(key)!;
    const magnitude = Math.abs(coef);
    const body = key === "" ? String(magnitude) : magnitude === 1 ? key : `${magnitude}*${key}`;
    out += coef < 0 ? `-${body}` : out === "" ? body : `+${body}`;
  }
  return out;
}

/** Parses dimension text ("64", "B*T", "T-1") into a canonical Dim. Throws on malformed text. */
export function parseDim(text: string): Dim {
  return fromPoly(parsePoly(text));
}

/** Canonicalizes a Dim that may come from user input. */
export function canonicalDim(dim: Dim): Dim {
  return typeof dim === "number" ? dim : parseDim(dim);
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a + b;
  const poly = toPoly(a);
  for (const [k, c] of toPoly(b)) addTerm(poly, k, c);
  return fromPoly(poly);
}

export function dimSub(a: Dim, b: Dim): Dim {
  return dimAdd(a, dimMul(b, -1));
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a * b;
  const out: Poly = new Map();
  for (const [ka, ca] of toPoly(a)) {
    for (const [kb, cb] of toPoly(b)) {
      const key = [...(ka ? ka.split("*") : []), ...(kb ? kb.split("*") : [])].sort().join("*");
      addTerm(out, key, ca * cb);
    }
  }
  return fromPoly(out);
}

/** a / b when b (a number or a single monomial) divides every term of a exactly; undefined otherwise. */
export function dimDivExact(a: Dim, b: Dim): Dim | undefined {
  const divisor = toPoly(b);
  if (divisor.size !== 1) return undefined;
  const [[dKey, dCoef]] = [...divisor] as [[string, number]];
  const dFactors = dKey ? dKey.split("*") : [];
  const out: Poly = new Map();
  for (const [key, coef] of toPoly(a)) {
    if (coef % dCoef !== 0) return undefined;
    const factors = key ? key.split("*") : [];
    for (const f of dFactors) {
      const i = factors.indexOf(f);
      if (i < 0) return undefined;
      factors.splice(i, 1);
    }
    addTerm(out, factors.join("*"), coef / dCoef);
  }
  return fromPoly(out);
}

export function dimEqual(a: Dim, b: Dim): boolean {
  return a === b;
}

/** The names a Dim mentions, e.g. ["B", "T"] for "B*T+1". */
export function dimSymbols(dim: Dim): string[] {
  if (typeof dim === "number") return [];
  return [...new Set(dim.split(/[^A-Za-z0-9_]+/).filter((s) => SYMBOL.test(s)))];
}

/** Evaluates a Dim given sizes for its names. Throws naming the first unbound name. */
export function evalDim(dim: Dim, env: Readonly<Record<string, number>>): number {
  if (typeof dim === "number") return dim;
  let total = 0;
  for (const [key, coef] of parsePoly(dim)) {
    let term = coef;
    for (const f of key ? key.split("*") : []) {
      const value = env[f];
      if (value === undefined) throw new Error(`dimension '${f}' has no value`);
      term *= value;
    }
    total += term;
  }
  return total;
}

export function formatDim(dim: Dim): string {
  return typeof dim === "number" ? String(dim) : dim;
}

export function formatShape(shape: Shape): string {
  return `[${shape.map(formatDim).join(",")}]`;
}

/** Product of all dims (1 for a scalar). */
export function shapeNumel(shape: Shape): Dim {
  return shape.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

export function shapeEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of two shapes; undefined when a pair of dims is neither equal nor 1. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return undefined;
  }
  return out;
}
