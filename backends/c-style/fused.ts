// Generators for the schedule's `fused` and `reduce` kernels in any C-style Language. A fused kernel runs one thread
// per element of its domain (grid-stride) and writes each output there. A reduce kernel evaluates its prologue per
// input element and combines along the reduced axes: a thread per output when the reduced count is small; when the
// reduced axes are the outer ones (a column reduction: RMSNorm's weight gradient sums [B,T,C] over B and T), 32
// adjacent outputs per block, a warp per row so loads are coalesced, rows split over blocks; otherwise a block per
// output. Blocks that share outputs combine partial results through a zeroed workspace (atomic adds, the last block
// finishing) — sums and means only, and only in a language with float atomics (CUDA; WGSL has none, so its workgroups
// never split); max keeps one block per output. Block-level code comes from the language's BlockDialect; a language
// without one runs every reduction a thread per output.
// How a kernel runs (threads per block, vector lanes, most blocks launched; for reductions the split count) is a
// config (FusedConfig, ReduceConfig); fusedHeuristic and reduceHeuristic give the defaults, and the autotuner searches
// the rest (space.ts). Strategies follow from the shapes alone, never from the config.
// Invariants: outputs are written in their dtype after the same rounding the interpreter applies; every config a
// space offers computes the same values (up to the order of a split reduction's additions).

import { KERNEL_NAME, kernelParams, namedByCode, type KernelSource } from "../kernel.ts";
import type { Kernel } from "../schedule/partition.ts";
import { DTYPES } from "../../ir/dtype.ts";
import type { Graph, ValueId } from "../../ir/graph.ts";
import { bytesOf } from "../schedule/memory.ts";
import { Emitter } from "./emitter.ts";
import { joinIndex, numel, splitIndex, type Shape } from "./indexing.ts";
import { computeKind, type BlockDialect, type Language, type SharedDeclaration } from "./language.ts";

/** Threads per block of the heuristic configs (at most the language's maximum). */
const THREADS = 256;
/** Blocks a grid-stride kernel launches at most by default (132 SMs x 16 resident blocks of 256 threads, rounded). */
export const MAX_BLOCKS = 132 * 16;

/** A fused kernel's launch: threads per block, elements per thread and step (vector lanes), most blocks launched. */
export type FusedConfig = { readonly threads: number; readonly lanes: number; readonly blocks: number };
/** A reduce kernel's launch: threads per block and how many blocks share each output (1: no split). */
export type ReduceConfig = { readonly threads: number; readonly splits: number };

/**
 * C identifiers of a kernel's buffers (p0, p1, ... in kernelParams order): buffer names such as
 * `model.norm.weight` are not identifiers.
 */
function identifiers(graph: Graph): Map<string, string> {
  return new Map(kernelParams(graph).map((p, k) => [p.name, `p${k}`]));
}

function head(lang: Language, name: string, graph: Graph, threads: number, extra: string[] = []): string {
  const params = kernelParams(graph).map((p, k) => lang.pointer(`p${k}`, p.dtype, p.access !== "read", k));
  return lang.kernelHead(name, [...params, ...extra], threads);
}

function traffic(graph: Graph): number {
  return [...graph.inputs, ...graph.outputs].reduce((n, v) => {
    const t = graph.types[v.id]!;
    return n + bytesOf(t.dtype, numel(t.shape as Shape));
  }, 0);
}

/** Bytes one vector access moves at most. */
const VECTOR_BYTES = 16;

/**
 * Inputs a fused kernel reads at its own linear index (same element count, not only through a view op), which the
 * vector path loads whole; the lanes per vector (every such input and output fits VECTOR_BYTES); 1 means scalar.
 */
