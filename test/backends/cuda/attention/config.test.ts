// Spec and config checks of the CUDA attention generators: every error code (5301-5307) with the culprit named,
// default configs valid for the specs the schedule will ask for, launch facts (grid, block, shared memory, flops,
// bytes, parameters) and kernel names that follow the content.

import { describe, expect, it } from "vitest";
import { TraincError } from "../../../../compiler/diagnostics.ts";
import {
  attentionBuffers, defaultBackwardConfig, defaultForwardConfig, loweringConfigs, renderAttentionBackward,
  renderAttentionForward, xformersConfigs,
} from "../../../../backends/cuda/attention/index.ts";
import { warpGrid } from "../../../../backends/cuda/attention/backward-mma.ts";
import { dqAccumulatorShape } from "../../../../backends/cuda/attention/backward-prep.ts";
import {
  computeRegisters, PRODUCER_THREADS, startRegisters,
} from "../../../../backends/cuda/attention/producer.ts";
import {
  forwardFlops, MAX_SHARED_BYTES, visiblePairs, type AttentionConfig, type AttentionSpec,
} from "../../../../backends/cuda/attention/spec.ts";

const llama: AttentionSpec = {
  dtype: "bf16", B: 4, Tq: 4096, Tk: 4096, Hq: 32, Hk: 8, D: 128, causal: true, scale: 1 / Math.sqrt(128), window: 0,
  documents: false,
};
const tiny: AttentionSpec = {
  dtype: "f32", B: 16, Tq: 32, Tk: 32, Hq: 4, Hk: 2, D: 16, causal: true, scale: 0.25, window: 0, documents: true,
};

function errorOf(f: () => unknown): TraincError {
  try {
    f();
  } catch (e) {
    if (e instanceof TraincError) return e;
    throw e;
  }
  throw new Error("expected a TraincError");
}

describe("attention spec checks", () => {
  const cases: [string, Partial<AttentionSpec> | Record<string, unknown>, number, RegExp][] = [
    ["dtype f8e4m3", { dtype: "f8e4m3" }, 5301, /bf16, f16 or f32, not f8e4m3/],
    ["f16 head dim 96", { dtype: "f16", D: 96 }, 5302, /f16 tensor-core kernels take head dim 64 or 128, not 96/],
    ["bf16 head dim 96", { D: 96 }, 5302, /head dim 64 or 128, not 96/],
    ["f32 head dim 20", { dtype: "f32", D: 20 }, 5302, /multiple of 8 up to 256, not 20/],
    ["f32 head dim 264", { dtype: "f32", D: 264 }, 5302, /not 264/],
    ["GQA 32 / 6", { Hk: 6 }, 5303, /32 query heads are not a multiple of 6/],
    ["B = 0", { B: 0 }, 5303, /B = 0 is not a positive integer/],
    ["symbolic T", { Tq: 4096.5 }, 5303, /Tq = 4096.5/],
    ["causal Tq != Tk", { Tk: 2048 }, 5304, /causal attention need as many keys/],
    ["documents Tq != Tk", { causal: false, documents: true, Tk: 2048 }, 5304, /documents need as many keys/],
    ["scale 0", { scale: 0 }, 5305, /scale 0 must be positive/],
    ["window -1", { window: -1 }, 5305, /window -1/],
  ];
  it.each(cases)("%s", (_, change, code, message) => {
    const e = errorOf(() => renderAttentionForward({ ...llama, ...change } as AttentionSpec));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message).toContain("attention");
    expect(e.fix).toBeTruthy();
  });

  it("accepts non-causal attention with Tq != Tk and a window", () => {
    expect(() => renderAttentionForward({ ...llama, causal: false, Tk: 1000, window: 256 })).not.toThrow();
  });
});

