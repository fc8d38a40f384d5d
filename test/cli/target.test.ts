// Target selection without --target (compiler/targets.ts chooseTarget): cuda needs an NVIDIA GPU and nvcc, wgsl a
// WebGPU adapter that is a real GPU; a CPU fallback adapter (lavapipe, SwiftShader) leaves the choice at cpu. On the
// CI machine (no GPU, lavapipe installed: TRAINC_REQUIRE_WEBGPU) that means cpu, with the fallback named in the note.

import { existsSync } from "node:fs";
import { expect, test } from "vitest";
import { chooseTarget } from "../../compiler/targets.ts";

test.skipIf(existsSync("/proc/driver/nvidia/version"))("without an NVIDIA GPU, the choice is wgsl on a GPU adapter, else cpu, and the note says why", async () => {
  const notes: string[] = [];
  const target = await chooseTarget((m) => notes.push(m));
  expect(notes).toHaveLength(1);
  expect(notes[0]).toMatch(new RegExp(`^target ${target} \\(no NVIDIA GPU`));
  if (process.env["TRAINC_REQUIRE_WEBGPU"]) {
    expect(target).toBe("cpu");
    expect(notes[0]).toMatch(/WebGPU adapter \(.*llvmpipe.*\) is a CPU fallback/);
  }
});
