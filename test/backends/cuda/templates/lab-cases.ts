// The cases of the anchor-template lab (lab.ts): every distinct template kernel of the tiny-llama train step (f32 and
// bf16, B=16, T=32, as examples/tiny-llama/config.yml trains), plus hand-built kernels for the ops, dtypes and code
// paths it lacks: long rows up to a 128256 vocabulary, lines along inner axes, multi-tile scans, vector widths from 1
// to 16 bytes, rows of -inf and +inf, operands read through a reshape or twice, every rope type and both branches of
// the batch-dependent ones, in-place AdamW, both lerp branches and a step the loss scaler skips, list overflow in
// embedding_grad, and one case per device error with the exact position, value and bound it must record.
// Invariant: deterministic: the same cases and data on every machine.

import { GraphBuilder } from "../../../../ir/builder.ts";
import type { DType } from "../../../../ir/dtype.ts";
import type { Attrs } from "../../../../ir/graph.ts";
import type { LabCase } from "./lab.ts";
import { describeKernel, inputsFor, kernelOf, tinyLlamaKernels } from "./lab-inputs.ts";

type Overrides = Readonly<Record<number, readonly number[]>>;

function plain(name: string, kernel: LabCase["kernel"], overrides: Overrides = {}): LabCase {
  return { name, kernel, inputs: inputsFor(kernel, name, overrides) };
}

function failing(name: string, kernel: LabCase["kernel"], overrides: Overrides, error: NonNullable<LabCase["error"]>): LabCase {
  return { ...plain(name, kernel, overrides), error };
}

const ROPE: Readonly<Record<string, Attrs>> = {
  dynamic: { dim: 8, rope_type: "dynamic", theta: 10000, factor: 2, max_position_embeddings: 16 },
  longrope: { dim: 8, rope_type: "longrope", theta: 10000, factor: 4, original_max_position_embeddings: 16,
    max_position_embeddings: 64, short_factor: [1, 1.05, 1.2, 1.4], long_factor: [1, 1.5, 3, 6] },
  yarn: { dim: 8, rope_type: "yarn", theta: 10000, factor: 4, original_max_position_embeddings: 16,
    max_position_embeddings: 64, beta_fast: 4, beta_slow: 0.25 },
  llama3: { dim: 16, rope_type: "llama3", theta: 100, factor: 4, original_max_position_embeddings: 256,
    max_position_embeddings: 1024, low_freq_factor: 2, high_freq_factor: 8 },
  linear: { dim: 6, rope_type: "linear", theta: 10000, factor: 2, max_position_embeddings: 64 },
};

const ramp = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

function rowCases(): LabCase[] {
  const infinite = [...ramp(64).map((i) => Math.sin(i)), ...ramp(64).map(() => -Infinity),
    ...ramp(64).map((i) => (i % 2 ? -Infinity : i / 10)), ...ramp(64).map((i) => (i === 5 ? Infinity : i))];
  return [
    plain("softmax f32 [4,1000] warp, cached", kernelOf("softmax", [["f32", [4, 1000]]])),
    plain("softmax bf16 [3,50257] block, scalar loads", kernelOf("softmax", [["bf16", [3, 50257]]])),
    plain("softmax f16 [2,4096] 64 threads, cached", kernelOf("softmax", [["f16", [2, 4096]]])),
    plain("softmax f32 [2,5,7] axis 1, lines", kernelOf("softmax", [["f32", [2, 5, 7]]], { axis: 1 })),
    plain("softmax f64 [3,33]", kernelOf("softmax", [["f64", [3, 33]]])),
    plain("softmax f32 [4,64] rows with -inf and +inf", kernelOf("softmax", [["f32", [4, 64]]]), { 0: infinite }),
    plain("logsumexp f32 [6,128256]", kernelOf("logsumexp", [["f32", [6, 128256]]])),
    plain("logsumexp bf16 [5,3,4] axis 0 keepdims", kernelOf("logsumexp", [["bf16", [5, 3, 4]]], { axis: 0, keepdims: true })),
    plain("logsumexp f32 [4,64] rows with -inf and +inf", kernelOf("logsumexp", [["f32", [4, 64]]]), { 0: infinite }),
    plain("cross_entropy f32 [4,128256]", kernelOf("cross_entropy", [["f32", [4, 128256]], ["i64", [4]]])),
    plain("cross_entropy bf16 [8,1000] i32 labels", kernelOf("cross_entropy", [["bf16", [8, 1000]], ["i32", [8]]])),
    failing("cross_entropy label out of range", kernelOf("cross_entropy", [["f32", [4, 50]], ["i64", [4]]]),
      { 1: [3, -100, 77, 5] }, { code: 6111, position: 2, value: 77, bound: 50 }),
    plain("cross_entropy_grad bf16 [4,128256]",
      kernelOf("cross_entropy_grad", [["bf16", [4, 128256]], ["i64", [4]], ["f32", [4]]])),
    plain("cross_entropy_grad f32 [2,8,18] logits via reshape",
      kernelOf("cross_entropy_grad", [["f32", [2, 8, 18]], ["i64", [2, 8]], ["f32", [2, 8]]], {}, [[16, 18]])),
    failing("cross_entropy_grad label out of range",
      kernelOf("cross_entropy_grad", [["f32", [3, 40]], ["i32", [3]], ["f32", [3]]]),
      { 1: [1, 40, 2] }, { code: 6111, position: 1, value: 40, bound: 40 }),
  ];
}

