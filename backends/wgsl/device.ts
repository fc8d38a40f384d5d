// WebGPU in Node through the webgpu package (Dawn): opening a device, and running one generated WGSL kernel on
// buffers given as bytes (the unit the tests and the host program build on). A kernel runs as one shader module,
// the prelude (with the subgroups directive where the device offers them) then its code; its buffers bind in
// KernelSource.params order at group 0 and it dispatches its grid of workgroups.
// The webgpu package (Dawn, a native module) is loaded on the first open, so targets that never open a device never
// load it. Dawn's promises do not keep Node's event loop alive, so a process awaiting the GPU with nothing else pending would
// exit silently: an open device holds a timer until close().
// Invariants: a WgslDevice holds Dawn's instance for as long as it lives; buffers are padded to a multiple of 4 bytes
// (WebGPU copies move whole words); outputs read back at their given size; a shader or validation error surfaces as
// E5702 with the compiler's message, never as wrong data; a missing buffer is refused before any GPU work is opened.

import { createRequire } from "node:module";
import { fail } from "../../compiler/diagnostics.ts";
import type { KernelSource } from "../kernel.ts";
import { isWgslFeature, preludeFor } from "./language.ts";
import type { WgslLimits } from "./program.ts";
import { adapterName, requestDevice } from "./runtime/session.ts";

export interface WgslDevice {
  /** Dawn's instance: it must stay referenced while the device is used (collected, it takes pending work down). */
  readonly instance: GPU;
  readonly device: GPUDevice;
  /**
   * The limits the program builder plans within. Subgroups only on a GPU: lavapipe offers them, but its workgroup
   * reductions ran 30-45% slower through them (bench/RESULTS.md), and on the H200 they ran as fast as without.
   */
  readonly limits: WgslLimits;
  /** What the adapter says it is (vendor, architecture, description). */
  readonly description: string;
  /** The device as the tuning DB keys it (autotune/db.ts). */
  readonly key: string;
  /** What compiles WGSL here, as the tuning DB keys it: Dawn, as the webgpu package of this version ships it. */
  readonly toolchain: string;
  /** Whether the adapter is a CPU fallback (lavapipe, SwiftShader) rather than a GPU. */
  readonly fallback: boolean;
  /** Frees the device and lets the process exit (an open device keeps Node's event loop alive: see the header). */
  readonly close: () => void;
}

/**
 * Opens the first WebGPU adapter's device, with the `extra` features it offers (beside those the kernels use); E5701
 * when there is none.
 */
export async function openDevice(extra: readonly GPUFeatureName[] = []): Promise<WgslDevice> {
  const alive = setInterval(() => undefined, 2 ** 30);
  try {
    return await open(alive, extra);
  } catch (e) {
    clearInterval(alive);
    throw e;
  }
}

async function open(alive: ReturnType<typeof setInterval>, extra: readonly GPUFeatureName[]): Promise<WgslDevice> {
  const { create, globals } = await import("webgpu");
  Object.assign(globalThis, globals);
  // Dawn rounds timestamps to 65 us unless told not to; whoever asks for timestamp queries wants them exact.
  const instance = create(extra.includes("timestamp-query") ? ["disable-dawn-features=timestamp_quantization"] : []);
  const adapter = await instance.requestAdapter();
  if (!adapter) {
    fail(5701, "no WebGPU adapter: Dawn found no Vulkan driver it can use",
      "install Mesa's Vulkan drivers 25 or newer (Debian 12: mesa-vulkan-drivers from bookworm-backports; Mesa 22 " +
      "is rejected) or a GPU's Vulkan driver, or use --target cpu");
  }
  const device = await requestDevice(adapter, extra);
  const description = adapterName(adapter);
  const fallback = adapter.info.isFallbackAdapter || adapter.info.architecture === "software";
  const limits: WgslLimits = {
    maxBuffers: device.limits.maxStorageBuffersPerShaderStage,
    maxBindingBytes: device.limits.maxStorageBufferBindingSize,
    maxBufferBytes: device.limits.maxBufferSize,
    subgroups: device.features.has("subgroups") && !fallback,
    f16: device.features.has("shader-f16"),
  };
  const close = () => {
    clearInterval(alive);
    device.destroy();
  };
  const version = (createRequire(import.meta.url)("webgpu/package.json") as { version: string }).version;
  return {
    instance, device, limits, description, key: `webgpu: ${description || "unnamed adapter"}`, toolchain: `dawn (webgpu ${version})`,
    fallback, close,
  };
}

function padded(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

/**
 * Runs `kernel` once: `inputs` holds the bytes of every buffer it reads, `outputs` the byte size of every buffer it
 * writes (named as in kernel.params). Resolves to the outputs' bytes.
 */
export async function runKernel(gpu: WgslDevice, kernel: KernelSource, inputs: Readonly<Record<string, Uint8Array>>,
  outputs: Readonly<Record<string, number>>): Promise<Record<string, Uint8Array>> {
  const { device } = gpu;
  const sizes = kernel.params.map((p) => {
    const data = inputs[p.name];
    return padded(data ? data.byteLength : outputs[p.name] ?? fail(5702, `no bytes given for buffer ${p.name}`,
      "pass the bytes of every buffer the kernel reads and the size of every buffer it writes"));
  });
  device.pushErrorScope("validation");
  const features = [...device.features].filter(isWgslFeature);
  const module = device.createShaderModule({ code: `${preludeFor(features)}\n\n${kernel.code}` });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: kernel.name } });
  const buffers = kernel.params.map((p, k) => {
    const data = inputs[p.name];
    const size = sizes[k]!;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffer = device.createBuffer({ size, usage });
    if (data) {
      const words = new Uint8Array(size);
      words.set(data);
      device.queue.writeBuffer(buffer, 0, words);
    }
    return buffer;
  });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(kernel.grid[0], kernel.grid[1], kernel.grid[2]);
  pass.end();
  const reads = kernel.params.flatMap((p, k) => {
    const bytes = outputs[p.name];
    if (bytes === undefined) return [];
    const read = device.createBuffer({ size: padded(bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(buffers[k]!, 0, read, 0, padded(bytes));
    return [{ name: p.name, read, bytes }];
  });
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) {
    fail(5702, `kernel ${kernel.name} was rejected by WebGPU: ${error.message}`, "report it: generated WGSL must validate");
  }
  const result: Record<string, Uint8Array> = {};
  for (const { name, read, bytes } of reads) {
    await read.mapAsync(GPUMapMode.READ);
    result[name] = new Uint8Array(read.getMappedRange().slice(0, bytes));
    read.unmap();
    read.destroy();
  }
  for (const b of buffers) b.destroy();
  return result;
}