describe("attention config checks", () => {
  const bad: [string, AttentionSpec, "forward" | "backward", AttentionConfig, number, RegExp][] = [
    ["bf16 forward 3 warps", llama, "forward", { Br: 96, Bc: 64, warps: 3 }, 5306, /warps must be 1, 2, 4 or 8/],
    ["bf16 forward 48 rows per warp", llama, "forward", { Br: 192, Bc: 64, warps: 4 }, 5306, /16 or 32 rows/],
    ["bf16 forward Bc 24", llama, "forward", { Br: 128, Bc: 24, warps: 4 }, 5306, /multiple of 16/],
    ["bf16 forward too many accumulators", llama, "forward", { Br: 128, Bc: 128, warps: 4 }, 5306, /accumulators/],
    ["bf16 forward 1 warp at D 128", llama, "forward", { Br: 32, Bc: 64, warps: 1 }, 5306, /multiples of 2/],
    ["bf16 backward Bc 32", llama, "backward", { Br: 64, Bc: 32, warps: 8 }, 5306, /Bc must be 64 or 128/],
    ["bf16 backward 2 warps", llama, "backward", { Br: 64, Bc: 64, warps: 2 }, 5306, /warps must be 4 or 8/],
    ["bf16 backward too many accumulators", llama, "backward", { Br: 128, Bc: 128, warps: 8 }, 5306,
      /256 f32 accumulators/],
    ["wgmma backward Br 128 at D 128", llama, "backward", { Br: 128, Bc: 128, warps: 8, mainloop: "wgmma" }, 5306,
      /256 f32 accumulators/],
    ["wgmma backward Br 128 on one warpgroup", { ...llama, D: 64 }, "backward",
      { Br: 128, Bc: 64, warps: 4, mainloop: "wgmma" }, 5306, /Br must be 64, or 128 with two warpgroups/],
    ["wgmma backward 16 warps", llama, "backward", { Br: 64, Bc: 256, warps: 16, mainloop: "wgmma" }, 5306,
      /one or two warpgroups/],
    ["wgmma backward Bc 64 on 8 warps", llama, "backward", { Br: 64, Bc: 64, warps: 8, mainloop: "wgmma" }, 5306,
      /64 keys per warpgroup/],
    ["f32 forward 5 rows per lane", tiny, "forward", { Br: 80, Bc: 32, warps: 4 }, 5306, /1 to 4 rows/],
    ["f32 backward Br != 4 warps", tiny, "backward", { Br: 32, Bc: 16, warps: 4 }, 5306, /4 \* warps/],
    ["f32 forward shared memory", { ...tiny, D: 256 }, "forward", { Br: 128, Bc: 128, warps: 16 }, 5307,
      /bytes of shared memory/],
  ];
  it.each(bad)("%s", (_, spec, pass, config, code, message) => {
    const render = pass === "forward" ? () => renderAttentionForward(spec, config)
      : () => renderAttentionBackward(spec, config);
    const e = errorOf(render);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`Br=${config.Br} Bc=${config.Bc} warps=${config.warps}`);
  });

  const specs: AttentionSpec[] = [
    llama, { ...llama, D: 64 }, { ...llama, Hk: 32, Tq: 1024, Tk: 1024, B: 16 },
    { ...llama, documents: true, window: 4096 },
    { ...llama, causal: false, Tq: 77, Tk: 130 }, tiny, { ...tiny, D: 256, documents: false }, { ...tiny, D: 8 },
  ];
  it.each(specs.map((s) => [`${s.dtype} D=${s.D} T=${s.Tq}x${s.Tk}`, s] as const))("defaults render: %s", (_, s) => {
    expect(() => renderAttentionForward(s, defaultForwardConfig(s))).not.toThrow();
    expect(() => renderAttentionBackward(s, defaultBackwardConfig(s))).not.toThrow();
    expect(() => renderAttentionBackward(s, defaultBackwardConfig(s, true))).not.toThrow();
  });

  it("the bf16 backward takes wgmma where the arch has it; f32 keeps its SIMT kernel", () => {
    expect(defaultBackwardConfig(llama, true)).toEqual(
      { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true, dqBlocked: true });
    expect(defaultBackwardConfig(llama).mainloop).toBeUndefined();
    expect(defaultBackwardConfig(tiny, true)).toEqual(defaultBackwardConfig(tiny));
    const wgmma = renderAttentionBackward(llama, defaultBackwardConfig(llama, true));
    expect(wgmma.map((k) => k.name.replace(/_[0-9a-f]{12}$/, ""))).toEqual(
      ["attn_bwd_prep", "attn_bwd_wgmma", "attn_bwd_dq"]);
    expect(wgmma[1]!.params).toEqual(renderAttentionBackward(llama)[1]!.params);
    expect(wgmma[1]!.block).toEqual([384, 1, 1]);
    // 1024 bytes of alignment slack, K and V, Q, dO and dS double-buffered, lse and delta double-buffered, five
    // mbarriers; on a 128-byte boundary, two stages of each computing warpgroup's 64 x 64 f32 dQ piece.
    const tiles = 2 * 128 * 128 * 2 + 4 * 64 * 128 * 2 + 2 * 128 * 64 * 2 + 4 * 64 * 4 + 5 * 8;
    expect(wgmma[1]!.sharedBytes).toBe(1024 + Math.ceil(tiles / 128) * 128 + 2 * 2 * 64 * 64 * 4);
  });

  it("dqBlocked: dq_accum in 64 x 64 blocks (rows padded), one or two staging stages, only in the wgmma backward", () => {
    const ragged = { ...llama, Tq: 1000, Tk: 1000 };
    const blocked: AttentionConfig = { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma", dqBlocked: true };
    expect(dqAccumulatorShape(ragged, blocked)).toEqual([4, 32, 16, 2, 4096]);
    expect(dqAccumulatorShape(ragged, { ...blocked, dqBlocked: undefined })).toEqual([4, 1000, 32, 128]);
    expect(attentionBuffers(ragged).find((b) => b.name === "dq_accum")!.shape).toEqual([4 * 32 * 1024 * 128]);
    const [prep, main, epilogue] = renderAttentionBackward(ragged, blocked);
    expect(prep!.code).toContain(`constexpr long long ZERO_CHUNKS = ${4 * 32 * 1024 * 128 / 4};`);
    expect(main!.code).toContain("bulk_reduce_add(dq_accum + at * 64 * 64, staging, 64 * DQ_N * 4);");
    expect(main!.code).not.toContain("red_add_f32x4");
    expect(main!.code).toContain("constexpr int DQ_STAGES = 2;");
    expect(epilogue!.code).toContain("constexpr int Q_BLOCKS = 16;");
    const d64 = renderAttentionBackward({ ...ragged, D: 64 }, defaultBackwardConfig({ ...ragged, D: 64 }, true))[1]!;
    expect(d64.code).toContain("constexpr int DQ_STAGES = 1;");
    expect(d64.sharedBytes).toBeLessThanOrEqual(MAX_SHARED_BYTES);
    expect(errorOf(() => renderAttentionBackward({ ...llama, D: 64 }, blocked)).message)
      .toMatch(/32 dQ columns must be whole blocks of 64/);
    expect(errorOf(() => renderAttentionBackward(llama, { Br: 64, Bc: 128, warps: 8, dqBlocked: true })).message)
      .toMatch(/blocked dQ accumulator exists only in the 16-bit wgmma backward/);
    expect(errorOf(() => renderAttentionForward(llama, { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma",
      producer: true, dqBlocked: true })).code).toBe(5306);
    expect(errorOf(() => renderAttentionBackward(tiny, { Br: 32, Bc: 32, warps: 8, dqBlocked: true })).code).toBe(5306);
  });

  it("queryStages: three query-tile buffers and one dQ staging buffer fit at d = 128, only with a producer", () => {
    const three: AttentionConfig = { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true, dqBlocked: true,
      queryStages: 3 };
    const main = renderAttentionBackward(llama, three)[1]!;
    expect(main.code).toContain("constexpr int STAGES = 3;");
    expect(main.code).toContain("constexpr int DQ_STAGES = 1;");
    expect(main.code).toContain("half_t* tdS = sdS + (t % DS_STAGES) * BC * BR;");
    expect(main.sharedBytes).toBeLessThanOrEqual(MAX_SHARED_BYTES);
    expect(renderAttentionBackward(llama, { ...three, queryStages: undefined })[1]!.code)
      .toContain("constexpr int STAGES = 2;");
    expect(errorOf(() => renderAttentionBackward(llama, { ...three, producer: undefined, warps: 8 })).message)
      .toMatch(/query stages are set only in the wgmma backward with a producer warpgroup/);
    expect(errorOf(() => renderAttentionForward(llama, { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma",
      producer: true, queryStages: 3 })).code).toBe(5306);
  });

  it("picks square warp tiles for the backward products", () => {
    expect(warpGrid(64, 128, 8)).toEqual([2, 4]);
    expect(warpGrid(128, 128, 8)).toEqual([4, 2]);
    expect(warpGrid(16, 16, 8)).toBeUndefined();
  });
});