function scanAndCopyCases(): LabCase[] {
  const twice = new GraphBuilder("k_concat");
  const a = twice.input("x0", "f32", [4, 6]);
  twice.output("y0", twice.op("concat", [a, a], { axis: 0 }));
  return [
    plain("cumsum i32 [3,1000] axis 1", kernelOf("cumsum", [["i32", [3, 1000]]], { axis: 1 })),
    plain("cumsum i64 [2,5000] reverse exclusive, 5 tiles",
      kernelOf("cumsum", [["i64", [2, 5000]]], { axis: -1, reverse: true, exclusive: true })),
    plain("cumsum f32 [2,300,3] axis 1 reverse exclusive, lines",
      kernelOf("cumsum", [["f32", [2, 300, 3]]], { axis: 1, reverse: true, exclusive: true })),
    plain("cumsum bf16 [4,2048] 2 tiles", kernelOf("cumsum", [["bf16", [4, 2048]]], { axis: 1 })),
    plain("cumsum u8 [2,40] wraps", kernelOf("cumsum", [["u8", [2, 40]]], { axis: 1 })),
    plain("segment_ids i64 [4,2048] 2 tiles", kernelOf("segment_ids", [["i64", [4, 2048]]])),
    plain("segment_ids i32 [2,7]", kernelOf("segment_ids", [["i32", [2, 7]]])),
    plain("document_ranges i32 [4,2048]", kernelOf("document_ranges", [["i32", [4, 2048]]])),
    plain("document_ranges i64 [2,7]", kernelOf("document_ranges", [["i64", [2, 7]]])),
    plain("block_mask causal [2,1000]", kernelOf("block_mask", [["i32", [2, 1000, 2]]])),
    plain("block_mask window 300 [1,5000]", kernelOf("block_mask", [["i32", [1, 5000, 2]]], { window: 300 })),
    plain("block_mask not causal [1,300]", kernelOf("block_mask", [["i32", [1, 300, 2]]], { causal: false })),
    plain("block_mask prefix-LM [2,700]", kernelOf("block_mask", [["i32", [2, 700, 4]]], { causal: false })),
    plain("prefix_lm_ranges [3,1500]", kernelOf("prefix_lm_ranges", [["i32", [3, 1500, 2]], ["i32", [3, 1500]]])),
    plain("concat f32 3 parts axis 1, 16-byte words",
      kernelOf("concat", [["f32", [2, 3, 8]], ["f32", [2, 5, 8]], ["f32", [2, 1, 8]]], { axis: 1 })),
    plain("concat bf16 [3,5]+[3,3] axis -1, 2-byte words", kernelOf("concat", [["bf16", [3, 5]], ["bf16", [3, 3]]], { axis: -1 })),
    plain("concat u8 [4,16]+[4,32] axis 1", kernelOf("concat", [["u8", [4, 16]], ["u8", [4, 32]]], { axis: 1 })),
    plain("concat i64 [2,3]+[1,3] axis 0", kernelOf("concat", [["i64", [2, 3]], ["i64", [1, 3]]], { axis: 0 })),
    plain("concat of one operand twice", { name: "k_concat", kind: "concat", graph: twice.build() }),
    plain("gather f32 [5,7,6] axis 1 by i64 [2,3]", kernelOf("gather", [["f32", [5, 7, 6]], ["i64", [2, 3]]], { axis: 1 })),
    plain("gather bf16 [10,64] axis 0 by i32 [7]", kernelOf("gather", [["bf16", [10, 64]], ["i32", [7]]], { axis: 0 })),
    plain("gather i64 [12] by i64 [3,2]", kernelOf("gather", [["i64", [12]], ["i64", [3, 2]]], { axis: 0 })),
    failing("gather index -1", kernelOf("gather", [["f32", [5, 7, 6]], ["i64", [2, 3]]], { axis: 1 }),
      { 1: [0, 6, 3, 2, -1, 1] }, { code: 6121, position: 4, value: -1, bound: 7 }),
    plain("embedding bf16 [1000,256] by i64 [4,64]", kernelOf("embedding", [["bf16", [1000, 256]], ["i64", [4, 64]]])),
    failing("embedding id out of range", kernelOf("embedding", [["f32", [20, 16]], ["i64", [2, 5]]]),
      { 1: [0, 1, 2, 3, 4, 5, 6, 25, 8, 9] }, { code: 6110, position: 7, value: 25, bound: 20 }),
  ];
}

