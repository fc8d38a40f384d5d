// Measuring candidates on a WebGPU device (Dawn in Node). Per kernel, random inputs (ir/random-inputs.ts; positive
// ones where the signed ones give the interpreter an error or outputs that are not finite: a square root, a logarithm,
// an AdamW step; document ranges one document per row) and the interpreter's outputs on them are computed once (the interpreter is the reference); each
// candidate's sources then (after the space's setup sources, once: the forward pass whose output and lse attention's
// backward reads; side buffers are allocated zeroed)
// run on the inputs with their outputs first filled with NaN, and pass when every output is finite and within
// TOLERANCE of the reference (relative to its norm). A passing candidate is timed: WARMUP runs, then REPEATS runs,
// each after a clear of a buffer larger than the device's caches, each timed by timestamp queries around its compute
// pass where the adapter offers them (else by the wall clock around a submission); the median is kept. The roofline
// (Ceilings) comes from two kernels of its own: a copy (bandwidth) and chains of fused multiply-adds (arithmetic).
// Invariants: a candidate that WebGPU rejects or that computes a wrong value yields an error, never a time; buffers
// bind in KernelParam order; inputs are written once per kernel, so every candidate of it reads the same values.

import { TraincError } from "../compiler/diagnostics.ts";
import type { Ceilings, SearchSpace } from "../backends/tunable.ts";
import type { KernelSource } from "../backends/kernel.ts";
import type { Kernel } from "../backends/schedule/partition.ts";
import { bindAccessors, partBytesFor } from "../backends/wgsl/accessors.ts";
import { openDevice, type WgslDevice } from "../backends/wgsl/device.ts";
import { isWgslFeature, preludeFor } from "../backends/wgsl/language.ts";
import { wgslStoredBits, type WgslLimits } from "../backends/wgsl/program.ts";
import { floatToHalf, halfToFloat } from "../ir/half.ts";
import { interpret } from "../ir/interpret/index.ts";
import { randomInputs } from "../ir/random-inputs.ts";
import { fromArray, numel, type Tensor } from "../ir/tensor.ts";
import type { Outcome } from "./search.ts";

const WARMUP = 2;
const REPEATS = 10;
/** Largest relative error (norm of the difference over norm of the reference) by output dtype. */
const TOLERANCE: Readonly<Record<string, number>> = { f32: 1e-4, f16: 4e-3 };
/** Bytes cleared before each timed run: more than a GPU's L2, or a CPU's last-level cache under lavapipe. */
const FLUSH_BYTES = { gpu: 256 * 2 ** 20, cpu: 32 * 2 ** 20 };

const USAGE = { storage: 0x80 | 0x8 | 0x4, read: 0x1 | 0x8, query: 0x200 | 0x4 };

/** One kernel made ready to measure: its buffers on the device and the reference outputs. */
export interface Prepared {
  readonly kernel: Kernel;
  readonly buffers: ReadonlyMap<string, GPUBuffer>;
  readonly want: Readonly<Record<string, Tensor>>;
  /** Sources run once before the first candidate (SearchSpace.setup). */
  readonly setup: readonly KernelSource[];
}

function storedBytes(t: Tensor): Uint8Array {
  if (t.dtype === "f16") return new Uint8Array(Uint16Array.from(t.data, floatToHalf).buffer);
  const data = t.dtype === "bool" ? Uint32Array.from(t.data) : t.dtype === "f32" ? Float32Array.from(t.data) : Int32Array.from(t.data);
  return new Uint8Array(data.buffer);
}

function values(bytes: ArrayBuffer, dtype: string): ArrayLike<number> {
  if (dtype === "f16") return Array.from(new Uint16Array(bytes), halfToFloat);
  return dtype === "f32" ? new Float32Array(bytes) : dtype === "i32" ? new Int32Array(bytes) : new Uint32Array(bytes);
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
}

/** One launch of a candidate, ready to encode. */
interface Step {
  readonly pipeline: GPUComputePipeline;
  readonly group: GPUBindGroup;
  readonly grid: readonly number[];
}

const padded = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const finite = (outputs: Readonly<Record<string, Tensor>>) => Object.values(outputs).every((t) => t.data.every(Number.isFinite));

