"""Summarizes the per-instruction source page of an Nsight Compute report (profile.sh writes it as CSV): the SASS
instructions where warps were sampled most, with their largest stall reasons, then the same samples summed per
instruction opcode. Reads the CSV on stdin, prints plain text.

    ncu --import prof.ncu-rep --page source --csv --print-source sass | python3 stall_summary.py [--top 40]

Columns are found by name (ncu's names vary between versions: the sampling columns start with "Warp Stall Sampling");
a report without sampling data says so and prints the columns it has.
"""
import argparse
import csv
import io
import re
import sys
from collections import defaultdict


def number(text):
    """The numeric value of a CSV cell ("1,234" or "12.5"), 0 when empty or not a number."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    text = sys.stdin.read()
    start = text.find('"#",') if '"#",' in text else text.find('"Address"')
    rows = list(csv.DictReader(io.StringIO(text[max(start, 0):])))
    if not rows:
        print("no rows in the source page")
        return
    columns = list(rows[0].keys())
    total = next((c for c in columns if c.startswith("Warp Stall Sampling (All")), None)
    source = next((c for c in columns if c in ("Source", "SASS")), columns[1])
    if total is None:
        print("no 'Warp Stall Sampling' column; columns:", ", ".join(columns))
        return
    reasons = [c for c in columns if re.match(r"^stall_|^Stall ", c) or c.startswith("smsp__pcsamp_warps_issue_stalled")]
    samples = sum(number(r[total]) for r in rows)
    print(f"{len(rows)} instructions, {samples:.0f} samples ({total})")
    ranked = sorted(rows, key=lambda r: number(r[total]), reverse=True)[: args.top]
    for r in ranked:
        top = sorted(((number(r[c]), c) for c in reasons), reverse=True)[:3]
        why = ", ".join(f"{c.replace('smsp__pcsamp_warps_issue_stalled_', '')} {v:.0f}" for v, c in top if v > 0)
        print(f"{100 * number(r[total]) / samples:5.1f}%  {r[source].strip()[:90]:90s}  {why}")
    by_opcode = defaultdict(float)
    for r in rows:
        opcode = re.sub(r"^@!?U?P\w+\s+", "", r[source].strip()).split(" ")[0].split(".")[0]
        by_opcode[opcode] += number(r[total])
    print("per opcode:", "  ".join(f"{op} {100 * v / samples:.1f}%" for op, v in
                                  sorted(by_opcode.items(), key=lambda kv: -kv[1])[:15]))


if __name__ == "__main__":
    main()