function modelCases(): LabCase[] {
  const tables = (attrs: Attrs, dtype: string, shape: readonly number[]) =>
    kernelOf("rope_tables", [["i64", shape]], { ...attrs, dtype });
  const cosOnly = new GraphBuilder("k_rope_tables");
  const [cos] = cosOnly.ops("rope_tables", [cosOnly.input("x0", "i32", [3, 5])], { ...ROPE["yarn"]!, dtype: "f32" });
  cosOnly.output("y0", cos!);
  const pad = Array.from({ length: 10000 }, (_, i) => (i % 10 === 0 ? (i * 7) % 100 : 3));
  return [
    plain("rope_tables dynamic f32, seq_len 24 > 16", tables(ROPE["dynamic"]!, "f32", [2, 24]), { 0: [...ramp(24), ...ramp(24, 10)] }),
    plain("rope_tables dynamic f32, seq_len 8 <= 16", tables(ROPE["dynamic"]!, "f32", [2, 8]), { 0: [...ramp(8), ...ramp(8)] }),
    plain("rope_tables longrope bf16, long factors", tables(ROPE["longrope"]!, "bf16", [2, 20]), { 0: [...ramp(20), ...ramp(20, 3)] }),
    plain("rope_tables longrope f32, short factors", tables(ROPE["longrope"]!, "f32", [2, 16]), { 0: [...ramp(16), ...ramp(16)] }),
    plain("rope_tables yarn f32", tables(ROPE["yarn"]!, "f32", [2, 8])),
    plain("rope_tables llama3 f64", tables(ROPE["llama3"]!, "f64", [2, 300]), { 0: [...ramp(300), ...ramp(300, 500)] }),
    plain("rope_tables linear f32", tables(ROPE["linear"]!, "f32", [3, 7])),
    plain("rope_tables yarn cos only", { name: "k_rope_tables", kind: "rope_tables", graph: cosOnly.build() }),
    plain("rope bf16 [2,16,4,64]", kernelOf("rope", [["bf16", [2, 16, 4, 64]], ["bf16", [2, 16, 64]], ["bf16", [2, 16, 64]]])),
    plain("rope f64 [1,3,2,8]", kernelOf("rope", [["f64", [1, 3, 2, 8]], ["f64", [1, 3, 8]], ["f64", [1, 3, 8]]])),
    plain("rope f32 [2,3,1,6] odd half", kernelOf("rope", [["f32", [2, 3, 1, 6]], ["f32", [2, 3, 6]], ["f32", [2, 3, 6]]])),
    plain("embedding_grad f32 V=300 C=64", kernelOf("embedding_grad", [["i64", [4, 512]], ["f32", [4, 512, 64]]], { num_embeddings: 300 })),
    plain("embedding_grad bf16 pad-heavy, list overflow",
      kernelOf("embedding_grad", [["i32", [10000]], ["bf16", [10000, 48]]], { num_embeddings: 100 }), { 0: pad }),
    plain("embedding_grad f64 C=3", kernelOf("embedding_grad", [["i64", [2, 9]], ["f64", [2, 9, 3]]], { num_embeddings: 10 })),
    failing("embedding_grad id out of range", kernelOf("embedding_grad", [["i64", [64]], ["f32", [64, 8]]], { num_embeddings: 30 }),
      { 0: ramp(64).map((i) => (i === 10 ? 1000 : i % 30)) }, { code: 6110, position: 10, value: 1000, bound: 30 }),
  ];
}

