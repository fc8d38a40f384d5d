// The WebGPU program and its bundle, without a device: limits the program must respect (E5705 names the one a model
// exceeds), the memory plan's rules for WebGPU (no output shares its input's range, bool stored in 4 bytes), and the
// bundle's modules (program.js lists every graph's launches; the runtime files import only each other); and no
// adapter at all (no Vulkan driver) is E5701.

import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { RUNTIME, programModule, runtimeModule } from "../../../backends/wgsl/host.ts";
import { buildWgslProgram, type WgslLimits } from "../../../backends/wgsl/program.ts";
import { HF_FIXTURES, specializedTrainStep } from "../../harness/train-step.ts";

const LAVAPIPE: WgslLimits = { maxBuffers: 16, maxBindingBytes: 128 * 2 ** 20, maxBufferBytes: 4 * 2 ** 30, subgroups: true, f16: true };
const { module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "f32", parameterDType: "f32" });

describe("buildWgslProgram", () => {
  const program = buildWgslProgram(module, LAVAPIPE);

  test("a tensor larger than the binding size binds in parts of at most that size; parts beyond the buffers per kernel " +
    "are E5703 (fused kernels) or E5705 (anchors); an arena larger than a buffer is several, a tensor larger is E5705", () => {
    const parted = buildWgslProgram(module, { ...LAVAPIPE, maxBindingBytes: 4096 });
    const params = parted.graphs.flatMap((g) => g.kernels.flatMap((k) => k.sources.flatMap((s) => s.params)));
    expect(parted.partBytes).toBe(4096);
    expect(params.filter((p) => p.part).length).toBeGreaterThan(20);
    const bound = programModule(parted, "parted").split("\n").filter((l) => /record\.(launch|copy)\(/.test(l)).join("\n");
    const ranges = [...bound.matchAll(/\[[01], ?\d+, ?(\d+)\]/g)].map((m) => Number(m[1]));
    expect(ranges.length).toBeGreaterThan(100);
    expect(Math.max(...ranges)).toBe(4096);
    expect(() => buildWgslProgram(module, { ...LAVAPIPE, maxBindingBytes: 256 }))
      .toThrow(expect.objectContaining({ code: 5703, message: expect.stringMatching(/bindings, more than the 16/) }));
    expect(() => buildWgslProgram(module, { ...LAVAPIPE, maxBuffers: 8, maxBindingBytes: 4096 }))
      .toThrow(expect.objectContaining({ code: 5705, message: expect.stringMatching(/bind in parts\), more than .* \(8\)/) }));
    const buffered = buildWgslProgram(module, { ...LAVAPIPE, maxBindingBytes: 4096, maxBufferBytes: 65536 + 100 });
    expect(buffered.memory.bufferBytes).toBe(65536);
    expect(buffered.memory.stateBytes).toBeGreaterThan(65536);
    expect(() => buildWgslProgram(module, { ...LAVAPIPE, maxBufferBytes: 4096 }))
      .toThrow(expect.objectContaining({ code: 5705, message: expect.stringMatching(/tensor .* maxBufferSize \(4096 bytes\)/) }));
  });

  test("every kernel fits WebGPU's default 8 storage buffers (fused kernels cut to fit, AdamW two kernels); attention's " +
    "backward, which binds 8, makes 7 too few (E5705)", () => {
    const eight = buildWgslProgram(module, { ...LAVAPIPE, maxBuffers: 8 });
    const sources = eight.graphs.flatMap((g) => g.kernels.flatMap((k) => k.sources.map((s) => ({ kind: k.kernel.kind, s }))));
    expect(Math.max(...sources.map(({ s }) => s.params.length))).toBe(8);
    expect(Math.max(...sources.filter(({ kind }) => kind === "adamw").map(({ s }) => s.params.length))).toBe(7);
    expect(() => buildWgslProgram(module, { ...LAVAPIPE, maxBuffers: 7 })).toThrow(expect.objectContaining({
      code: 5705, message: expect.stringMatching(/kernel attention_grad_dkv_\w+ of micro_step binds 8 storage buffers, more than .* \(7\)/),
    }));
  });

  test("the program uses subgroups where the device offers them and a kernel reduces through them", () => {
    expect(program.features).toEqual(["subgroups"]);
    expect(buildWgslProgram(module, { ...LAVAPIPE, subgroups: false }).features).toEqual([]);
  });

  test("updated state is copied back, never written over its input's range", () => {
    const optimizer = program.graphs.find((g) => g.name === "optimizer_step")!;
    expect(optimizer.plan.copies.length).toBeGreaterThan(0);
    for (const g of program.graphs) {
      for (const k of g.kernels) {
        for (const s of k.sources) {
          const ranges = s.params.map((p) => g.plan.placement.get(p.name)!);
          for (const [i, a] of ranges.entries()) {
            for (const b of ranges.slice(i + 1)) {
              const overlap = a.arena === b.arena && a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
              expect(overlap, `${s.name}: two bindings overlap`).toBe(false);
            }
          }
        }
      }
    }
  });

  test("program.js exports every kernel once and one function per graph with its launches", () => {
    const text = programModule(program, "llama_packed");
    expect(text).toMatch(/^\/\/ llama_packed/);
    expect(text).toMatch(/import \{ WgslSession \} from "\.\/session\.js";/);
    for (const g of program.graphs) {
      const launches = g.kernels.reduce((n, k) => n + k.sources.length, 0);
      expect(text).toContain(`export function ${g.name}(record)`);
      const body = text.slice(text.indexOf(`export function ${g.name}(record)`));
      expect(body.slice(0, body.indexOf("\n}")).match(/record\.launch\(/g)).toHaveLength(launches);
    }
  });
});

test("the runtime files are plain JavaScript that import only each other", () => {
  for (const name of Object.keys(RUNTIME)) {
    const js = runtimeModule(name);
    expect(js, name).not.toMatch(/:\s*(number|string|GPUDevice)\b[^"]/);
    for (const [, path] of js.matchAll(/from\s+"([^"]+)"/g)) expect(Object.keys(RUNTIME), `${name} imports ${path}`).toContain(path!.slice(2));
  }
});

test("with no Vulkan driver, trainc grads --target wgsl fails with E5701 and its fix", () => {
  const fixture = join(HF_FIXTURES, "llama_packed");
  const r = spawnSync(process.execPath, [join(import.meta.dirname, "../../../bin/trainc.js"), "grads", fixture, "--batch",
    join(fixture, "batch.safetensors"), "--out", join(tmpdir(), "trainc-no-adapter.safetensors"), "--target", "wgsl"],
  { encoding: "utf8", env: { ...process.env, VK_DRIVER_FILES: "/nonexistent.json", VK_ICD_FILENAMES: "/nonexistent.json" } });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/error\[E5701\]: no WebGPU adapter: Dawn found no Vulkan driver it can use\n {2}fix: install Mesa's Vulkan drivers 25/);
}, 60_000);
