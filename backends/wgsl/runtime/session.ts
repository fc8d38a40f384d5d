// The runtime a compiled WebGPU program imports (in Node through Dawn, and in a browser): it creates the program's
// two arenas (state: parameters, optimizer state, the batch and scalar results; activations), each as buffers of
// BUFFER_BYTES (the last shorter; a range never crosses two, the memory plan sees to it), compiles every kernel
// once, records each graph's straight-line launches (the program's graph functions call `launch` and `copy`) into
// pipelines and bind groups, and replays them per step. Tensors move in and out by name through the graph's tables.
// This file imports only ir/half.ts (which imports nothing), so the compiler ships both beside the program as plain
// JavaScript (types erased).
// Copies (updated state back onto its input) run as a small kernel: WebGPU cannot copyBufferToBuffer within one
// buffer, and both ranges live in the state arena.
// Invariants: a graph's bind groups are built once; a run encodes every launch of the graph in order into one
// compute pass; errors carry a `code` (5702: WebGPU rejected a kernel; 5706: a tensor
// name or size the program does not have; 5707: a kernel binds more buffers than the device allows; 5708: the kernels
// use a feature the device was not created with) and a fix.

import { floatToHalf, halfToFloat } from "../../../ir/half.ts";

/** A range of an arena: [arena (0 state, 1 activations), byte offset, bytes]. */
export type Range = readonly [number, number, number];

/** A tensor a graph reads or writes: how it is stored (f32, f16, i32, u32) and where. */
export interface TensorSlot {
  readonly name: string;
  readonly dtype: "f32" | "f16" | "i32" | "u32";
  readonly shape: readonly number[];
  readonly range: Range;
}

export interface KernelEntry {
  readonly name: string;
  readonly code: string;
  readonly workgroups: readonly [number, number, number];
  /** Storage buffers it binds. */
  readonly bindings: number;
}

/** Records one graph's launches: the program's graph functions call these in order. */
export interface Recorder {
  launch(kernel: number, bindings: readonly Range[]): void;
  copy(from: Range, to: Range): void;
}

/** What a compiled program module exports. */
export interface ProgramDescription {
  readonly PRELUDE: string;
  /** WebGPU features the kernels use ("subgroups", "shader-f16"). */
  readonly FEATURES: readonly string[];
  readonly KERNELS: readonly KernelEntry[];
  readonly ARENAS: readonly [number, number];
  /** Bytes of each buffer holding an arena (the last shorter). */
  readonly BUFFER_BYTES: number;
  readonly TENSORS: Readonly<Record<string, { readonly inputs: readonly TensorSlot[]; readonly outputs: readonly TensorSlot[] }>>;
  readonly GRAPHS: Readonly<Record<string, (record: Recorder) => void>>;
}