/** `inputs` with the space's document ranges (if any) one document per row: [0, T) at every position. */
function withDocuments(inputs: Record<string, Tensor>, space: SearchSpace | undefined): Record<string, Tensor> {
  const ranges = space?.documentRanges;
  if (!ranges) return inputs;
  const t = inputs[ranges.name]!;
  return { ...inputs, [ranges.name]: fromArray(t.dtype, [...t.shape], Array.from(t.data, (_, i) => (i % 2 === 0 ? 0 : ranges.tokens))) };
}

/**
 * Random inputs of `kernel` and the interpreter's outputs on them: signed inputs, or positive ones (see the header);
 * document ranges one document per row.
 */
function reference(kernel: Kernel, space: SearchSpace | undefined): { inputs: Record<string, Tensor>; want: Record<string, Tensor> } {
  const signed = withDocuments(randomInputs(kernel.graph, 1), space);
  try {
    const want = interpret(kernel.graph, signed);
    if (finite(want)) return { inputs: signed, want };
  } catch (e) {
    if (!(e instanceof TraincError)) throw e;
  }
  const inputs = withDocuments(randomInputs(kernel.graph, 1, {}, "positive"), space);
  return { inputs, want: interpret(kernel.graph, inputs) };
}

export class WgslMeasurer {
  readonly #gpu: WgslDevice;
  readonly #flush: GPUBuffer;
  readonly #timestamps: boolean;
  /** Prepared kernels whose setup sources have run (their side buffers hold what the candidates read). */
  readonly #setUp = new WeakSet<Prepared>();
  /** What the tuning DB keys this device by. */
  readonly device: string;
  readonly toolchain: string;

  private constructor(gpu: WgslDevice) {
    this.#gpu = gpu;
    this.#timestamps = gpu.device.features.has("timestamp-query");
    this.#flush = gpu.device.createBuffer({ size: gpu.fallback ? FLUSH_BYTES.cpu : FLUSH_BYTES.gpu, usage: USAGE.storage });
    this.device = gpu.key;
    this.toolchain = gpu.toolchain;
  }

  /** Opens the first adapter's device (E5701 when there is none). */
  static async open(): Promise<WgslMeasurer> {
    return new WgslMeasurer(await openDevice(["timestamp-query"]));
  }

  /** The device's limits (the program the kernels come from is planned within them). */
  get limits(): WgslLimits {
    return this.#gpu.limits;
  }

  /** How runs are timed, for the progress output. */
  get timing(): string {
    return this.#timestamps ? "timestamp queries" : "the wall clock (the adapter has no timestamp-query)";
  }

  close(): void {
    this.#flush.destroy();
    this.#gpu.close();
  }

  /**
   * Writes `kernel`'s random inputs to the device, computes the reference outputs, and allocates the side buffers of
   * `space` (of the sizes it gives, zeroed).
   */
  prepare(kernel: Kernel, space?: SearchSpace): Prepared {
    const { inputs, want } = reference(kernel, space);
    const { device } = this.#gpu;
    const buffers = new Map<string, GPUBuffer>();
    const typeOf = (name: string) => {
      const v = [...kernel.graph.inputs, ...kernel.graph.outputs].find((x) => x.name === name)!;
      return kernel.graph.types[v.id]!;
    };
    for (const [name, t] of Object.entries(inputs)) {
      const bytes = storedBytes(t);
      const buffer = device.createBuffer({ size: padded(bytes.byteLength), usage: USAGE.storage });
      const words = new Uint8Array(padded(bytes.byteLength));
      words.set(bytes);
      device.queue.writeBuffer(buffer, 0, words);
      buffers.set(name, buffer);
    }
    for (const o of kernel.graph.outputs) {
      const t = typeOf(o.name);
      const bytes = numel(t.shape as number[]) * wgslStoredBits(t.dtype) / 8;
      buffers.set(o.name, device.createBuffer({ size: padded(bytes), usage: USAGE.storage }));
    }
    for (const side of space?.sideBuffers ?? []) buffers.set(side.name, device.createBuffer({ size: padded(4 * side.count), usage: USAGE.storage }));
    return { kernel, buffers, want, setup: space?.setup ?? [] };
  }

