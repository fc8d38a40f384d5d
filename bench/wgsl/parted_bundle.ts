// Writes the bundle `trainc compile <config> --target wgsl` would write, but planned within a given binding size, so
// that the tensors larger than it bind in parts (backends/wgsl/accessors.ts): a check of the parted kernels on a
// real GPU's driver (through bench/wgsl/train_bundle.mjs), beside the plain bundle's loss.
// Usage: npx tsx bench/wgsl/parted_bundle.ts <config.yml> <out dir> <max binding bytes>

import { resolve } from "node:path";
import { importFromConfig, makePlan } from "../../compiler/plan.ts";
import { targetInfo } from "../../compiler/targets.ts";
import { BUNDLE_LIMITS, compileWgsl } from "../../compiler/wgsl-run.ts";

const [config, out, bytes] = process.argv.slice(2);
if (!config || !out || !bytes) {
  console.error("usage: npx tsx bench/wgsl/parted_bundle.ts <config.yml> <out dir> <max binding bytes>");
  process.exit(2);
}
const note = (m: string) => console.error(`parted_bundle: ${m}`);
const plan = makePlan(importFromConfig(config, targetInfo("wgsl"), note), { note });
const report = compileWgsl(plan, resolve(out), { ...BUNDLE_LIMITS, maxBuffers: 16, maxBindingBytes: Number(bytes) }, note);
console.log(`wrote ${resolve(out)}: ${(report["kernels"] as unknown[]).length} launches per step`);