function vectorPlan(graph: Graph, n: number, lang: Language): { lanes: number; direct: ValueId[] } {
  const views = new Set(["broadcast", "transpose", "slice"]);
  const inputs = new Set(graph.inputs.map((i) => i.id));
  const direct = [...new Set(graph.nodes.filter((node) => !views.has(node.op)).flatMap((node) => node.args)
    .filter((a) => inputs.has(a) && numel(graph.types[a]!.shape as Shape) === n))];
  const widest = Math.max(...[...direct, ...graph.outputs.map((o) => o.id)].map((v) => DTYPES[graph.types[v]!.dtype].bits / 8));
  const lanes = Math.min(8, Math.floor(VECTOR_BYTES / widest));
  const usable = lang.vectorType !== undefined && Number.isInteger(widest) && lanes > 1 && n % lanes === 0;
  return usable ? { lanes, direct } : { lanes: 1, direct: [] };
}

/** The grid-stride loop of a fused kernel over `n` elements, `plan.lanes` at a time (see vectorPlan), in blocks of `threads`. */
function fusedLoop(graph: Graph, lang: Language, n: number, plan: { lanes: number; direct: ValueId[] }, threads: number): string[] {
  const ids = identifiers(graph);
  const typeOf = (v: ValueId) => graph.types[v]!.dtype;
  if (plan.lanes === 1) {
    const e = new Emitter(graph, lang, "    ", ids);
    const stores = graph.outputs.map((o) => `    ${ids.get(o.name)}[i] = ${lang.store(e.at(o.id, "i"), typeOf(o.id))};`);
    return [`  ${lang.gridLoop("i", n, 1, threads)}`, ...e.lines, ...stores, "  }"];
  }
  const vec = (v: ValueId) => lang.vectorType!(typeOf(v), plan.lanes);
  const pointer = (v: ValueId) => ids.get(graph.inputs.find((i) => i.id === v)?.name ?? graph.outputs.find((o) => o.id === v)!.name)!;
  const registers = new Map(plan.direct.map((v, k) => [v, `x${k}`]));
  const lanes = new Map(Array.from({ length: plan.lanes }, (_, j) => [`i${j}`, j]));
  const e = new Emitter(graph, lang, "    ", ids, "v", registers, lanes);
  const loads = plan.direct.map((v, k) => `    const ${vec(v)} x${k} = *reinterpret_cast<const ${vec(v)}*>(${pointer(v)} + base);`);
  const outputs = graph.outputs.map((o, k) => `    ${vec(o.id)} y${k};`);
  for (const [name, j] of lanes) {
    graph.outputs.forEach((o, k) => e.lines.push(`    y${k}.v[${j}] = ${lang.store(e.at(o.id, name), typeOf(o.id))};`));
  }
  const used = (name: string) => e.lines.some((line) => new RegExp(`\\b${name}\\b`).test(line));
  const indices = [...lanes].filter(([name]) => used(name)).map(([name, j]) => `    const long long ${name} = base + ${j};`);
  const stores = graph.outputs.map((o, k) => `    *reinterpret_cast<${vec(o.id)}*>(${pointer(o.id)} + base) = y${k};`);
  return [`  ${lang.gridLoop("base", n, plan.lanes, threads)}`,
    ...indices, ...loads, ...outputs, ...e.lines, ...stores, "  }"];
}

/** What bounds a fused kernel's configs: its element count, the most vector lanes it can use, its FLOPs and bytes. */
export function fusedLimits(kernel: Kernel, lang: Language): { n: number; lanes: number; flops: number; bytes: number } {
  const { graph } = kernel;
  const n = numel(graph.types[graph.outputs[0]!.id]!.shape as Shape);
  return { n, lanes: vectorPlan(graph, n, lang).lanes, flops: n * graph.nodes.length, bytes: traffic(graph) };
}

/** Blocks a fused kernel needs to give every thread one step of `lanes` elements. */
export function fusedBlocksNeeded(n: number, config: Omit<FusedConfig, "blocks">): number {
  return Math.max(1, Math.ceil(n / config.lanes / config.threads));
}

