#!/usr/bin/env python3
"""Checks that a run folder written by llama_1b.py (--dry-run) has the layout of the one `trainc train --target cuda`
writes (compiler/cuda-run.ts), so the binary reads both alike. Standard library only.

  python3 bench/e2e/check_run_folder.py <ours>/run <trainc's>/.trainc-run

Compares run.json's keys (and that the paths in it exist), the batch files' headers (magic, version, B, T) and record
layout (size = 24 + count·(8 + 12·B·T); every record's epoch, token count, ids, labels and positions in the ranges
backends/cuda/runtime/batch-file.h accepts, with run.json's vocab_size and max_position), and the parameter files'
tensor names and shapes (dtypes are listed: trainc may store bf16 where we store float32; the binary converts).
Exits 1 when anything differs or is out of range.
"""
import array
import json
import os
import struct
import sys

import run_folder


def read_run_json(folder):
    with open(os.path.join(folder, "run.json")) as f:
        return json.load(f)


def check_run_json(ours, theirs, problems):
    """Same keys; every path but an empty tokenizer_dir exists relative to the folder."""
    a, b = read_run_json(ours), read_run_json(theirs)
    if set(a) != set(b):
        problems.append(f"run.json keys differ: only ours {sorted(set(a) - set(b))}, "
                        f"only trainc's {sorted(set(b) - set(a))}")
    for folder, spec in ((ours, a), (theirs, b)):
        for key in ("output_dir", "parameters", "batches", "config_json", "tokenizer_dir"):
            path = spec.get(key, "")
            if path and not os.path.exists(os.path.join(folder, path)):
                problems.append(f"{folder}/run.json: {key} '{path}' does not exist")
    print("run.json:", {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b))})
    return a


def batch_header(path):
    with open(path, "rb") as f:
        head = f.read(run_folder.BATCH_HEADER_BYTES)
    version, count, rows, length = struct.unpack("<4I", head[8:])
    return {"magic": head[:8], "version": version, "count": count, "rows": rows, "length": length,
            "size": os.path.getsize(path)}


def check_records(path, header, spec, problems):
    """Every record's fields within what the binary's batch reader accepts."""
    plane = header["rows"] * header["length"]
    record = 8 + 12 * plane
    vocab, max_position = spec["vocab_size"], spec["max_position"]
    with open(path, "rb") as f:
        f.seek(run_folder.BATCH_HEADER_BYTES)
        for i in range(header["count"]):
            values = array.array("i", f.read(record))
            epoch, tokens = values[0], values[1]
            ids, labels, positions = values[2:2 + plane], values[2 + plane:2 + 2 * plane], values[2 + 2 * plane:]
            bad = [epoch < 0, not 0 <= tokens <= plane, any(not 0 <= t < vocab for t in ids),
                   any(not (t == run_folder.IGNORE_INDEX or 0 <= t < vocab) for t in labels),
                   any(not 0 <= p < max_position for p in positions)]
            if any(bad):
                names = [n for n, b in zip(("epoch", "tokens", "input_ids", "labels", "position_ids"), bad) if b]
                problems.append(f"{path}: batch {i} has out-of-range {', '.join(names)}")
                return


def check_batches(ours, theirs, spec_ours, spec_theirs, problems):
    """Headers alike, sizes by the record formula, records in range."""
    headers = []
    for folder, spec in ((ours, spec_ours), (theirs, spec_theirs)):
        path = os.path.join(folder, spec["batches"])
        h = batch_header(path)
        expected = run_folder.BATCH_HEADER_BYTES + h["count"] * (8 + 12 * h["rows"] * h["length"])
        if h["size"] != expected:
            problems.append(f"{path}: {h['size']} bytes, the header's {h['count']} records need {expected}")
        check_records(path, h, spec, problems)
        headers.append(h)
        print(f"{path}: {h}")
    a, b = headers
    for key in ("magic", "version", "rows", "length"):
        if a[key] != b[key]:
            problems.append(f"batch files differ in {key}: ours {a[key]}, trainc's {b[key]}")


def safetensors_entries(path):
    """{name: (dtype, shape)} of a safetensors file's header."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    header.pop("__metadata__", None)
    return {name: (e["dtype"], e["shape"]) for name, e in header.items()}


def check_parameters(ours, theirs, spec_ours, spec_theirs, problems):
    """Same tensor names and shapes."""
    a = safetensors_entries(os.path.join(ours, spec_ours["parameters"]))
    b = safetensors_entries(os.path.join(theirs, spec_theirs["parameters"]))
    if {n: s for n, (_, s) in a.items()} != {n: s for n, (_, s) in b.items()}:
        only_a, only_b = sorted(set(a) - set(b))[:5], sorted(set(b) - set(a))[:5]
        shapes = sorted(n for n in set(a) & set(b) if a[n][1] != b[n][1])[:5]
        problems.append(f"parameters differ: only ours {only_a}, only trainc's {only_b}, shapes {shapes}")
    print(f"parameters: {len(a)} tensors (ours {sorted({d for d, _ in a.values()})}) vs {len(b)} "
          f"(trainc's {sorted({d for d, _ in b.values()})})")


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    ours, theirs = argv
    problems = []
    spec_ours = check_run_json(ours, theirs, problems)
    spec_theirs = read_run_json(theirs)
    check_batches(ours, theirs, spec_ours, spec_theirs, problems)
    check_parameters(ours, theirs, spec_ours, spec_theirs, problems)
    for p in problems:
        print(f"DIFFERENT: {p}")
    print("layouts match" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
