// The HIP build of the example model: `trainc compile examples/tiny-llama/config.yml --target hip` builds the training
// program for gfx90a with Debian's hipcc and for gfx942 with Debian's clang-19 (backends/hip/toolchain.ts), and the
// report names the target and arch. The binary is not run: no AMD GPU is available to the project. Without the
// compilers the builds skip, unless TRAINC_REQUIRE_HIP is set (CI sets it and installs them with .ci/hip): then they
// fail. An NVIDIA arch for the hip target (or the reverse) is E5014.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { runCli } from "../../harness/cli.ts";

const CONFIG = join(import.meta.dirname, "../../../examples/tiny-llama/config.yml");
const COMPILERS: Record<string, string> = { gfx90a: "hipcc", gfx942: "clang++-19" };
const present = (program: string) => spawnSync(program, ["--version"], { env: { ...process.env, HIP_PLATFORM: "amd" } }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), "trainc-hip-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("the HIP compilers are present where TRAINC_REQUIRE_HIP says so (CI installs them)", () => {
  if (process.env["TRAINC_REQUIRE_HIP"]) for (const c of Object.values(COMPILERS)) expect(present(c), `${c}: run .ci/hip`).toBe(true);
});

const BUILDS = Object.entries(COMPILERS).filter(([, compiler]) => present(compiler));

test.skipIf(BUILDS.length === 0).each(BUILDS)("the example compiles to a HIP training binary for %s (%s)", async (arch) => {
  const out = join(tmp, arch);
  const { code, stdout, stderr } = await runCli(["compile", CONFIG, "--target", "hip", "--arch", arch, "-o", out]);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(new RegExp(`^compiled for hip \\(${arch}\\): 75,200 parameters, \\d+ kernel launches per step`));
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  expect([report.target, report.arch]).toEqual(["hip", arch]);
  expect(readFileSync(report.binary).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
}, 600_000);

test("an arch of the other vendor is E5014", async () => {
  const { code, stderr } = await runCli(["compile", CONFIG, "--target", "hip", "--arch", "sm_90", "--no-build", "-o", join(tmp, "x")]);
  expect(code).toBe(1);
  expect(stderr).toMatch(/error\[E5014\]: --arch sm_90 is not an arch of the hip target/);
});
