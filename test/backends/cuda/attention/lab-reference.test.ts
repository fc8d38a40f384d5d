// The attention lab's float64 reference kernels (bench/kernels/attention/reference.cuh) run on the CPU through the
// emulation in emu/ and agree with the interpreter on out, lse, dq, dk and dv, for every (batch, kv head) slice of
// small specs with GQA, causal and window masks, documents (segment ids) and Tq != Tk. The lab's verdict on the GPU rests on them.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { AttentionSpec } from "../../../../backends/cuda/attention/spec.ts";
import { relativeError } from "../../../harness/numeric.ts";
import { encode, makeInputs, referenceGrads, referenceLse, referenceOut } from "./reference.ts";

const HAVE_GXX = spawnSync("g++", ["--version"]).status === 0;
const HERE = import.meta.dirname;
const LAB = join(HERE, "..", "..", "..", "..", "bench", "kernels", "attention");

/** Loads inputs, runs the references over every slice, writes out, lse, dq, dk, dv (f64) in the tensors' layouts. */
const MAIN = String.raw`#include <cuda_bf16.h>
#include <fstream>
#include <iterator>
#include <string>
#include "reference.cuh"

template <typename T>
static std::vector<T> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), {});
  std::vector<T> v(raw.size() / sizeof(T));
  std::memcpy(v.data(), raw.data(), raw.size());
  return v;
}
static void save(const std::string& path, const std::vector<double>& v) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), v.size() * 8);
}

template <typename T>
static void run(const std::string& dir, const lab::Problem& p) {
  auto q = load<T>(dir + "/q"), k = load<T>(dir + "/k"), v = load<T>(dir + "/v"), dout = load<T>(dir + "/dout");
  auto seg = load<int>(dir + "/seg");
  const int group = p.Hq / p.Hk, D = p.D;
  std::vector<double> out((size_t)p.B * p.Tq * p.Hq * D), lse((size_t)p.B * p.Hq * p.Tq), dq(out.size());
  std::vector<double> dk((size_t)p.B * p.Tk * p.Hk * D), dv(dk.size());
  std::vector<double> o((size_t)p.Tq * D), g_lse((size_t)group * p.Tq), g_delta(g_lse.size()), g_dq(o.size());
  std::vector<double> s_dk((size_t)p.Tk * D), s_dv(s_dk.size());
  const emu_dim3 rows_q{(p.Tq + 7) / 8, 1, 1}, rows_k{(p.Tk + 7) / 8, 1, 1};
  for (int b = 0; b < p.B; ++b) {
    for (int kvh = 0; kvh < p.Hk; ++kvh) {
      for (int g = 0; g < group; ++g) {
        const int h = kvh * group + g;
        double* l = g_lse.data() + (size_t)g * p.Tq;
        emu::launch(rows_q, 256, 0, [&] {
          lab::ref_forward<T>(p, q.data(), k.data(), v.data(), seg.data(), b, h, o.data(), l);
        });
        emu::launch(rows_q, 256, 0, [&] {
          lab::ref_grad_q<T>(p, q.data(), k.data(), v.data(), dout.data(), seg.data(), b, h, l,
                             g_delta.data() + (size_t)g * p.Tq, g_dq.data());
        });
        for (int i = 0; i < p.Tq; ++i) {
          lse[((size_t)b * p.Hq + h) * p.Tq + i] = l[i];
          for (int d = 0; d < D; ++d) {
            out[(((size_t)b * p.Tq + i) * p.Hq + h) * D + d] = o[(size_t)i * D + d];
            dq[(((size_t)b * p.Tq + i) * p.Hq + h) * D + d] = g_dq[(size_t)i * D + d];
          }
        }
      }
      emu::launch(rows_k, 256, 0, [&] {
        lab::ref_grad_kv<T>(p, q.data(), k.data(), v.data(), dout.data(), seg.data(), b, kvh, g_lse.data(),
                            g_delta.data(), s_dk.data(), s_dv.data());
      });
      for (int j = 0; j < p.Tk; ++j) {
        for (int d = 0; d < D; ++d) {
          dk[(((size_t)b * p.Tk + j) * p.Hk + kvh) * D + d] = s_dk[(size_t)j * D + d];
          dv[(((size_t)b * p.Tk + j) * p.Hk + kvh) * D + d] = s_dv[(size_t)j * D + d];
        }
      }
    }
  }
  save(dir + "/out", out);
  save(dir + "/lse", lse);
  save(dir + "/dq", dq);
  save(dir + "/dk", dk);
  save(dir + "/dv", dv);
}

int main(int argc, char** argv) {
  const std::string dir = argv[1];
  int n[9];
  for (int i = 0; i < 9; ++i) n[i] = std::atoi(argv[2 + i]);
  const lab::Problem p{n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8], 0, 0, static_cast<float>(std::atof(argv[11]))};
  if (std::string(argv[12]) == "bf16") run<__nv_bfloat16>(dir, p);
  else run<float>(dir, p);
  return 0;
}
`;

const SPECS: [string, AttentionSpec][] = [
  ["f32 causal GQA window documents", { dtype: "f32", B: 2, Tq: 37, Tk: 37, Hq: 4, Hk: 2, D: 40, causal: true,
    scale: 0.3, window: 9, documents: true }],
  ["bf16 cross, rows that see nothing", { dtype: "bf16", B: 1, Tq: 30, Tk: 20, Hq: 2, Hk: 1, D: 64, causal: false,
    scale: 0.125, window: 12, documents: false }],
];

function values(bytes: Buffer): Float64Array {
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "lab reference kernels, emulated, against the interpreter"
  : "lab reference kernels: skipped, g++ is not installed on this machine", () => {
  let exe: string;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), "attn-lab-ref-"));
    writeFileSync(join(dir, "main.cpp"), MAIN);
    execFileSync("g++", ["-std=c++20", "-O1", "-pthread", "-w", "-I", join(HERE, "emu"), "-I", LAB, "main.cpp", "-o",
      "ref"], { cwd: dir, stdio: "pipe" });
    exe = join(dir, "ref");
  }, 120_000);

  it.each(SPECS)("%s", (_, s) => {
    const dir = mkdtempSync(join(tmpdir(), "attn-lab-ref-"));
    const x = makeInputs(s, 31);
    for (const [name, data] of [["q", x.q], ["k", x.k], ["v", x.v], ["dout", x.dout]] as const) {
      writeFileSync(join(dir, name), encode(s.dtype, data));
    }
    writeFileSync(join(dir, "seg"), encode("i32", x.seg ?? new Int32Array(s.B * s.Tq)));
    const dims = [s.B, s.Tq, s.Tk, s.Hq, s.Hk, s.D, Number(s.causal), s.window, Number(s.documents)].map(String);
    execFileSync(exe, [dir, ...dims, String(s.scale), s.dtype], { stdio: "pipe", timeout: 120_000 });
    const read = (name: string) => values(readFileSync(join(dir, name)));
    const [dq, dk, dv] = referenceGrads(s, x);
    expect(relativeError(read("out"), referenceOut(s, x)), "out").toBeLessThan(1e-6);
    expect(relativeError(read("lse"), referenceLse(s, x)), "lse").toBeLessThan(1e-6);
    expect(relativeError(read("dq"), dq!), "dq").toBeLessThan(1e-6);
    expect(relativeError(read("dk"), dk!), "dk").toBeLessThan(1e-6);
    expect(relativeError(read("dv"), dv!), "dv").toBeLessThan(1e-6);
  }, 120_000);
});
