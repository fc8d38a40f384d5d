// Representative anchor kernels for the source snapshots and the nvcc compile check: one or more per op, chosen to
// cover each generator's code paths (warp and block rows, cached and streaming softmax, lines along inner axes, tiled
// and line scans, the three kinds of rope table, paired and single-element dequantization) at realistic sizes
// (Llama 3's 128256 vocabulary, B*T = 16384 positions).

import type { Kernel } from "../../../../backends/schedule/partition.ts";
import { kernelOf } from "./lab-inputs.ts";

const YARN = { dim: 128, rope_type: "yarn", theta: 500000, factor: 8, original_max_position_embeddings: 8192,
  max_position_embeddings: 131072, beta_fast: 32, beta_slow: 1 };

/** Label (snapshot file name) -> kernel. */
export function representativeKernels(): Record<string, Kernel> {
  return {
    "softmax-rows": kernelOf("softmax", [["bf16", [16384, 128256]]]),
    "softmax-cached": kernelOf("softmax", [["f32", [4, 1000]]]),
    "softmax-lines": kernelOf("softmax", [["f32", [2, 5, 7]]], { axis: 1 }),
    "logsumexp": kernelOf("logsumexp", [["f32", [16384, 128256]]]),
    "cumsum-tiled": kernelOf("cumsum", [["i64", [4, 4096]]], { axis: 1, exclusive: true }),
    "cumsum-lines": kernelOf("cumsum", [["f32", [2, 300, 3]]], { axis: 1, reverse: true }),
    "segment_ids": kernelOf("segment_ids", [["i64", [4, 4096]]]),
    "document_ranges": kernelOf("document_ranges", [["i32", [4, 4096]]]),
    "block_mask": kernelOf("block_mask", [["i32", [1, 16384, 2]]]),
    "prefix_lm_ranges": kernelOf("prefix_lm_ranges", [["i32", [4, 4096, 2]], ["i32", [4, 4096]]]),
    "concat": kernelOf("concat", [["bf16", [4, 4096, 8, 64]], ["bf16", [4, 4096, 8, 64]]], { axis: -1 }),
    "gather": kernelOf("gather", [["f32", [5, 7, 6]], ["i64", [2, 3]]], { axis: 1 }),
    "embedding": kernelOf("embedding", [["bf16", [128256, 2048]], ["i64", [4, 4096]]]),
    "embedding_grad": kernelOf("embedding_grad", [["i64", [4, 4096]], ["f32", [4, 4096, 2048]]], { num_embeddings: 128256 }),
    "rope_tables-yarn": kernelOf("rope_tables", [["i64", [4, 4096]]], { ...YARN, dtype: "bf16" }),
    "rope_tables-dynamic": kernelOf("rope_tables", [["i64", [4, 4096]]],
      { dim: 64, rope_type: "dynamic", theta: 10000, factor: 2, max_position_embeddings: 2048 }),
    "rope_tables-longrope": kernelOf("rope_tables", [["i32", [2, 16]]], { dim: 8, rope_type: "longrope", theta: 10000,
      factor: 4, original_max_position_embeddings: 16, max_position_embeddings: 64, short_factor: [1, 1.05, 1.2, 1.4],
      long_factor: [1, 1.5, 3, 6] }),
    "rope": kernelOf("rope", [["bf16", [4, 4096, 32, 64]], ["bf16", [4, 4096, 64]], ["bf16", [4, 4096, 64]]]),
    "cross_entropy": kernelOf("cross_entropy", [["bf16", [4, 4096, 128256]], ["i64", [4, 4096]]]),
    "cross_entropy_grad": kernelOf("cross_entropy_grad",
      [["bf16", [4, 4096, 128256]], ["i64", [4, 4096]], ["f32", [4, 4096]]], {}, [[16384, 128256]]),
    "adamw": kernelOf("adamw", [["bf16", [2048, 8192]], ["f32", [2048, 8192]], ["f32", [2048, 8192]],
      ["f32", [2048, 8192]], ["f32", []], ["i64", []], ["f32", []]], { weight_decay: 0.01 }),
    "lr_schedule": kernelOf("lr_schedule", [["i64", []]], { schedule: "cosine", lr: 2e-5, warmup_steps: 100, total_steps: 5000 }),
    "dequantize-paired": kernelOf("dequantize", [["nf4", [2048, 8192]], ["f32", [262144]]], { dtype: "bf16" }),
    "dequantize-single": kernelOf("dequantize", [["int4", [45]], ["f32", [5]]], { block_size: 9 }),
  };
}