describe("attention launch facts", () => {
  it("forward: grid over query tiles, heads, batch; out and lse outputs; causal flops", () => {
    const k = renderAttentionForward(llama);
    expect(k.grid).toEqual([32, 32, 4]);
    expect(k.block).toEqual([128, 1, 1]);
    expect(k.sharedBytes).toBe(128 * 128 * 2 + 2 * 64 * 128 * 2);
    expect(k.params.map((p) => `${p.name}:${p.dtype}:${p.access}`)).toEqual(
      ["q:bf16:read", "k:bf16:read", "v:bf16:read", "out:bf16:write", "lse:f32:write"]);
    expect(k.flops).toBe(4 * 4 * 32 * 128 * (4096 * 4097) / 2);
    const q = 4 * 4096 * 32 * 128;
    expect(k.bytes).toBe((2 * q + 2 * q / 4) * 2 + 4 * 32 * 4096 * 4);
  });

  it("visible pairs follow causal and window masking", () => {
    expect(visiblePairs({ ...tiny, Tq: 5, Tk: 5 })).toBe(15);
    expect(visiblePairs({ ...tiny, Tq: 5, Tk: 5, window: 2 })).toBe(9);
    expect(visiblePairs({ ...tiny, Tq: 3, Tk: 4, causal: false, window: 0 })).toBe(12);
    expect(visiblePairs({ ...tiny, Tq: 6, Tk: 2, causal: false, window: 2 })).toBe(5);
  });

  it("backward: prep, main, dq epilogue for bf16; prep and main for f32; extra buffers named", () => {
    const bf16 = renderAttentionBackward(llama);
    expect(bf16.map((k) => k.name.replace(/_[0-9a-f]{12}$/, ""))).toEqual(["attn_bwd_prep", "attn_bwd", "attn_bwd_dq"]);
    expect(bf16[1]!.grid).toEqual([8, 4, 32]);
    expect(bf16[1]!.code).toContain("const int k0 = static_cast<int>(blockIdx.z) * BC;");
    expect(bf16[1]!.flops).toBe(2.5 * forwardFlops(llama));
    expect(bf16[1]!.params.map((p) => p.name)).toEqual(
      ["q", "k", "v", "dout", "lse", "delta", "dq_accum", "dk", "dv"]);
    const f32 = renderAttentionBackward(tiny);
    expect(f32.map((k) => k.name.replace(/_[0-9a-f]{12}$/, ""))).toEqual(["attn_bwd_prep", "attn_bwd"]);
    expect(f32[1]!.params.map((p) => p.name)).toEqual(
      ["q", "k", "v", "dout", "lse", "delta", "ranges", "dq", "dk", "dv"]);
    expect(attentionBuffers(llama).map((b) => `${b.name}[${b.shape.join(",")}]:${b.role}`)).toEqual(
      ["lse[4,32,4096]:forward-output", "delta[4,32,4096]:scratch", `dq_accum[${4 * 4096 * 32 * 128}]:scratch`]);
    expect(attentionBuffers(tiny).map((b) => b.name)).toEqual(["lse", "delta"]);
  });

  it("backward launch order: key tiles slowest up to 64 key tiles per head under a causal mask, else heads", () => {
    const long = { ...llama, B: 1, Tq: 16384, Tk: 16384 };
    expect(renderAttentionBackward(long)[1]!.grid).toEqual([128, 8, 1]);
    expect(renderAttentionBackward(long)[1]!.code).toContain("const int k0 = static_cast<int>(blockIdx.x) * BC;");
    expect(renderAttentionBackward({ ...llama, causal: false })[1]!.grid).toEqual([32, 8, 4]);
  });

  it("backward launch order with the blocked dQ writer: key tiles slowest only below 2048 blocks", () => {
    const writer = defaultBackwardConfig(llama, true);
    expect(writer.dqBlocked).toBe(true);
    // B x Hk x key tiles = 4 x 8 x 32 = 1024 blocks: longest first; 4 x 32 x 32 = 4096 (no GQA): head by head.
    expect(renderAttentionBackward(llama, writer)[1]!.grid).toEqual([8, 4, 32]);
    expect(renderAttentionBackward({ ...llama, Hk: 32 }, writer)[1]!.grid).toEqual([32, 32, 4]);
    expect(renderAttentionBackward({ ...llama, Hk: 32 })[1]!.grid).toEqual([32, 4, 32]);
    expect(renderAttentionBackward({ ...llama, prefix: true, causal: false, documents: true }, writer)[1]!.grid)
      .toEqual([8, 4, 32]);
  });

  it("xformers: its own tiles, never wgmma, a split per key tile unless B x Hq >= 256 over at most two key tiles", () => {
    expect(xformersConfigs(llama)).toEqual({
      forward: { Br: 64, Bc: 128, warps: 4 }, backward: { Br: 64, Bc: 64, warps: 4, keySplits: 64 },
    });
    const short = { ...llama, B: 8, Tq: 128, Tk: 128, D: 64 };
    expect(xformersConfigs(short).backward.keySplits).toBe(1);
    expect(xformersConfigs(short).forward).toEqual({ Br: 64, Bc: 64, warps: 4 });
    expect(loweringConfigs(llama, "xformers", true)).toEqual(xformersConfigs(llama));
    expect(loweringConfigs(llama, "flash", true).backward.mainloop).toBe("wgmma");
    const main = renderAttentionBackward(short, xformersConfigs(short).backward)[1]!;
    expect(main.grid).toEqual([1, 8, 8]);
    expect(main.code).toContain("for (int k0 = static_cast<int>(blockIdx.x) * BC; k0 < TK; k0 += KEY_SPLITS * BC) {");
    expect(xformersConfigs(tiny)).toEqual({ forward: defaultForwardConfig(tiny), backward: defaultBackwardConfig(tiny) });
  });

  it("refuses key splits outside the 16-bit mma.sync backward, or more splits than key tiles (5306)", () => {
    const splits = { Br: 64, Bc: 64, warps: 4, keySplits: 2 };
    expect(errorOf(() => renderAttentionForward(llama, splits)).message).toMatch(/key splits exist only in the 16-bit/);
    expect(errorOf(() => renderAttentionBackward(llama, { ...splits, warps: 8, mainloop: "wgmma" })).code).toBe(5306);
    expect(errorOf(() => renderAttentionBackward(tiny, { Br: 32, Bc: 32, warps: 8, keySplits: 1 })).code).toBe(5306);
    expect(errorOf(() => renderAttentionBackward(llama, { ...splits, keySplits: 65 })).message)
      .toMatch(/keySplits must be an integer from 1 to the 64 key tiles/);
  });

  it("names are content hashes: same spec, same kernel; any change, a new name", () => {
    const a = renderAttentionForward(llama);
    expect(renderAttentionForward({ ...llama }).name).toBe(a.name);
    expect(a.code).toContain(`extern "C" __global__ void __launch_bounds__(128, 2) ${a.name}(`);
    expect(a.code).toContain(`namespace ${a.name}_detail {`);
    const names = new Set([a, renderAttentionForward({ ...llama, Tq: 4095, Tk: 4095 }),
      renderAttentionForward({ ...llama, scale: 0.1 }), renderAttentionForward(llama, { Br: 128, Bc: 32, warps: 4 })]
      .map((k) => k.name));
    expect(names.size).toBe(4);
  });
});