/**
 * The caps on a fused kernel's blocks a config may set (2 to 64 blocks per SM of 132): a kernel needing fewer blocks
 * than a cap launches what it needs, so of the caps above its need only the smallest is a distinct config.
 */
export const BLOCK_CAPS = [264, 528, 1056, 2112, 4224, 8448];

/** The default launch of a fused kernel: 256 threads, the widest vectors, at most MAX_BLOCKS blocks. */
export function fusedHeuristic(kernel: Kernel, lang: Language): FusedConfig {
  const { n, lanes } = fusedLimits(kernel, lang);
  const threads = Math.min(THREADS, lang.maxThreads);
  const needed = fusedBlocksNeeded(n, { threads, lanes });
  return { threads, lanes, blocks: needed > MAX_BLOCKS ? MAX_BLOCKS : BLOCK_CAPS.find((b) => b >= needed)! };
}

/**
 * A `fused` kernel: one thread per element of the outputs' shape, or per vector of `config.lanes` (2-8) elements
 * where the language has vector accesses and the element count divides (buffers read at the kernel's own index then
 * move up to 16 bytes at once).
 */
export function renderFused(kernel: Kernel, lang: Language, config: FusedConfig = fusedHeuristic(kernel, lang)): KernelSource {
  const { graph } = kernel;
  const { n, lanes, flops, bytes } = fusedLimits(kernel, lang);
  if (config.lanes > lanes || n % config.lanes !== 0) throw new Error(`${kernel.name}: ${config.lanes} lanes do not fit ${n} elements`);
  const plan = config.lanes === 1 ? { lanes: 1, direct: [] } : { ...vectorPlan(graph, n, lang), lanes: config.lanes };
  const code = [`${head(lang, KERNEL_NAME, graph, config.threads)} {`, ...fusedLoop(graph, lang, n, plan, config.threads), "}"].join("\n");
  return namedByCode(kernel.kind, {
    code, params: kernelParams(graph),
    grid: [Math.min(config.blocks, fusedBlocksNeeded(n, config)), 1, 1], block: [config.threads, 1, 1], sharedBytes: 0,
    flops, bytes,
  });
}

interface ReduceShape {
  readonly op: "reduce_sum" | "reduce_max" | "reduce_mean";
  readonly input: Shape;
  readonly outputs: number;
  readonly count: number;
  /** The reduced axes are exactly the outer ones (a column reduction): input index = r * outputs + o. */
  readonly column: boolean;
  /** C expression of the input's linear index for output index `o` and reduced index `r`. */
  readonly index: (o: string, r: string) => string;
}

function reduceShape(graph: Graph): ReduceShape {
  const node = graph.nodes.at(-1)!;
  const input = graph.types[node.args[0]!]!.shape as Shape;
  const axes = (node.attrs["axes"] as number[]).map((a) => (a + input.length) % input.length);
  const kept = input.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptShape = kept.map((d) => input[d]!);
  const reducedShape = axes.map((d) => input[d]!);
  const outputs = numel(keptShape);
  const column = axes.length < input.length && [...axes].sort((a, b) => a - b).every((a, i) => a === i);
  return {
    op: node.op as ReduceShape["op"], input, outputs, count: numel(reducedShape), column,
    index: column ? (o, r) => `${r} * ${outputs} + ${o}` : (o, r) => {
      const idx: string[] = [];
      splitIndex(o, keptShape).forEach((x, k) => (idx[kept[k]!] = x));
      splitIndex(r, reducedShape).forEach((x, k) => (idx[axes[k]!] = x));
      return joinIndex(idx, input);
    },
  };
}

/** What every reduce strategy shares: the combine, finish and store expressions and the prologue's body. */
interface ReduceParts {
  readonly shape: ReduceShape;
  readonly acc: string;
  readonly accKind: ReturnType<typeof computeKind>;
  readonly init: string;
  readonly max: boolean;
  readonly combine: (a: string, b: string) => string;
  readonly store: (a: string) => string;
  /** Lines accumulating input element (o, r) into `a`. */
  readonly body: (o: string, r: string, indent: string) => string[];
  readonly base: Omit<KernelSource, "name" | "code" | "grid" | "block">;
}

