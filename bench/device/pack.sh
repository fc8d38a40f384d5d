#!/usr/bin/env bash
# Packs trainc to run on a machine with a GPU but no Node toolchain (our GPU machine): one ES module bundle of the CLI
# (bench/device/entry.ts through esbuild, which tsx ships) placed at <out>/backends/cuda/trainc.mjs beside copies of
# the CUDA runtime headers and the HIP shim, so the paths the backends find them by (relative to their own module)
# still hold (CommonJS packages inside, TypeScript's compiler among them, get require, __filename and __dirname). The
# webgpu and onnxruntime-node packages stay outside the bundle: the cuda and cpu targets never load them. Carry <out> and a Node binary (xz keeps
# it at 24 MB: toolchain.md section 9), then run there from the repository root:
#   <node> <out>/backends/cuda/trainc.mjs autotune bench/llama-1b/config.yml --target cuda
# Usage: bash bench/device/pack.sh <out>
set -euo pipefail
out="${1:?usage: pack.sh <out>}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
rm -rf "$out" && mkdir -p "$out/backends/cuda"
"$root/node_modules/.bin/esbuild" "$root/bench/device/entry.ts" --bundle --platform=node --format=esm --log-level=warning \
  --outfile="$out/backends/cuda/trainc.mjs" --external:webgpu --external:onnxruntime-node \
  --banner:js="import { createRequire as __trainc_require } from 'node:module'; const require = __trainc_require(import.meta.url); \
const __filename = new URL(import.meta.url).pathname; const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));"
cp -r "$root/backends/cuda/runtime" "$out/backends/cuda/runtime"
cp -r "$root/backends/hip/cuda-shim" "$out/backends/cuda/cuda-shim"  # the HIP toolchain table lists it when loaded
du -sh "$out"
