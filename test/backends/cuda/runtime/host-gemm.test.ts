// The host emitter's GEMM sites (backends/cuda/host.ts) on a program of GEMMs only (gemm-program.ts): every matmul is
// one site whose shape row matches gemmSpecForMatmul's spec (folded into M, batched, A or B shared over the batch,
// transposes; f32 and bf16) and whose buffers are the planned ones, launched through L.library_gemm with the
// generated kernel as the fallback, and the tuning DB's choice when there is one; the workspace arena holds cuBLASLt's
// workspace; the program's main.cu compiles
// and links with nvcc, and without a GPU stops with a trainc error. On a GPU machine, the program run with
// TRAINC_GEMM=generated and =cublaslt gives the interpreter's result bit for bit in both modes.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { archFeatures, buildProgram } from "../../../../backends/cuda/build.ts";
import { gemmSpecForMatmul } from "../../../../backends/cuda/gemm/from-matmul.ts";
import { gemmShape, programBody, programLaunches, workspaceArenaBytes } from "../../../../backends/cuda/host.ts";
import { gradsMain } from "../../../../backends/cuda/host-main.ts";
import { CUBLASLT_WORKSPACE_BYTES, libraryGemmOf } from "../../../../backends/cuda/kernels.ts";
import { buildCudaProgram, cudaHooks } from "../../../../backends/cuda/program.ts";
import { readSafetensors } from "../../../../compiler/import/safetensors.ts";
import { interpret } from "../../../../ir/interpret/index.ts";
import { zeros } from "../../../../ir/tensor.ts";
import { B, DTYPES, expectedShape, GEMM_CASES, gemmModule, gemmParameters, outputName, T, writeGemmRun } from "./gemm-program.ts";
import { HAVE_NVCC, NO_NVCC, printedError, run } from "./build.ts";

const HAVE_GPU = existsSync("/dev/nvidiactl");
const dir = mkdtempSync(join(tmpdir(), "trainc-host-gemm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const module = gemmModule();
const graph = module.graphs[0]!;
const program = buildCudaProgram(module, cudaHooks(archFeatures("sm_90")));
const body = programBody(program);
const gemms = programLaunches(program).filter((l) => l.gemm >= 0);

describe("GEMM sites of the host program", () => {
  it("one site per matmul, numbered in launch order", () => {
    expect(gemms.map((l) => l.gemm)).toEqual([...gemms.keys()]);
    expect(gemms.map((l) => l.source.libraryGemm!.a).sort()).toEqual(DTYPES.flatMap((d) => GEMM_CASES.map((c) => `${outputName(c, d)}.a`)).sort());
  });

  it.each(DTYPES.flatMap((d) => GEMM_CASES.map((c) => [outputName(c, d), c, d] as const)))("%s: the shape row is from-matmul's spec", (name, matmul, dtype) => {
    const site = gemms.find((l) => l.source.libraryGemm!.a === `${name}.a`)!;
    const c = site.kernel.kernel.graph.outputs[0]!.name;
    const [a, b] = [`${name}.a`, `${name}.b`].map((n) => graph.types[graph.inputs.find((i) => i.name === n)!.id]!);
    const spec = gemmSpecForMatmul(a!, b!, { transpose_a: matmul.transposeA, transpose_b: matmul.transposeB });
    expect(gemmShape(libraryGemmOf(spec, { a: "a", b: "b", c: "c" }))).toBe(expectedShape(matmul, dtype));
    expect(site.source.libraryGemm).toEqual(libraryGemmOf(spec, { a: `${name}.a`, b: `${name}.b`, c }));
    const placement = program.graphs[0]!.plan.placement;
    expect(placement.get(c)).toEqual(program.memory.state.get(`grads:${name}`));
    const at = (buffer: string) => `${placement.get(buffer)!.arena === "state" ? "A.state" : "A.activations"} + ${placement.get(buffer)!.offset}ULL`;
    expect(body).toContain(`{"grads ${site.kernel.kernel.name}", ${expectedShape(matmul, dtype)},\n` +
      `     ${at(`${name}.a`)}, ${at(`${name}.b`)}, ${at(c)}, [A](cudaStream_t s) { gemm${site.gemm}_generated(A, s); }},`);
    expect(body).toContain(`  L.begin(${site.index}, stream);\n  if (!L.library_gemm(${site.gemm}, stream)) gemm${site.gemm}_generated(A, stream);\n  L.end(stream);`);
    expect(body).toMatch(new RegExp(`static void gemm${site.gemm}_generated\\(const Arenas& A, cudaStream_t stream\\) \\{\n  ${site.source.name}<<<`));
  });

  it("the launch table names every launch, and the workspace arena holds cuBLASLt's workspace", () => {
    const rows = body.slice(body.indexOf("kLaunches[] = {")).split("\n").slice(1, 1 + programLaunches(program).length);
    expect(rows.filter((r) => r.includes('"matmul"')).map((r) => Number(/, (-?\d+)\},$/.exec(r)![1]))).toEqual([...gemms.keys()]);
    expect(workspaceArenaBytes(program)).toBe(Math.max(program.workspaceBytes, CUBLASLT_WORKSPACE_BYTES));
    expect(body).toContain(`constexpr uint64_t kWorkspaceBytes = ${workspaceArenaBytes(program)}ULL;`);
  });

  it("a site the tuning DB decided carries its choice: the generated kernel (-1) or a cuBLASLt algorithm", () => {
    const sites = (text: string) => [...text.matchAll(/\[A\]\(cudaStream_t s\) \{ gemm\d+_generated\(A, s\); \}(, -?\d+)?\},/g)].map((m) => m[1] ?? "");
    expect(sites(body)).toEqual(gemms.map(() => ""));
    const library = programBody(buildCudaProgram(module, cudaHooks(archFeatures("sm_90"), () => ({ cublaslt: 1 }) as never)));
    expect(sites(library)).toEqual(gemms.map(() => ", 1"));
    const generated = programBody(buildCudaProgram(module, cudaHooks(archFeatures("sm_90"), (space) => space.heuristic)));
    expect(sites(generated)).toEqual(gemms.map(() => ", -1"));
  });
});

describe.skipIf(!HAVE_NVCC)(HAVE_NVCC ? "the GEMM program built with nvcc" : `the GEMM program built with nvcc (skipped: ${NO_NVCC})`, () => {
  let binary = "";
  const build = () => {
    process.env["TRAINC_CACHE"] = join(dir, "cache");
    binary ||= buildProgram(gradsMain(program, graph, { B, T }), "sm_90", "grads").binary;
    return binary;
  };

  it("main.cu compiles and links; without its run file the program stops with a trainc error", () => {
    const r = run(build(), [join(dir, "missing", "run.json")]);
    expect(r.status).toBe(1);
    expect(printedError(r).code).toBe(6540);
  }, 300_000);

  it.skipIf(!HAVE_GPU)("on the GPU, generated kernels and cuBLASLt both give the interpreter's result exactly", () => {
    const params = gemmParameters(module);
    const want = interpret(graph, { ...params, ...Object.fromEntries(["input_ids", "labels", "position_ids"].map((n) => [n, zeros("i64", [B, T])])) });
    for (const mode of ["generated", "cublaslt"]) {
      const r = run(build(), [writeGemmRun(dir, params, mode)], { env: { TRAINC_GEMM: mode } });
      expect(r.status, r.stderr).toBe(0);
      const got = readSafetensors(join(dir, mode, "out.safetensors"));
      for (const [name, tensor] of Object.entries(want)) expect([...got[name]!.data], `${mode} ${name}`).toEqual([...tensor.data]);
    }
  }, 300_000);
});