interface Step {
  readonly pipeline: GPUComputePipeline;
  readonly group: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/** Copies one range of words to another (non-overlapping) range; both bind read_write, as the kernels' buffers do. */
const COPY_KERNEL = `@group(0) @binding(0) var<storage, read_write> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn copy_words(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < arrayLength(&dst); i += groups.x * 256u) { dst[i] = src[i]; }
}`;

/**
 * The device of `adapter` with the adapter's own limits for storage buffers per stage, binding size and buffer size
 * (WebGPU's defaults are lower; bundles fit the defaults, programs trainc plans for this device may use more), and
 * the optional features generated kernels use (subgroups, shader-f16), and any `extra` ones (the autotuner's
 * timestamp-query), where the adapter offers them.
 */
export function requestDevice(adapter: GPUAdapter, extra: readonly GPUFeatureName[] = []): Promise<GPUDevice> {
  const { maxStorageBufferBindingSize, maxStorageBuffersPerShaderStage, maxBufferSize } = adapter.limits;
  const requiredFeatures = (["subgroups", "shader-f16", ...extra] as const).filter((f) => adapter.features.has(f));
  return adapter.requestDevice({
    requiredFeatures, requiredLimits: { maxStorageBufferBindingSize, maxStorageBuffersPerShaderStage, maxBufferSize },
  });
}

/** What an adapter says it is: vendor, architecture, description. */
export function adapterName(adapter: GPUAdapter): string {
  const i = adapter.info;
  return [i.vendor, i.architecture, i.description].filter((x) => x).join(", ");
}

/** An error of the runtime: a code and a fix, as the compiler's errors have. */
export class RuntimeError extends Error {
  constructor(readonly code: number, readonly detail: string, readonly fix: string) {
    super(`E${code}: ${detail}\n  fix: ${fix}`);
  }
}

const STORAGE = 0x80 | 0x8 | 0x4; // GPUBufferUsage.STORAGE | COPY_DST | COPY_SRC
const READBACK = 0x1 | 0x8; // GPUBufferUsage.MAP_READ | COPY_DST
const MAP_READ = 0x1; // GPUMapMode.READ

/** `values` as stored in `dtype`; f16 padded to whole 4-byte words. */
function typed(dtype: TensorSlot["dtype"], values: ArrayLike<number>): Float32Array<ArrayBuffer> | Uint16Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> {
  if (dtype === "f16") return Uint16Array.from({ length: values.length + (values.length % 2) }, (_, i) => floatToHalf(values[i] ?? 0));
  return dtype === "f32" ? Float32Array.from(values) : dtype === "i32" ? Int32Array.from(values) : Uint32Array.from(values);
}

/** The buffer of `arenas` (each held as buffers of `per` bytes) that holds `range`, and the range's offset in it. */
function locateIn(arenas: readonly (readonly GPUBuffer[])[], per: number, [arena, offset]: Range): [GPUBuffer, number] {
  return [arenas[arena]![Math.floor(offset / per)]!, offset % per];
}

/** Elements of a tensor of `shape`. */
function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class WgslSession {
  private constructor(
    readonly device: GPUDevice,
    private readonly program: ProgramDescription,
    private readonly arenas: readonly (readonly GPUBuffer[])[],
    private readonly steps: ReadonlyMap<string, readonly Step[]>,
  ) {}

  /** Validation errors of submitted work, checked before the next read returns. */
  private pending: Promise<GPUError | null>[] = [];

  /** Compiles every kernel and records every graph of `program` on `device`. */
  static async create(device: GPUDevice, program: ProgramDescription): Promise<WgslSession> {
    const most = Math.max(2, ...program.KERNELS.map((k) => k.bindings));
    if (most > device.limits.maxStorageBuffersPerShaderStage) {
      throw new RuntimeError(5707, `a kernel binds ${most} storage buffers, more than this device's ` +
        `maxStorageBuffersPerShaderStage (${device.limits.maxStorageBuffersPerShaderStage})`,
        "request the adapter's limit when creating the device, or train on a device that offers more (most desktop GPUs do)");
    }
    const missing = program.FEATURES.filter((f) => !device.features.has(f));
    if (missing.length > 0) {
      throw new RuntimeError(5708, `the program's kernels use ${missing.join(", ")}, which this device was not created with`,
        "create the device with requestDevice (it asks for the features where the adapter has them), or compile the " +
        "program for this device (fp16: false where it lacks shader-f16)");
    }
    device.pushErrorScope("validation");
    try {
      return await WgslSession.build(device, program);
    } finally {
      const error = await device.popErrorScope();
      if (error) throw new RuntimeError(5702, `WebGPU rejected the program: ${error.message}`, "report it: generated programs must validate");
    }
  }

  /** create()'s work, inside its error scope. */
  private static async build(device: GPUDevice, program: ProgramDescription): Promise<WgslSession> {
    const per = program.BUFFER_BYTES;
    const arenas = program.ARENAS.map((bytes) => Array.from({ length: Math.max(1, Math.ceil(bytes / per)) }, (_, k) =>
      device.createBuffer({ size: Math.max(256, Math.ceil(Math.min(per, bytes - k * per) / 256) * 256), usage: STORAGE })));
    const locate = (range: Range) => locateIn(arenas, per, range);
    const compile = async (name: string, code: string) => {
      const module = device.createShaderModule({ code });
      try {
        return await device.createComputePipelineAsync({ layout: "auto", compute: { module, entryPoint: name } });
      } catch (e) {
        const info = await module.getCompilationInfo();
        const lines = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos}: ${m.message}`);
        throw new RuntimeError(5702, `kernel ${name} was rejected by WebGPU: ${lines.join("; ") || String(e)}`,
          "report it: generated WGSL must validate");
      }
    };
    const pipelines = await Promise.all(program.KERNELS.map((k) => compile(k.name, `${program.PRELUDE}\n\n${k.code}`)));
    const copier = await compile("copy_words", COPY_KERNEL);
    const step = (pipeline: GPUComputePipeline, ranges: readonly Range[], workgroups: readonly [number, number, number]): Step => ({
      pipeline, workgroups,
      group: device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: ranges.map((range, binding) => {
          const [buffer, offset] = locate(range);
          return { binding, resource: { buffer, offset, size: range[2] } };
        }),
      }),
    });
    const steps = new Map<string, Step[]>();
    for (const [graph, record] of Object.entries(program.GRAPHS)) {
      const list: Step[] = [];
      record({
        launch: (kernel, bindings) => list.push(step(pipelines[kernel]!, bindings, program.KERNELS[kernel]!.workgroups)),
        copy: (from, to) => list.push(step(copier, [from, to], [Math.min(65535, Math.ceil(to[2] / 1024)), 1, 1])),
      });
      steps.set(graph, list);
    }
    return new WgslSession(device, program, arenas, steps);
  }

  /** The buffer holding `range` and the range's offset in it. */
  private locate(range: Range): [GPUBuffer, number] {
    return locateIn(this.arenas, this.program.BUFFER_BYTES, range);
  }

  private slot(graph: string, name: string, side: "inputs" | "outputs"): TensorSlot {
    const table = this.program.TENSORS[graph];
    const slot = table?.[side].find((t) => t.name === name);
    if (!slot) {
      throw new RuntimeError(5706, `graph ${graph} has no ${side === "inputs" ? "input" : "output"} named ${name}`,
        `use one of: ${(table?.[side] ?? []).map((t) => t.name).join(", ")}`);
    }
    return slot;
  }

  /** Whether `graph` has an input named `name`. */
  hasInput(graph: string, name: string): boolean {
    return this.program.TENSORS[graph]?.inputs.some((t) => t.name === name) ?? false;
  }

  /** Writes the values of input `name` of `graph` (converted to how it is stored). */
  write(graph: string, name: string, values: ArrayLike<number>): void {
    const slot = this.slot(graph, name, "inputs");
    if (values.length !== numel(slot.shape)) {
      throw new RuntimeError(5706, `${name} of ${graph} holds ${numel(slot.shape)} values, not ${values.length}`,
        `pass [${slot.shape.join(", ")}] values`);
    }
    this.device.queue.writeBuffer(...this.locate(slot.range), typed(slot.dtype, values));
  }

  /** Sets input `name` of `graph` to zeros. */
  clear(graph: string, name: string): void {
    const { range } = this.slot(graph, name, "inputs");
    const encoder = this.device.createCommandEncoder();
    encoder.clearBuffer(...this.locate(range), range[2]);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Runs every launch of `graph` once, in order. */
  run(graph: string): void {
    const steps = this.steps.get(graph);
    if (!steps) throw new RuntimeError(5706, `the program has no graph ${graph}`, `run one of: ${[...this.steps.keys()].join(", ")}`);
    this.device.pushErrorScope("validation");
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const step of steps) {
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.group);
      pass.dispatchWorkgroups(...step.workgroups);
    }
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    this.pending.push(this.device.popErrorScope());
  }

  /** Reads tensors of `graph` back (outputs, or inputs with side "inputs"), as their stored typed arrays (f16 as f32). */
  async read(graph: string, names: readonly string[], side: "inputs" | "outputs" = "outputs"):
    Promise<Record<string, Float32Array | Int32Array | Uint32Array>> {
    const slots = names.map((n) => this.slot(graph, n, side));
    const total = slots.reduce((n, s) => n + s.range[2], 0);
    const staging = this.device.createBuffer({ size: Math.max(4, total), usage: READBACK });
    const encoder = this.device.createCommandEncoder();
    let at = 0;
    for (const s of slots) {
      encoder.copyBufferToBuffer(...this.locate(s.range), staging, at, s.range[2]);
      at += s.range[2];
    }
    this.device.queue.submit([encoder.finish()]);
    let bytes: ArrayBuffer;
    try {
      await staging.mapAsync(MAP_READ);
      bytes = staging.getMappedRange().slice(0);
    } finally {
      staging.destroy();
    }
    const errors = await Promise.all(this.pending.splice(0));
    const error = errors.find((e) => e);
    if (error) throw new RuntimeError(5702, `WebGPU rejected a step: ${error.message}`, "report it: generated programs must validate");
    const out: Record<string, Float32Array | Int32Array | Uint32Array> = {};
    at = 0;
    for (const s of slots) {
      const view = bytes.slice(at, at + s.range[2]);
      out[s.name] = s.dtype === "f16" ? Float32Array.from(new Uint16Array(view).subarray(0, numel(s.shape)), halfToFloat)
        : s.dtype === "f32" ? new Float32Array(view) : s.dtype === "i32" ? new Int32Array(view) : new Uint32Array(view);
      at += s.range[2];
    }
    return out;
  }

  /** Frees the arenas. */
  destroy(): void {
    for (const buffer of this.arenas.flat()) buffer.destroy();
  }
}
