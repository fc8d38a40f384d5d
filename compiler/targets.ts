// The targets trainc knows and what each can do. Capabilities here feed config resolution (bf16: auto) and later
// the autotuner. Without --target, chooseTarget picks one from what the machine has: cuda when an NVIDIA GPU and nvcc
// are both present, else wgsl when a WebGPU adapter is found that is a real GPU (a CPU fallback adapter such as
// lavapipe or SwiftShader is no faster than the cpu target's interpreter), else cpu; it says which and why.

import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { openDevice } from "../backends/wgsl/device.ts";

export interface TargetInfo {
  readonly name: string;
  /** Native bf16 arithmetic (decides what `bf16: auto` means). */
  readonly bf16: boolean;
  /** fp16 training (`fp16: true`): f16 kernels and loss scaling. */
  readonly f16: boolean;
  readonly description: string;
}

export const TARGETS: readonly TargetInfo[] = [
  { name: "cpu", bf16: false, f16: true, description: "the reference interpreter on the CPU" },
  { name: "cuda", bf16: true, f16: true, description: "generated CUDA kernels built with nvcc" },
  { name: "hip", bf16: true, f16: false, description: "generated HIP kernels built with hipcc or clang-19 (compiled, never run: no AMD GPU)" },
  { name: "wgsl", bf16: false, f16: true, description: "generated WGSL kernels on WebGPU (Dawn in Node; f16 with shader-f16)" },
];

export const TARGET_NAMES = TARGETS.map((t) => t.name);

/** The target named `name` (the CLI has already checked the name). */
export function targetInfo(name: string): TargetInfo {
  return TARGETS.find((t) => t.name === name)!;
}

/** Why cuda can or cannot be chosen: undefined when it can, else the missing piece. */
function cudaMissing(): string | undefined {
  const gpu = existsSync("/proc/driver/nvidia/version") || spawnSync("nvidia-smi", ["-L"]).status === 0;
  if (!gpu) return "no NVIDIA GPU";
  return spawnSync("nvcc", ["--version"]).status === 0 ? undefined : "an NVIDIA GPU but no nvcc";
}

/** The adapter wgsl would run on, and whether it is a real GPU. */
async function webGpuAdapter(): Promise<{ readonly name: string; readonly hardware: boolean } | undefined> {
  try {
    const gpu = await openDevice();
    gpu.close();
    return { name: gpu.description || "unnamed", hardware: !gpu.fallback };
  } catch {
    return undefined;
  }
}

/** The target for a command run without --target (see the header), said through `note`. */
export async function chooseTarget(note: (message: string) => void): Promise<string> {
  const missing = cudaMissing();
  if (missing === undefined) {
    note("target cuda (an NVIDIA GPU and nvcc are present; --target picks another)");
    return "cuda";
  }
  const adapter = await webGpuAdapter();
  if (adapter?.hardware) {
    note(`target wgsl (${missing}; WebGPU adapter ${adapter.name}; --target picks another)`);
    return "wgsl";
  }
  const webgpu = adapter ? `the WebGPU adapter (${adapter.name}) is a CPU fallback` : "no WebGPU adapter";
  note(`target cpu (${missing}, ${webgpu}; --target picks another)`);
  return "cpu";
}

/** The target a command runs on: the one named, or the one chooseTarget picks. */
export async function resolveTarget(name: string | undefined, note: (message: string) => void): Promise<TargetInfo> {
  return targetInfo(name ?? await chooseTarget(note));
}
