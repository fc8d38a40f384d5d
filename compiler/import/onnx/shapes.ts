// ONNX value types -> IR types for graph inputs: elem_type -> dtype, dim_value -> a number, dim_param -> a symbolic
// dim (sanitized to an identifier: "batch size" -> "batch_size"), a dim with neither -> a fresh symbol named after
// the input and axis. An input without a shape (unknown rank) or that is not a dense tensor is an error.
// Invariant: two inputs that share a dim_param share the symbol, so the interpreter binds it once.

import type { Dim } from "../../../ir/dim.ts";
import type { DType } from "../../../ir/dtype.ts";
import { fail } from "../../diagnostics.ts";
import { E_INPUT_RANK } from "./errors.ts";
import type { DimMsg, ValueInfoMsg } from "./schema.ts";
import { dtypeOf } from "./tensors.ts";

/** A name usable as a symbolic dim: letters, digits and '_', not starting with a digit. */
export function sanitizeDimName(name: string): string {
  const clean = name.trim().replace(/[^A-Za-z0-9_]+/g, "_");
  return /^[A-Za-z_]/.test(clean) ? clean : `_${clean}`;
}

function dimOf(d: DimMsg, input: string, axis: number): Dim {
  if (d.dim_value !== undefined && d.dim_value >= 0) return Number(d.dim_value);
  if (d.dim_param) return sanitizeDimName(d.dim_param);
  return sanitizeDimName(`${input}_dim${axis}`);
}

/** The IR type of a graph input; TraincErrors name the input and the file. */
export function inputType(info: ValueInfoMsg, file: string): { dtype: DType; shape: Dim[] } {
  const name = info.name ?? "";
  const tensor = info.type?.tensor_type;
  if (!tensor) {
    fail(E_INPUT_RANK, `${file}: graph input '${name}' is not a dense tensor`,
      "trainc imports graphs whose inputs are tensors; export without sequence, map or sparse inputs");
  }
  const dtype = dtypeOf(tensor.elem_type ?? 0, `graph input '${name}'`);
  if (!tensor.shape) {
    fail(E_INPUT_RANK, `${file}: graph input '${name}' has an unknown rank (no shape)`,
      "export with input shapes (e.g. torch.onnx.export(..., dynamic_shapes=...) keeps the rank)");
  }
  return { dtype, shape: (tensor.shape.dim ?? []).map((d, i) => dimOf(d, name, i)) };
}

/** The concrete sizes an ONNX value info declares (undefined where the dim is symbolic or absent). */
export function declaredSizes(info: ValueInfoMsg): (number | undefined)[] | undefined {
  const dims = info.type?.tensor_type?.shape?.dim;
  return dims?.map((d) => (d.dim_value !== undefined && d.dim_value >= 0 && !d.dim_param ? Number(d.dim_value) : undefined));
}
