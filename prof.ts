import { join } from "node:path";
import { partition } from "./backends/schedule/partition.ts";
import { renderFused, renderReduce } from "./backends/c-style/fused.ts";
import { openDevice, runKernel } from "./backends/wgsl/device.ts";
import { renderWgslMatmul } from "./backends/wgsl/gemm.ts";
import { WGSL } from "./backends/wgsl/language.ts";
import { numel } from "./ir/tensor.ts";
import { HF_FIXTURES, specializedTrainStep } from "./test/harness/train-step.ts";
import { randomInputs } from "./test/harness/random.ts";
const gpu = await openDevice();
const { module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "f32", parameterDType: "f32" });
const all = module.graphs.flatMap((g) => partition(g).kernels);
const order = process.argv[2]!.split(",");
for (const kind of order) {
  const t0 = performance.now();
  for (const [i, k] of all.filter((k) => k.kind === kind).entries()) {
    if (Object.values(k.graph.types).some((t) => t.dtype === "i64")) continue;
    const src = kind === "matmul" ? renderWgslMatmul(k) : kind === "fused" ? renderFused(k, WGSL) : renderReduce(k, WGSL);
    const inputs = randomInputs(k.graph, i);
    await runKernel(gpu, src, Object.fromEntries(Object.entries(inputs).map(([n, x]) => [n, new Uint8Array(x.dtype === "bool" ? Uint32Array.from(x.data).buffer : x.data.buffer)])), Object.fromEntries(k.graph.outputs.map((o) => [o.name, 4 * numel(k.graph.types[o.id]!.shape as number[])])));
  }
  console.log(kind, (performance.now() - t0).toFixed(0), "ms");
}
