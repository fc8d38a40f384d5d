// The targets trainc knows and what each can do today. A target that is not built yet fails with E5001, naming the
// issue that builds it, rather than pretending. Capabilities here feed config resolution (bf16: auto) and later the
// autotuner.

import { fail } from "./diagnostics.ts";

export interface TargetInfo {
  readonly name: string;
  /** Whether trainc can run programs on this target in this version. */
  readonly built: boolean;
  /** Native bf16 arithmetic (decides what `bf16: auto` means). */
  readonly bf16: boolean;
  readonly description: string;
}

export const TARGETS: readonly TargetInfo[] = [
  { name: "cpu", built: true, bf16: false, description: "the reference interpreter on the CPU" },
  { name: "cuda", built: true, bf16: true, description: "generated CUDA kernels built with nvcc" },
  { name: "hip", built: false, bf16: true, description: "generated HIP kernels (the WGSL and HIP backends issue)" },
  { name: "wgsl", built: true, bf16: false, description: "generated WGSL kernels on WebGPU (Dawn in Node)" },
];

export const TARGET_NAMES = TARGETS.map((t) => t.name);

/** The target named `name`, which must be built (E5001 otherwise; the CLI has already checked the name). */
export function requireBuiltTarget(name: string, command: string): TargetInfo {
  const target = TARGETS.find((t) => t.name === name)!;
  if (!target.built) {
    fail(5001, `\`trainc ${command} --target ${name}\` needs ${target.description}, which is not built yet`,
      "use --target cpu for now");
  }
  return target;
}
