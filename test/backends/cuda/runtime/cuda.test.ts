// The CUDA half of the runtime with nvcc: every header builds for sm_90 into one program (compiled and linked; this
// machine has no GPU), and on a machine without a driver the program stops at its startup check with the message
// and exit status a user must see. On a GPU machine the same program must run through: a GEMM site chosen between
// a naive kernel and cuBLASLt, captured, replayed and profiled, with an exact result.
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { build, HAVE_NVCC, NO_NVCC, printedError, run } from "./build.ts";

const HAVE_GPU = existsSync("/dev/nvidiactl");
let program = "";

describe.skipIf(!HAVE_NVCC)(HAVE_NVCC ? "CUDA runtime headers" : `CUDA runtime headers (skipped: ${NO_NVCC})`, () => {
  beforeAll(() => {
    program = build("nvcc", ["cuda-smoke.cu"], "cuda-smoke", ["-Xcompiler", "-Wall,-Wextra,-Werror"]);
  });

  it.skipIf(HAVE_GPU)("stops at startup without a driver, saying so, with exit status 1", () => {
    const r = run(program, ["start"]);
    expect(r.status).toBe(1);
    expect(printedError(r)).toEqual({
      code: 6531, message: "no NVIDIA driver is loaded on this machine, so the CUDA program cannot run",
      fix: "run on a machine with an NVIDIA GPU and its driver (check nvidia-smi), or train with --target cpu",
    });
  });

  it.skipIf(!HAVE_GPU)("runs a captured and a profiled step on the GPU", () => {
    const r = run(program, ["start"]);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^cuBLASLt: (loaded|not loaded)/);
    const backend = /^cuBLASLt [0-9.]+: loaded /.test(lines[0]!) ? /^GEMMs: (1 on cuBLASLt, 0|0 on cuBLASLt, 1) generated/ : /^GEMMs: 0 on cuBLASLt, 1 generated/;
    expect(lines[1]).toMatch(backend);
    expect(lines.slice(2)).toEqual(["profiled scale_kernel on ''", `profiled naive_gemm on '${lines[1]!.includes("1 on cuBLASLt") ? "cublaslt" : "generated"}'`, "ok"]);
  });
});
