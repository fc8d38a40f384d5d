// The runtime's small pieces: the JSON reader (valid documents read back as JSON.stringify writes them, every
// malformed one refused with its byte offset), BF16/F16 encoding against ir/tensor.ts's roundTo on random doubles
// (-0, which JSON cannot carry, is covered by safetensors.test.ts), the fast f32 -> BF16 path against the generic
// one, the startup messages, and the arena slot check.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeFloat } from "../../../../compiler/import/float-bits.ts";
import { makeRandom } from "../../../../compiler/random.ts";
import { roundTo } from "../../../../ir/tensor.ts";
import { build, HAVE_GXX, NO_GXX, run } from "./build.ts";

let tool = "";

describe.skipIf(!HAVE_GXX)(HAVE_GXX ? "runtime core" : `runtime core (skipped: ${NO_GXX})`, () => {
  beforeAll(() => {
    tool = build("g++", ["core-tool.cpp"], "core-tool");
  });

  describe("JSON reader", () => {
    const valid = [
      '{"a": [1, -2.5e3, 0.1, 1E+2, -0, 1e400, 1e-400, 123456789012345678901234], "b": {"c": null, "d": true, "e": false}}',
      '{"name": "model.layers.0.self_attn.q_proj.weight", "dtype": "BF16", "shape": [4096, 4096], "data_offsets": [0, 33554432]}',
      '"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0001 \\u00e9 \\u4e2d \\ud83d\\ude00"',
      '"raw UTF-8: é 中 😀 and a DEL \u007f"',
      " [ ] ",
      '{"nested": [[[{"x": [[]]}]]]}',
    ];
    it.each(valid)("reads %s as JSON.parse does", (text) => {
      const r = run(tool, ["json"], { input: text });
      expect(r.stdout).toBe(JSON.stringify(JSON.parse(text)) + "\n");
    });

    const invalid: [string, string | Uint8Array, string][] = [
      ["a trailing comma", "[1, 2,]", "unexpected character at byte 6"],
      ["a leading zero", "[01]", "expected ']' at byte 2"],
      ["a bare point", "[1.]", "malformed number at byte 3"],
      ["a plus sign", "[+1]", "unexpected character at byte 1"],
      ["an unterminated string", '{"a', "unterminated string"],
      ["a control character in a string", '"a\tb"', "control character in a string"],
      ["a bad escape", '"\\x"', "bad escape"],
      ["an unpaired surrogate", '"\\ud800"', "unpaired surrogate escape"],
      ["invalid UTF-8", Uint8Array.from([0x22, 0xc3, 0x28, 0x22]), "invalid UTF-8 at byte 1"],
      ["text after the value", "{} x", "unexpected text after the value at byte 3"],
      ["nesting deeper than 64", "[".repeat(100) + "]".repeat(100), "nesting deeper than 64"],
      ["nothing", "", "unexpected end of input at byte 0"],
      ["a misspelt literal", "[tru]", "unexpected character at byte 1"],
      ["NaN", "NaN", "unexpected character at byte 0"],
    ];
    it.each(invalid)("refuses %s", (_, text, message) => {
      const r = run(tool, ["json"], { input: text });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`error: ${message}`);
    });
  });

  it("encodes doubles as BF16 and F16 exactly as roundTo and encodeFloat do", () => {
    const random = makeRandom(3, 0);
    const edges = [0, 1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -40, 65504, 65519.99, 65520, 3.4e38, 3.5e38, 1e300, -1e300,
      2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -25 + 2 ** -60, 2 ** -133, 2 ** -134, 3 * 2 ** -134, 2 ** -140, 1e-320, -5e-324, 1 / 3];
    const values = [...edges, ...Array.from({ length: 20000 }, () => (random() < 0.5 ? -1 : 1) * random() * 2 ** Math.floor(random() * 300 - 150))];
    const r = run(tool, ["half"], { input: JSON.stringify(values) });
    const want = values.map((v) => `${encodeFloat(roundTo("bf16", v), 8, 7)} ${encodeFloat(roundTo("f16", v), 5, 10)}`);
    const got = r.stdout.trim().split("\n");
    const mismatches = values.map((v, i) => [v, want[i], got[i]]).filter(([, w, g]) => w !== g);
    expect(mismatches.slice(0, 5), `${mismatches.length} values differ (value, TypeScript, C++)`).toEqual([]);
    expect(got).toHaveLength(values.length);
  });

  it("rounds f32 to BF16 the same on the fast path, and every code survives decode then encode", () => {
    expect(run(tool, ["bf16-agrees"]).stdout).toBe("ok\n");
  });

  it("explains every startup failure and says what to change", () => {
    const lines = run(tool, ["messages"]).stdout.trim().split("\n").map((l) => l.split("\t"));
    expect(lines[0]).toEqual(["6531", "no NVIDIA driver is loaded on this machine, so the CUDA program cannot run",
      "run on a machine with an NVIDIA GPU and its driver (check nvidia-smi), or train with --target cpu"]);
    expect(lines[1]![1]).toBe("the NVIDIA driver supports CUDA up to 12.4, but this program was built with CUDA 13.0");
    expect(lines[2]!.slice(0, 2)).toEqual(["6531", "no CUDA device is available (no CUDA-capable device is detected)"]);
    expect(lines[3]!.slice(0, 2)).toEqual(["6532", "device 0 (GPU) has compute capability 8.0, below the sm_90 this program was built for"]);
    expect(lines[3]![2]).toContain("--arch sm_80");
    expect(lines[4]![1]).toBe("device 0 (GPU) has compute capability 10.0, but sm_90a code runs only on compute capability 9.0");
    expect(lines[5]).toEqual(["fits sm_90a on 9.0"]);
    expect(lines[6]).toEqual(["fits sm_90 on 12.0"]);
    expect(lines[7]).toEqual(["6533", "the program needs 70.2 GiB of device memory (predicted peak) but device 0 (NVIDIA H200) has 60.0 GiB free of 140.0 GiB",
      "lower micro_batch_size (now 4) or sequence_len (now 4096) and compile again, or free the GPU (80.0 GiB is in use: see nvidia-smi)"]);
    expect(lines[8]).toEqual(["fits"]);
  });

  it("accepts arena slots inside the arena and stops at others as a bug in the program", () => {
    expect(run(tool, ["slots", "1024", "768", "256"]).status).toBe(0);
    for (const [offset, bytes] of [["100", "8"], ["768", "257"], ["1280", "0"]]) {
      const r = run(tool, ["slots", "1024", offset!, bytes!]);
      expect(r.status).toBe(70);
      expect(r.stderr).toContain(`internal error`);
      expect(r.stderr).toContain(`slot 'grad.lm_head.weight' at offset ${offset}`);
    }
  });
});
