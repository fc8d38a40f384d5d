// Writes a WebGPU program (backends/wgsl/program.ts) as a self-contained bundle folder: program.js, an ES module built
// with ts-morph that exports the kernels (WGSL text and workgroup counts), the arena sizes, each graph's tensor tables
// and one function per graph whose body is that graph's straight-line sequence of launches and copies; and the
// runtime it imports (RUNTIME below: the session, the trainer, the training loop, the run-file readers), each
// TypeScript source with its types erased, and index.html, the page that trains in a browser tab (page.js). The same
// files run in Node (through the webgpu package) and in a browser.
// Invariants: a kernel is listed once however many launches use it (names come from the code's hash); ranges are
// [arena, offset, bytes] with arena 0 = state, 1 = activations; no launch or copy binds a range longer than the
// program's partBytes (a parameter binding part of a tensor gets that part's range; a longer copy is made in pieces);
// program.js exports what ProgramDescription names; bundle files import only each other (a relative import of anything
// else fails the build).

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Project, ts, VariableDeclarationKind, type SourceFile } from "ts-morph";
import type { Graph } from "../../ir/graph.ts";
import type { KernelParam, KernelSource } from "../kernel.ts";
import type { GraphPlan, Placement } from "../schedule/memory.ts";
import { preludeFor } from "./language.ts";
import type { WgslProgram } from "./program.ts";
import type { Range, TensorSlot } from "./runtime/session.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** The runtime files of a bundle and the sources they are made from. */
export const RUNTIME: Readonly<Record<string, string>> = {
  "session.js": "backends/wgsl/runtime/session.ts",
  "trainer.js": "backends/wgsl/runtime/trainer.ts",
  "files.js": "backends/wgsl/runtime/files.ts",
  "loop.js": "compiler/train/loop.ts",
  "page.js": "backends/wgsl/runtime/page.ts",
  "half.js": "ir/half.ts",
};

function range(p: Placement): Range {
  return [p.arena === "state" ? 0 : 1, p.offset, p.bytes];
}

/** The range a kernel parameter binds: its buffer's, or the part of it the parameter names. */
function paramRange(plan: GraphPlan, param: KernelParam): Range {
  const [arena, offset, bytes] = range(placementOf(plan, param.name));
  if (!param.part) return [arena, offset, bytes];
  const start = param.part.index * param.part.bytes;
  return [arena, offset + start, Math.min(param.part.bytes, bytes - start)];
}

/** The copies moving `from` onto `to`, in pieces of at most `most` bytes (a copy binds both ranges). */
function copyPieces(from: Range, to: Range, most: number): [Range, Range][] {
  const pieces: [Range, Range][] = [];
  for (let at = 0; at < to[2]; at += most) {
    const bytes = Math.min(most, to[2] - at);
    pieces.push([[from[0], from[1] + at, bytes], [to[0], to[1] + at, bytes]]);
  }
  return pieces;
}

function placementOf(plan: GraphPlan, name: string): Placement {
  const placed = plan.placement.get(name);
  if (!placed) throw new Error(`${plan.graph}: buffer ${name} has no placement`);
  return placed;
}

function storedDtype(dtype: string): TensorSlot["dtype"] {
  return dtype === "f32" || dtype === "f16" ? dtype : dtype === "bool" ? "u32" : "i32";
}

/** The tensor tables of one graph: its inputs and outputs, where they live and how they are stored. */
function tensors(source: Graph, plan: GraphPlan, outputs: ReadonlyMap<string, string>): { inputs: TensorSlot[]; outputs: TensorSlot[] } {
  const slot = (name: string, id: number, buffer: string): TensorSlot => {
    const t = source.types[id]!;
    return { name, dtype: storedDtype(t.dtype), shape: t.shape as number[], range: range(placementOf(plan, buffer)) };
  };
  return {
    inputs: source.inputs.map((i) => slot(i.name, i.id, i.name)),
    outputs: source.outputs.map((o) => slot(o.name, o.id, outputs.get(o.name)!)),
  };
}

function addConst(file: SourceFile, name: string, value: unknown, doc: string): void {
  file.addVariableStatement({
    isExported: true, declarationKind: VariableDeclarationKind.Const, docs: [doc],
    declarations: [{ name, initializer: JSON.stringify(value, null, 1) }],
  });
}

