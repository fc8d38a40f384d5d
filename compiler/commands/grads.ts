// `trainc grads <model_dir> --batch b.safetensors --out o.safetensors`: one forward and backward pass on one batch,
// writing what a reference implementation would (DESIGN.md's CLI contract): `loss` f32 [1], `logits` f32 [B,T,V] and
// `grad.<name>` f32 for every trainable parameter under its Hugging Face name. On --target cuda the same graph is
// built into a CUDA program (compiler/cuda-run.ts) and run on the GPU; on --target wgsl into a WebGPU program
// (compiler/wgsl-run.ts), run through Dawn.
//
// Error codes defined here:
//   6301  the batch file lacks input_ids or labels
//   6302  a batch tensor is not an integer [B,T] tensor, or its shape differs from input_ids'
//   1011  (config's NOT_SUPPORTED_YET) --adapter: PEFT adapters are not built yet

import { resolve } from "node:path";
import { CONFIG_ERRORS } from "../config/index.ts";
import { trainPrecision } from "../config/derived.ts";
import { fail } from "../diagnostics.ts";
import { readSafetensors, writeSafetensors } from "../import/safetensors.ts";
import { chooseArch, gradsCuda } from "../cuda-run.ts";
import { gradsWgsl } from "../wgsl-run.ts";
import { lowerGrads } from "../pipeline.ts";
import { DEFAULT_PASS_OPTIONS } from "../../passes/pass.ts";
import { resolveTarget } from "../targets.ts";
import { importModel, readConfig } from "./inputs.ts";
import { isInt } from "../../ir/dtype.ts";
import { interpret } from "../../ir/interpret/index.ts";
import type { Tensor } from "../../ir/tensor.ts";

export interface GradsOptions {
  readonly batch: string;
  readonly out: string;
  readonly config?: string;
  /** Absent: chosen from the machine (compiler/targets.ts chooseTarget). */
  readonly target?: string;
  /** cuda, hip: the GPU arch (compiler/cuda-run.ts chooseArch). */
  readonly arch?: string;
  readonly adapter?: string;
}

export async function grads(modelDir: string, options: GradsOptions): Promise<void> {
  const target = await resolveTarget(options.target, (m) => process.stderr.write(`trainc: ${m}\n`));

  if (options.adapter !== undefined) {
    fail(CONFIG_ERRORS.NOT_SUPPORTED_YET, `--adapter ${options.adapter}: PEFT adapters are not supported by trainc yet (planned)`,
      "leave out --adapter to take gradients of the full model");
  }
  const config = options.config === undefined ? undefined : readConfig(options.config);
  const precision = config === undefined ? { compute: "f32", parameters: "f32" } as const : trainPrecision(config, target);
  const model = importModel(modelDir, { precision, prefixLm: config?.prefix_lm ?? false });
  const batch = readBatch(options.batch);
  const passes = config === undefined ? DEFAULT_PASS_OPTIONS : { attention: config.attention_lowering };
  const module = { graphs: [lowerGrads(model.forward, Object.keys(model.parameters), passes)] };
  if (target.name === "cuda" || target.name === "hip") {
    const [rows, length] = batch["input_ids"]!.shape as [number, number];
    const note = (m: string) => process.stderr.write(`trainc: ${m}\n`);
    const status = gradsCuda(module.graphs[0]!, model.parameters, options.batch, options.out, { B: rows, T: length },
      chooseArch(target.name, options.arch, note), note);
    if (status !== 0) process.exitCode = status;
    return;
  }
  const out = target.name === "wgsl"
    ? await gradsWgsl(module.graphs[0]!, model.parameters, batch, `${resolve(options.out)}.trainc-run`, (m) => process.stderr.write(`trainc: ${m}\n`))
    : interpret(module.graphs[0]!, { ...batch, ...model.parameters });
  const result: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(out)) result[name] = name === "loss" ? { ...t, shape: [1] } : t;
  writeSafetensors(options.out, result, { dtype: "f32" });
  const [rows, length] = batch["input_ids"]!.shape;
  process.stdout.write(`loss ${out["loss"]!.data[0]!.toFixed(6)} on a ${rows}x${length} batch; ` +
    `wrote loss, logits and ${Object.keys(out).length - 2} gradients to ${options.out}\n`);
}

/** input_ids, labels and (optionally; default 0..T-1 per row) position_ids, as i64 [B,T]. */
export function readBatch(file: string): Record<string, Tensor> {
  const raw = readSafetensors(file);
  const ids = raw["input_ids"];
  const labels = raw["labels"];
  if (!ids || !labels) {
    fail(6301, `${file} has no ${ids ? "labels" : "input_ids"} tensor (it has: ${Object.keys(raw).join(", ") || "nothing"})`,
      "write input_ids and labels (int64 [B,T]; labels -100 where ignored) and optionally position_ids");
  }
  const check = (name: string, t: Tensor): Tensor => {
    const sameShape = t.shape.length === 2 && t.shape[0] === ids.shape[0] && t.shape[1] === ids.shape[1];
    if (!isInt(t.dtype) || ids.shape.length !== 2 || !sameShape) {
      fail(6302, `${file}: ${name} is ${t.dtype}[${t.shape.join(",")}]; expected an integer tensor of input_ids' shape [B,T]`,
        "save input_ids, labels and position_ids as int64 tensors of one shape [B,T]");
    }
    return { dtype: "i64", shape: t.shape, data: Float64Array.from(t.data) };
  };
  const [rows, length] = ids.shape as [number, number];
  const positions = raw["position_ids"] ?? {
    dtype: "i64", shape: [rows, length], data: Float64Array.from({ length: rows * length }, (_, i) => i % length),
  };
  return { input_ids: check("input_ids", ids), labels: check("labels", labels), position_ids: check("position_ids", positions) };
}
