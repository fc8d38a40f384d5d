#!/usr/bin/env bash
# Profiles one kernel of an attention-lab binary with Nsight Compute (on the GPU machine, where ncu reads the hardware
# counters; --clock-control none leaves the clocks alone) and prints what bounds it: the speed-of-light, scheduler and
# warp-state figures, then the SASS instructions where its warps were sampled most, with their stall reasons
# (stall_summary.py). The lab runs its --validate-only pass, so the kernel's first launch in the matching case is the
# one profiled. The report stays in the output folder for `ncu --import`.
#
#   bash bench/kernels/attention/profile.sh <attention_lab> <case filter> [kernel regex] [output folder]
#
# Defaults: the main wgmma backward (attn_bwd_wgmma), and $OUT (or /tmp) as the output folder. Build the lab with
# -lineinfo (as lab.ts says) so the report maps SASS back to the generated CUDA.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <attention_lab> <case filter> [kernel regex] [output folder]" >&2
  exit 2
fi
lab=$1
filter=$2
kernel=${3:-attn_bwd_wgmma}
out=${4:-${OUT:-/tmp}}
here=$(dirname "$0")

ncu --clock-control none --kernel-name "regex:$kernel" --launch-count 1 \
  --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
  --section SchedulerStats --section WarpStateStats --section SourceCounters --import-source yes \
  -f -o "$out/profile" "$lab" --validate-only --filter "$filter" > "$out/profile.log" 2>&1 ||
  { tail -20 "$out/profile.log"; exit 1; }

ncu --import "$out/profile.ncu-rep" --page details |
  grep -E "^  [a-z_]+[0-9a-f_]+ \(|Duration|SM Frequency|Compute \(SM\) Throughput|L1/TEX Cache|L2 Cache Throughput|Executed Ipc Active|Eligible Warps|No Eligible|Warp Cycles Per Issued|highest-utilized|Local Memory Spilling Requests  " || true
ncu --import "$out/profile.ncu-rep" --page source --csv --print-source sass > "$out/profile-sass.csv"
python3 "$here/stall_summary.py" --top 40 < "$out/profile-sass.csv"
