// The GPU arch of the cuda and hip targets (compiler/cuda-run.ts chooseArch): --arch is taken as given once it belongs
// to the target (else E5014); without it, cuda builds for sm_90a when this machine's GPU is compute capability 9.0
// (and says so) and for sm_90 otherwise, hip for gfx90a. The GPU is faked by an `nvidia-smi` script put first on PATH,
// so the test means the same on a machine with or without one.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { chooseArch } from "../../compiler/cuda-run.ts";

const PATH = process.env["PATH"];
const dirs: string[] = [];
afterEach(() => {
  process.env["PATH"] = PATH;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Puts a fake nvidia-smi first on PATH that prints `capability` for --query-gpu=compute_cap (or fails when absent). */
function fakeGpu(capability: string | undefined): void {
  const dir = mkdtempSync(join(tmpdir(), "trainc-arch-"));
  dirs.push(dir);
  const script = join(dir, "nvidia-smi");
  writeFileSync(script, capability === undefined ? "#!/bin/sh\nexit 9\n" : `#!/bin/sh\necho ${capability}\n`);
  chmodSync(script, 0o755);
  process.env["PATH"] = `${dir}:${PATH}`;
}

test("a compute capability 9.0 GPU (H100, H200) gets sm_90a, and the note says why", () => {
  fakeGpu("9.0");
  const notes: string[] = [];
  expect(chooseArch("cuda", undefined, (m) => notes.push(m))).toBe("sm_90a");
  expect(notes).toEqual([expect.stringMatching(/^arch sm_90a: this machine's GPU is compute capability 9\.0 \(wgmma/)]);
});

test.each([["8.0"], ["10.0"], [undefined]])("compute capability %s (or no GPU) gets sm_90, silently", (capability) => {
  fakeGpu(capability);
  const notes: string[] = [];
  expect(chooseArch("cuda", undefined, (m) => notes.push(m))).toBe("sm_90");
  expect(notes).toEqual([]);
});

test("--arch is taken as given when it belongs to the target; another vendor's arch is E5014", () => {
  fakeGpu("9.0");
  expect(chooseArch("cuda", "sm_80", () => {})).toBe("sm_80");
  expect(chooseArch("hip", undefined, () => {})).toBe("gfx90a");
  expect(chooseArch("hip", "gfx942", () => {})).toBe("gfx942");
  expect(() => chooseArch("cuda", "gfx90a", () => {})).toThrow(expect.objectContaining({ code: 5014 }));
  expect(() => chooseArch("hip", "sm_90a", () => {})).toThrow(expect.objectContaining({ code: 5014 }));
});