  release(prepared: Prepared): void {
    for (const b of prepared.buffers.values()) b.destroy();
  }

  /** Checks `sources` (one candidate's launches) against the reference, then times them. */
  async measure(prepared: Prepared, sources: readonly KernelSource[]): Promise<Outcome> {
    try {
      const steps = await this.#pipelines(prepared, sources);
      if (prepared.setup.length > 0 && !this.#setUp.has(prepared)) {
        await this.#run(await this.#pipelines(prepared, prepared.setup));
        this.#setUp.add(prepared);
      }
      const error = await this.#check(prepared, steps);
      if (error) return { error };
      const ms = median(await this.#samples(steps));
      return ms > 0 ? { ms } : { error: `the timer reported ${ms} ms` };
    } catch (e) {
      if (e instanceof TraincError) return { error: e.message };
      throw e;
    }
  }

  async #pipelines(prepared: Prepared, sources: readonly KernelSource[]): Promise<Step[]> {
    const { device } = this.#gpu;
    const features = [...device.features].filter(isWgslFeature);
    const partBytes = partBytesFor(device.limits.maxStorageBufferBindingSize);
    device.pushErrorScope("validation");
    const steps = sources.map((raw) => {
      const source = bindAccessors(raw, () => 1, partBytes);
      const module = device.createShaderModule({ code: `${preludeFor(features)}\n\n${source.code}` });
      const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: source.name } });
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: source.params.map((p, binding) => ({ binding, resource: { buffer: prepared.buffers.get(p.name)! } })),
      });
      return { pipeline, group, grid: source.grid };
    });
    const error = await device.popErrorScope();
    if (error) throw new TraincError(5702, `rejected by WebGPU: ${error.message.split("\n")[0]}`);
    return steps;
  }

  #dispatch(pass: GPUComputePassEncoder, steps: readonly Step[]): void {
    for (const s of steps) {
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.group);
      pass.dispatchWorkgroups(s.grid[0]!, s.grid[1]!, s.grid[2]!);
    }
  }

  /** Runs `steps` once and waits for them. */
  async #run(steps: readonly Step[]): Promise<void> {
    const encoder = this.#gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    this.#dispatch(pass, steps);
    pass.end();
    this.#gpu.device.queue.submit([encoder.finish()]);
    await this.#gpu.device.queue.onSubmittedWorkDone();
  }

  /** Runs the candidate once on outputs filled with NaN; the first output off the reference, if any. */
  async #check(prepared: Prepared, steps: readonly Step[]): Promise<string | undefined> {
    const { device } = this.#gpu;
    const { kernel } = prepared;
    for (const o of kernel.graph.outputs) {
      const buffer = prepared.buffers.get(o.name)!;
      device.queue.writeBuffer(buffer, 0, new Uint8Array(buffer.size).fill(0xff));
    }
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    this.#dispatch(pass, steps);
    pass.end();
    const reads = kernel.graph.outputs.map((o) => {
      const from = prepared.buffers.get(o.name)!;
      const read = device.createBuffer({ size: from.size, usage: USAGE.read });
      encoder.copyBufferToBuffer(from, 0, read, 0, from.size);
      return { o, read };
    });
    device.queue.submit([encoder.finish()]);
    let problem: string | undefined;
    for (const { o, read } of reads) {
      await read.mapAsync(GPUMapMode.READ);
      const want = prepared.want[o.name]!;
      const got = Array.from(values(read.getMappedRange().slice(0), want.dtype)).slice(0, want.data.length);
      read.unmap();
      read.destroy();
      if (problem) continue;
      if (!got.every(Number.isFinite)) problem = `output ${o.name} has non-finite values (elements never written?)`;
      else {
        const error = relativeError(got, want.data);
        const bound = TOLERANCE[want.dtype] ?? 0;
        if (!(error <= bound)) problem = `output ${o.name} is off the reference by ${error.toExponential(2)} (bound ${bound})`;
      }
    }
    return problem;
  }

  /** Milliseconds of REPEATS runs of `steps` after WARMUP untimed ones (see the header). */
  async #samples(steps: readonly Step[]): Promise<number[]> {
    const { device } = this.#gpu;
    const warm = device.createCommandEncoder();
    const pass = warm.beginComputePass();
    for (let i = 0; i < WARMUP; i++) this.#dispatch(pass, steps);
    pass.end();
    device.queue.submit([warm.finish()]);
    await device.queue.onSubmittedWorkDone();
    return this.#timestamps ? await this.#timedByQueries(steps) : await this.#timedByClock(steps);
  }

  async #timedByQueries(steps: readonly Step[]): Promise<number[]> {
    const { device } = this.#gpu;
    const querySet = device.createQuerySet({ type: "timestamp", count: 2 * REPEATS });
    const resolved = device.createBuffer({ size: 16 * REPEATS, usage: USAGE.query });
    const read = device.createBuffer({ size: 16 * REPEATS, usage: USAGE.read });
    const encoder = device.createCommandEncoder();
    for (let r = 0; r < REPEATS; r++) {
      encoder.clearBuffer(this.#flush);
      const pass = encoder.beginComputePass({
        timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * r, endOfPassWriteIndex: 2 * r + 1 },
      });
      this.#dispatch(pass, steps);
      pass.end();
    }
    encoder.resolveQuerySet(querySet, 0, 2 * REPEATS, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, read, 0, 16 * REPEATS);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const ns = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    for (const b of [resolved, read]) b.destroy();
    querySet.destroy();
    return Array.from({ length: REPEATS }, (_, r) => Number(ns[2 * r + 1]! - ns[2 * r]!) / 1e6);
  }

  async #timedByClock(steps: readonly Step[]): Promise<number[]> {
    const { device } = this.#gpu;
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const flush = device.createCommandEncoder();
      flush.clearBuffer(this.#flush);
      device.queue.submit([flush.finish()]);
      await device.queue.onSubmittedWorkDone();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      this.#dispatch(pass, steps);
      pass.end();
      const start = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push(performance.now() - start);
    }
    return times;
  }

  /** The device's roofline, from a copy kernel and a kernel of multiply-add chains (best of REPEATS each). */
  async ceilings(): Promise<Ceilings> {
    const { device } = this.#gpu;
    const words = (this.#gpu.fallback ? 8 : 64) * 2 ** 20 / 4;
    const src = device.createBuffer({ size: 4 * words, usage: USAGE.storage });
    const dst = device.createBuffer({ size: 4 * words, usage: USAGE.storage });
    const groups = this.#gpu.fallback ? 64 : 4096;
    const time = async (code: string, buffers: GPUBuffer[], grid: number): Promise<number> => {
      const module = device.createShaderModule({ code });
      const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const steps = [{ pipeline, group, grid: [grid, 1, 1] }];
      return Math.min(...await this.#samples(steps)) / 1e3;
    };
    const copy = await time(COPY_CODE(words), [src, dst], Math.min(65535, Math.ceil(words / 4 / 256)));
    const fma = await time(FMA_CODE, [dst], groups);
    for (const b of [src, dst]) b.destroy();
    return { bytesPerSecond: (8 * words) / copy, flopsPerSecond: (2 * FMA_CHAINS * FMA_STEPS * 256 * groups) / fma };
  }
}

/** Copies `words` f32 words as vec4s, a grid-stride loop of 256-thread workgroups. */
const COPY_CODE = (words: number) => `@group(0) @binding(0) var<storage, read_write> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < ${words / 4}u; i += groups.x * 256u) { dst[i] = src[i]; }
}`;

const FMA_CHAINS = 8;
const FMA_STEPS = 1024;
/** FMA_CHAINS independent chains of FMA_STEPS fused multiply-adds per thread (the loop bound is opaque to the compiler). */
const FMA_CODE = `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  var a = array<f32, ${FMA_CHAINS}>(${Array.from({ length: FMA_CHAINS }, (_, i) => `f32(gid.x) * ${i + 1}e-9`).join(", ")});
  let steps = max(${FMA_STEPS}, i32(wg.x) - 70000);
  for (var s: i32 = 0; s < steps; s++) {
${Array.from({ length: FMA_CHAINS }, (_, i) => `    a[${i}] = fma(a[${i}], 0.999999, 1e-7);`).join("\n")}
  }
  out[gid.x % 1024u] = ${Array.from({ length: FMA_CHAINS }, (_, i) => `a[${i}]`).join(" + ")};
}`;