describe("producer warpgroup register split (setmaxnreg)", () => {
  // setmaxnreg.inc waits until the registers it asks for are free: the computing threads may take no more than the
  // producer's setmaxnreg.dec gave back from the launch-bounds allocation (a larger ask hangs the kernel).
  it.each([[1, 24, true], [2, 24, true], [1, 40, true], [2, 40, true], [1, 56, false], [2, 56, false],
    [2, 96, false]] as const)(
    "%i computing warpgroups, producer at %i registers", (groups, registers, rolled) => {
      const start = startRegisters(groups);
      const compute = computeRegisters(groups, { registers, rolled });
      expect(compute % 8).toBe(0);
      expect(compute).toBeLessThanOrEqual(240);
      expect((compute - start) * groups * 128).toBeLessThanOrEqual((start - registers) * PRODUCER_THREADS);
      expect(compute * groups * 128 + registers * PRODUCER_THREADS).toBeLessThanOrEqual(65536);
    });

  it("refuses a producer warpgroup outside the 16-bit wgmma kernels (5306)", () => {
    const e = errorOf(() => renderAttentionForward(llama, { Br: 128, Bc: 64, warps: 12, producer: true }));
    expect(e.code).toBe(5306);
    expect(e.message).toMatch(/producer warpgroup needs the 16-bit wgmma kernels/);
    expect(errorOf(() => renderAttentionBackward(tiny, { Br: 32, Bc: 32, warps: 12, producer: true })).code).toBe(5306);
  });

  it("gives two computing warpgroups 224 registers beside the forward's producer and 240 beside the backward's", () => {
    expect(computeRegisters(2, { registers: 56, rolled: false })).toBe(224);
    expect(computeRegisters(2, { registers: 24, rolled: true })).toBe(240);
  });
});