function optimizerCases(): LabCase[] {
  const adamw = (dtypes: readonly DType[], n: number, attrs: Attrs = {}, skip = false) => kernelOf("adamw",
    [...dtypes.slice(0, 4).map((d) => [d, [n]] as const), [dtypes[4]!, []], ["i64", []], [dtypes[4]!, []],
      ...(skip ? [["bool", []] as const] : [])], attrs);
  const schedule = (attrs: Attrs) => kernelOf("lr_schedule", [["i64", []]], attrs);
  const cosine = { schedule: "cosine", lr: 3e-3, warmup_steps: 20, total_steps: 2000 };
  return [
    plain("adamw bf16 params, f32 state [4096]", adamw(["bf16", "bf16", "f32", "f32", "f32"], 4096, { weight_decay: 0.01 })),
    plain("adamw f64, beta1 0.3 (lerp from g)", adamw(["f64", "f64", "f64", "f64", "f64"], 999, { beta1: 0.3, weight_decay: 0.1 })),
    { ...plain("adamw f32 [1000] in place", adamw(["f32", "f32", "f32", "f32", "f32"], 1000, { weight_decay: 0.01 })),
      inPlace: { 0: 0, 1: 2, 2: 3 } },
    plain("adamw f32 [500], skipped by the loss scaler", adamw(["f32", "f32", "f32", "f32", "f32"], 500, {}, true), { 7: [1] }),
    plain("adamw f32 [500], not skipped", adamw(["f32", "f32", "f32", "f32", "f32"], 500, {}, true), { 7: [0] }),
    failing("adamw step 0", adamw(["f32", "f32", "f32", "f32", "f32"], 64), { 5: [0] },
      { code: 6120, position: 0, value: 0, bound: 1 }),
    plain("lr_schedule cosine f32 in warmup", schedule(cosine), { 0: [5] }),
    plain("lr_schedule cosine f32 step 700", schedule(cosine), { 0: [700] }),
    plain("lr_schedule linear f64 step 1500", schedule({ ...cosine, schedule: "linear", warmup_steps: 100, dtype: "f64" }), { 0: [1500] }),
    plain("lr_schedule linear f32 past the end", schedule({ ...cosine, schedule: "linear" }), { 0: [2500] }),
    plain("lr_schedule constant f32", schedule({ ...cosine, schedule: "constant", warmup_steps: 10 }), { 0: [50] }),
    plain("dequantize nf4 -> bf16 [64,64] block 64", kernelOf("dequantize", [["nf4", [64, 64]], ["f32", [64]]], { dtype: "bf16" })),
    plain("dequantize int4 -> f32 [4,32] block 32", kernelOf("dequantize", [["int4", [4, 32]], ["bf16", [4]]], { block_size: 32 })),
    plain("dequantize nf4 -> f64 [45] block 9", kernelOf("dequantize", [["nf4", [45]], ["f32", [5]]], { block_size: 9, dtype: "f64" })),
    plain("dequantize int4 -> f16 [128] block 16", kernelOf("dequantize", [["int4", [128]], ["f32", [8]]], { block_size: 16, dtype: "f16" })),
  ];
}

/** Every lab case, tiny-llama's kernels first. */
export function labCases(): LabCase[] {
  const tiny = (["f32", "bf16"] as const).flatMap((dtype) => tinyLlamaKernels(dtype).map((k) => {
    const name = `tiny-llama ${dtype} ${describeKernel(k)}`;
    return plain(name, k);
  }));
  return [...tiny, ...rowCases(), ...scanAndCopyCases(), ...modelCases(), ...optimizerCases()];
}