/** program.js: the module text. */
export function programModule(program: WgslProgram, title: string): string {
  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile("program.js");
  const kernels: KernelSource[] = [];
  const index = new Map<string, number>();
  const kernelIndex = (s: KernelSource): number => {
    if (!index.has(s.name)) {
      index.set(s.name, kernels.length);
      kernels.push(s);
    }
    return index.get(s.name)!;
  };
  const bodies = program.graphs.map((g) => {
    const lines = g.kernels.flatMap((k) => k.sources.map((s) =>
      `record.launch(${kernelIndex(s)}, ${JSON.stringify(s.params.map((p) => paramRange(g.plan, p)))}); // ${k.kernel.name}`));
    const copies = g.plan.copies.flatMap((c) =>
      copyPieces(range(placementOf(g.plan, c.from)), range(placementOf(g.plan, c.to)), program.partBytes)
        .map(([from, to]) => `record.copy(${JSON.stringify(from)}, ${JSON.stringify(to)}); // ${c.to}`));
    return { name: g.name, statements: [...lines, ...copies] };
  });
  file.addImportDeclaration({ moduleSpecifier: "./session.js", namedImports: ["WgslSession"] });
  file.insertStatements(0, `// ${title}\n// Generated by trainc (backends/wgsl/host.ts). Ranges are [arena, offset, bytes]; arena 0 holds the state ` +
    `(parameters, optimizer state, the batch, results), arena 1 the activations.`);
  addConst(file, "PRELUDE", preludeFor(program.features), "Directives and helpers every kernel's code uses, compiled before it.");
  addConst(file, "FEATURES", program.features, "WebGPU features the kernels use.");
  addConst(file, "KERNELS", kernels.map((s) => ({ name: s.name, code: s.code, workgroups: s.grid, bindings: s.params.length })),
    "Every kernel once: its WGSL, workgroups and storage buffers.");
  addConst(file, "ARENAS", [program.memory.stateBytes, program.memory.activationBytes], "Bytes of the state and activation arenas.");
  addConst(file, "BUFFER_BYTES", program.memory.bufferBytes!, "Bytes of each buffer holding an arena (the last shorter); no range crosses two.");
  addConst(file, "TENSORS", Object.fromEntries(program.graphs.map((g) => [g.name, tensors(g.partition.source, g.plan, g.partition.outputs)])),
    "Each graph's inputs and outputs: name, stored dtype, shape, range.");
  for (const body of bodies) {
    file.addFunction({
      isExported: true, name: body.name, parameters: [{ name: "record" }],
      docs: [`${body.name}: ${body.statements.length} launches, in order.`], statements: body.statements,
    });
  }
  file.addVariableStatement({
    isExported: true, declarationKind: VariableDeclarationKind.Const, docs: ["The graphs by name."],
    declarations: [{ name: "GRAPHS", initializer: `{ ${bodies.map((b) => b.name).join(", ")} }` }],
  });
  file.addFunction({
    isExported: true, isAsync: true, name: "open", parameters: [{ name: "device" }],
    docs: ["Compiles every kernel on `device` and records every graph: a WgslSession ready to run steps."],
    statements: "return WgslSession.create(device, { PRELUDE, FEATURES, KERNELS, ARENAS, BUFFER_BYTES, TENSORS, GRAPHS });",
  });
  return file.getFullText();
}

/** The JavaScript of one runtime file: its source with types erased and relative imports pointing into the bundle. */
export function runtimeModule(name: string): string {
  const source = RUNTIME[name];
  if (source === undefined) throw new Error(`${name} is not a runtime file of the bundle`);
  const js = ts.transpileModule(readFileSync(join(ROOT, source), "utf8"), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, rewriteRelativeImportExtensions: true },
  }).outputText;
  return js.replace(/(from\s+|import\s*\()"(\.{1,2}\/[^"]+)"/g, (_, head: string, path: string) => {
    const file = path.slice(path.lastIndexOf("/") + 1);
    if (!(file in RUNTIME)) throw new Error(`${source} imports ${path}, which the bundle does not hold`);
    return `${head}"./${file}"`;
  });
}

/** Writes program.js and the runtime into `dir` (with a package.json saying they are ES modules, for Node); returns program.js's path. */
export function writeBundle(dir: string, program: WgslProgram, title: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
  for (const name of Object.keys(RUNTIME)) writeFileSync(join(dir, name), runtimeModule(name));
  copyFileSync(join(import.meta.dirname, "runtime", "index.html"), join(dir, "index.html"));
  const file = join(dir, "program.js");
  writeFileSync(file, programModule(program, title));
  return file;
}