function reduceParts(graph: Graph, lang: Language): ReduceParts {
  const node = graph.nodes.at(-1)!;
  const out = graph.outputs[0]!;
  const shape = reduceShape(graph);
  const accKind = computeKind(graph.types[node.args[0]!]!.dtype);
  const max = shape.op === "reduce_max";
  const init = max ? lang.literal(accKind === "int64" || accKind === "int32" ? -(2 ** 31) : -Infinity, accKind) : lang.literal(0, accKind);
  const combine = (a: string, b: string) => lang.expr(max ? "maximum" : "add", [a, b], accKind);
  const finish = (a: string) => (shape.op === "reduce_mean" ? `(${a} / ${lang.literal(shape.count, accKind)})` : a);
  const ids = identifiers(graph);
  const body = (o: string, r: string, indent: string) => {
    const e = new Emitter(graph, lang, indent, ids);
    const value = e.at(node.args[0]!, shape.index(o, r));
    return [...e.lines, `${indent}a = ${combine("a", value)};`];
  };
  const store = (a: string) => `${ids.get(out.name)}[o] = ${lang.store(finish(a), graph.types[out.id]!.dtype)};`;
  const base = { params: kernelParams(graph), sharedBytes: 0, flops: shape.outputs * shape.count, bytes: traffic(graph) };
  return { shape, acc: lang.computeType(accKind), accKind, init, max, combine, store, body, base };
}

/** Bytes of the split strategies' workspace: a partial sum and an arrival count per output. */
function splitWorkspace(p: ReduceParts): number {
  return p.shape.outputs * (p.accKind === "float" || p.accKind === "int32" ? 4 : 8) + p.shape.outputs * 4;
}

/** Lines that add `a` into output o's partial sum; the last of `splits` arrivals stores the total. */
function combineSplits(p: ReduceParts, splits: number, indent: string): string[] {
  return [`${indent}${p.acc}* sums = static_cast<${p.acc}*>(workspace);`,
    `${indent}unsigned int* done = reinterpret_cast<unsigned int*>(sums + ${p.shape.outputs});`,
    `${indent}trainc_atomic_add(&sums[o], a);`,
    `${indent}__threadfence();`,
    `${indent}if (atomicAdd(&done[o], 1u) == ${splits - 1}u) { const ${p.acc} total = trainc_atomic_add(&sums[o], (${p.acc})0); ${p.store("total")} }`];
}

/** A kernel's shared declarations: module-scope text (before the kernel) and kernel-scope lines (its first lines). */
function placeShared(decls: readonly SharedDeclaration[]): { readonly module: string[]; readonly kernel: string[] } {
  return { module: decls.filter((d) => d.moduleScope).map((d) => d.text),
    kernel: decls.filter((d) => !d.moduleScope).map((d) => `  ${d.text}`) };
}

/** An integer literal of the 64-bit index kind. */
function index(lang: Language, n: number): string {
  return lang.literal(n, "int64");
}

/** How a reduce kernel's outputs are computed (see the file header): its strategy, jobs and reduced count. */
export interface ReducePlan {
  readonly strategy: "thread" | "column" | "row";
  /** Jobs its blocks walk: outputs (thread, row) or tiles of 32 outputs (column). */
  readonly jobs: number;
  /** Reduced elements per output. */
  readonly count: number;
  /** Whether blocks may share a job (sums and means where the language has float atomics). */
  readonly splittable: boolean;
  readonly flops: number;
  readonly bytes: number;
}

export function reducePlan(kernel: Kernel, lang: Language): ReducePlan {
  return planOf(reduceParts(kernel.graph, lang), lang);
}

