// Binds a graph's symbolic dims (B, T, ...) from the shapes of the tensors given for its inputs, and checks every
// input: present, known name, dtype, rank, sizes and data length. A dim that is a bare name is bound by the first
// input that has it; a compound dim ("B*T", "T+1") is checked once its names are bound, or solves for its one
// unbound name when it is linear in it. Errors (codes 6101-6107, table in context.ts) name the input and the dim.

import { didYouMean, TraincError } from "../../compiler/diagnostics.ts";
import { dimSymbols, evalDim, formatShape, type Dim } from "../dim.ts";
import type { Graph } from "../graph.ts";
import { numel, storageLength, type Tensor } from "../tensor.ts";

/** One axis of one input whose dim is compound, waiting for its names to be bound. */
interface Pending {
  readonly input: string;
  readonly axis: number;
  readonly dim: Dim;
  readonly size: number;
}

/** Checks `inputs` against the graph's inputs and returns the value of every symbolic dim they fix. */
export function bindInputs(graph: Graph, inputs: Readonly<Record<string, Tensor>>): Record<string, number> {
  checkNames(graph, inputs);
  const env: Record<string, number> = {};
  const boundBy: Record<string, string> = {};
  const pending: Pending[] = [];
  for (const { name, id } of graph.inputs) {
    const want = graph.types[id]!;
    const t = inputs[name]!;
    const where = `input '${name}' of @${graph.name}`;
    if (t.dtype !== want.dtype) {
      throw new TraincError(6103, `${where} is ${t.dtype}, the graph expects ${want.dtype}`, `convert it to ${want.dtype}`);
    }
    if (t.shape.length !== want.shape.length) {
      throw new TraincError(6104, `${where} has shape [${t.shape.join(",")}], the graph expects rank ` +
        `${want.shape.length} ${formatShape(want.shape)}`, "pass a tensor of that rank");
    }
    t.shape.forEach((size, axis) => {
      if (!Number.isInteger(size) || size < 0) throw new TraincError(6104, `${where} has a bad size ${size} on axis ${axis}`);
      const dim = want.shape[axis]!;
      const mismatch = (expected: string) => new TraincError(6105,
        `${where} has size ${size} on axis ${axis}, but ${expected}`, `pass a tensor of shape ${formatShape(want.shape)}`);
      if (typeof dim === "number") {
        if (dim !== size) throw mismatch(`the graph fixes it to ${dim}`);
      } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(dim)) {
        if (env[dim] === undefined) {
          env[dim] = size;
          boundBy[dim] = `input '${name}' axis ${axis}`;
        } else if (env[dim] !== size) {
          throw mismatch(`dim ${dim} is already ${env[dim]} from ${boundBy[dim]}`);
        }
      } else {
        pending.push({ input: name, axis, dim, size });
      }
    });
    if (t.data.length !== storageLength(t.dtype, numel(t.shape))) {
      throw new TraincError(6106, `${where} has ${t.data.length} stored elements for shape [${t.shape.join(",")}]`,
        "build the tensor with ir/tensor.ts (zeros or fromArray) so data matches shape");
    }
  }
  solvePending(graph, pending, env);
  return env;
}

function checkNames(graph: Graph, inputs: Readonly<Record<string, Tensor>>): void {
  const names = graph.inputs.map((i) => i.name);
  for (const given of Object.keys(inputs)) {
    if (!names.includes(given)) {
      const guess = didYouMean(given, names);
      throw new TraincError(6102, `@${graph.name} has no input '${given}'${guess ? ` (did you mean '${guess}'?)` : ""}`,
        `its inputs are: ${names.join(", ")}`);
    }
  }
  for (const name of names) {
    if (inputs[name] === undefined) {
      throw new TraincError(6101, `input '${name}' of @${graph.name} was not given`, `pass a tensor named '${name}'`);
    }
  }
}

/** Binds names that only occur in compound dims (solving linear ones) and checks all compound dims. */
function solvePending(graph: Graph, pending: Pending[], env: Record<string, number>): void {
  let left = pending;
  for (;;) {
    const next = left.filter((p) => !settle(graph, p, env));
    if (next.length === left.length) break;
    left = next;
  }
  if (left.length > 0) {
    const p = left[0]!;
    const unbound = dimSymbols(p.dim).filter((s) => env[s] === undefined);
    throw new TraincError(6107, `input '${p.input}' of @${graph.name}: cannot determine ${unbound.join(", ")} from ` +
      `size ${p.size} = ${p.dim} on axis ${p.axis}`, "give an input whose shape has that dim on its own");
  }
}

/** Checks or solves one compound dim; false when it has more than one unbound name (try again later). */
function settle(graph: Graph, p: Pending, env: Record<string, number>): boolean {
  const unbound = dimSymbols(p.dim).filter((s) => env[s] === undefined);
  if (unbound.length === 1) {
    const s = unbound[0]!;
    const at = (v: number) => evalDim(p.dim, { ...env, [s]: v });
    const c = at(0);
    const slope = at(1) - c;
    if (slope === 0 || at(2) !== c + 2 * slope) return false;
    const value = (p.size - c) / slope;
    if (!Number.isInteger(value) || value < 0) {
      throw new TraincError(6105, `input '${p.input}' of @${graph.name} has size ${p.size} on axis ${p.axis}, which ` +
        `is not ${p.dim} for any size ${s}`, "check the input's shape");
    }
    env[s] = value;
  } else if (unbound.length > 1) {
    return false;
  }
  const expected = evalDim(p.dim, env);
  if (expected !== p.size) {
    throw new TraincError(6105, `input '${p.input}' of @${graph.name} has size ${p.size} on axis ${p.axis}, but ` +
      `${p.dim} = ${expected}`, "check the input's shape");
  }
  return true;
}