function planOf(p: ReduceParts, lang: Language): ReducePlan {
  const { shape } = p;
  const strategy = shape.count <= 64 || lang.blocks === undefined ? "thread" : shape.column && shape.outputs > 1 ? "column" : "row";
  return {
    strategy, jobs: strategy === "column" ? Math.ceil(shape.outputs / 32) : shape.outputs, count: shape.count,
    splittable: strategy !== "thread" && !p.max && lang.blocks!.atomics, flops: p.base.flops, bytes: p.base.bytes,
  };
}

/** Rows of its job one pass of a block covers: a warp per row (column), a thread per element (row). */
export function rowsPerPass(plan: ReducePlan, threads: number): number {
  return plan.strategy === "column" ? threads / 32 : threads;
}

/**
 * The default launch of a reduce kernel: 256 threads; as many blocks per job as fill the GPU, each making at least 64
 * passes (1 where jobs cannot be split).
 */
export function reduceHeuristic(kernel: Kernel, lang: Language): ReduceConfig {
  const plan = reducePlan(kernel, lang);
  const threads = Math.min(THREADS, lang.maxThreads);
  const splits = plan.splittable
    ? Math.max(1, Math.min(Math.floor(MAX_BLOCKS / plan.jobs), Math.ceil(plan.count / (rowsPerPass(plan, threads) * 64)))) : 1;
  return { threads, splits };
}

/** The kernel head of a reduce strategy: a workspace parameter when its jobs are split. */
function reduceHead(lang: Language, kernel: Kernel, config: ReduceConfig): string {
  return `${head(lang, KERNEL_NAME, kernel.graph, config.threads, config.splits > 1 ? ["void* workspace"] : [])} {`;
}

/** The KernelSource of a reduce strategy whose `jobs` jobs are each split over `config.splits` blocks. */
function reduceSource(kernel: Kernel, p: ReduceParts, lines: readonly string[], jobs: number, config: ReduceConfig): KernelSource {
  return namedByCode(kernel.kind, {
    ...p.base, code: lines.join("\n"), grid: [Math.max(1, Math.min(MAX_BLOCKS, jobs * config.splits)), 1, 1],
    block: [config.threads, 1, 1], ...(config.splits > 1 ? { workspaceBytes: splitWorkspace(p) } : {}),
  });
}

/** Declarations of job `job`'s reduced range [begin, end) when each output's `count` rows are cut into `splits`. */
function jobRange(lang: Language, splits: number, count: number, indent: string): string[] {
  const int = (n: number) => index(lang, n);
  const chunk = Math.ceil(count / splits);
  return [`${indent}${lang.declare("int64", "begin", splits === 1 ? int(0) : `(job % ${int(splits)}) * ${int(chunk)}`)}`,
    `${indent}${lang.declare("int64", "end",
      splits === 1 ? int(count) : lang.expr("minimum", [`begin + ${int(chunk)}`, int(count)], "int64"))}`];
}

/** Column reduction: 32 adjacent outputs per job, the block's warps on alternate rows of one row chunk. */
function renderColumnReduce(kernel: Kernel, lang: Language, blocks: BlockDialect, p: ReduceParts, config: ReduceConfig): KernelSource {
  const { shape } = p;
  const { splits } = config;
  const int = (n: number) => index(lang, n);
  const warps = config.threads / 32;
  const tiles = Math.ceil(shape.outputs / 32);
  const shared = placeShared([blocks.shared(p.accKind, "partial", [warps, 33])]);
  const lines = [...shared.module, reduceHead(lang, kernel, config), ...shared.kernel,
    `  ${lang.declare("int32", "lane", `${blocks.thread} % 32`)}`,
    `  ${lang.declare("int32", "row", `${blocks.thread} / 32`)}`,
    `  ${lang.rangeLoop("job", blocks.block, int(tiles * splits), blocks.count)}`,
    `    ${lang.declare("int64", "o", `${splits === 1 ? "job" : `(job / ${int(splits)})`} * 32 + lane`)}`,
    ...jobRange(lang, splits, shape.count, "    "),
    `    ${lang.declareVar(p.accKind, "a", p.init)}`,
    `    if (o < ${int(shape.outputs)}) {`,
    `      ${lang.rangeLoop("r", "begin + row", "end", int(warps))}`, ...p.body("o", "r", "        "), "      }",
    "    }",
    "    partial[row][lane] = a;",
    `    ${blocks.barrier}`,
    `    if (row == 0 && o < ${int(shape.outputs)}) {`,
    `      ${lang.rangeLoop("k", int(1), int(warps), int(1))}`, `        a = ${p.combine("a", "partial[k][lane]")};`, "      }",
    ...(splits === 1 ? [`      ${p.store("a")}`] : combineSplits(p, splits, "      ")),
    "    }",
    `    ${blocks.barrier}`,
    "  }", "}"];
  return reduceSource(kernel, p, lines, tiles, config);
}

/** Row reduction: a block per output (or per row chunk of one), its threads striding the row, then a block reduce. */
function renderRowReduce(kernel: Kernel, lang: Language, blocks: BlockDialect, p: ReduceParts, config: ReduceConfig): KernelSource {
  const { shape } = p;
  const { splits, threads } = config;
  const int = (n: number) => index(lang, n);
  const reduce = blocks.reduce(p.max ? "max" : "sum", p.accKind, "a", threads);
  const shared = placeShared(reduce.shared);
  const lines = [...shared.module, ...(reduce.helpers ? [reduce.helpers] : []), reduceHead(lang, kernel, config),
    ...shared.kernel,
    `  ${lang.rangeLoop("job", blocks.block, int(shape.outputs * splits), blocks.count)}`,
    `    ${lang.declare("int64", "o", splits === 1 ? "job" : `job / ${int(splits)}`)}`,
    ...jobRange(lang, splits, shape.count, "    "),
    `    ${lang.declareVar(p.accKind, "a", p.init)}`,
    `    ${lang.rangeLoop("r", `begin + ${blocks.thread}`, "end", int(threads))}`, ...p.body("o", "r", "      "), "    }",
    `    a = ${reduce.expr};`,
    `    if (${blocks.thread} == 0) {`,
    ...(splits === 1 ? [`      ${p.store("a")}`] : combineSplits(p, splits, "      ")),
    "    }",
    "  }", "}"];
  return reduceSource(kernel, p, lines, shape.outputs, config);
}

/** A `reduce` kernel (see the file header for its strategies) launched as `config` says. */
export function renderReduce(kernel: Kernel, lang: Language, config: ReduceConfig = reduceHeuristic(kernel, lang)): KernelSource {
  const p = reduceParts(kernel.graph, lang);
  const plan = planOf(p, lang);
  if (config.splits > 1 && !plan.splittable) throw new Error(`${kernel.name}: a ${plan.strategy} reduction cannot be split`);
  const { shape } = p;
  if (plan.strategy === "thread") {
    const code = [`${head(lang, KERNEL_NAME, kernel.graph, config.threads)} {`,
      `  ${lang.gridLoop("o", shape.outputs, 1, config.threads)}`,
      `    ${lang.declareVar(p.accKind, "a", p.init)}`, `    ${lang.loop("r", shape.count)}`, ...p.body("o", "r", "      "), "    }",
      `    ${p.store("a")}`, "  }", "}"].join("\n");
    return namedByCode(kernel.kind, {
      ...p.base, code, grid: [Math.max(1, Math.min(MAX_BLOCKS, Math.ceil(shape.outputs / config.threads))), 1, 1],
      block: [config.threads, 1, 1],
    });
  }
  return plan.strategy === "column" ? renderColumnReduce(kernel, lang, lang.blocks!, p, config)
    : renderRowReduce(kernel, lang, lang.blocks!, p, config);
}
