#!/usr/bin/env python3
"""Sample packing on vs off, end to end on the GPU machine: the two trainc CUDA runs bench/packing/make-data.ts sets
up (the same Alpaca-style rows, one epoch, bf16, flash attention; `unpacked`: 4 rows of 2048 tokens per step, each
row one sample padded to 2048; `packed`: one row of 4 x 2048 tokens holding as many samples as fit).

The run folders are written on the dev box by `trainc train <run>.yml --target cuda` (which fails there, having no
GPU) and carried here without their weights; this script writes the same seeded random weights into both
(transformers' LlamaForCausalLM init under --seed, float32, the names the binary loads), runs each binary, and
prints and writes (results.json) per run: optimizer steps, real (non-pad) tokens per second over the steps after --skip, the
share of batch slots holding real tokens, the eval loss before the first step (packing changes no loss, so the two
must agree to bf16 noise) and after the last, and the mean train loss of the last ten steps.

Usage (from the repository root): python3 bench/packing/run_packing.py --folder out/packing --out $OUT/packing
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import run_folder  # noqa: E402
import systems  # noqa: E402

RUNS = ("unpacked", "packed")


def write_weights(folder, seed):
    """One parameters.safetensors for both runs, from the model folder's config.json."""
    model_dir = os.path.join(folder, "model")
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = systems.build_model(model_dir, seed)
    systems.check_names(model, config)
    path = os.path.join(folder, "parameters.safetensors")
    run_folder.write_safetensors(path, run_folder.llama_parameters(config), systems.tensor_bytes(dict(model.named_parameters())))
    for run in RUNS:
        shutil.copyfile(path, os.path.join(folder, run, ".trainc-run", "parameters.safetensors"))
    return run_folder.parameter_count(config)


def run(folder, name, out, cublaslt):
    """Runs one binary on its run folder; returns its summary, metrics and wall time."""
    run_dir = os.path.join(folder, name, ".trainc-run")
    env = dict(os.environ, **({"TRAINC_CUBLASLT": cublaslt} if cublaslt else {}))
    start = time.perf_counter()
    with open(os.path.join(out, f"{name}.stdout.log"), "w") as o, open(os.path.join(out, f"{name}.stderr.log"), "w") as e:
        status = subprocess.run([os.path.join(folder, name, "train"), os.path.join(run_dir, "run.json")], stdout=o, stderr=e,
                                env=env).returncode
    if status != 0:
        raise SystemExit(f"{name}: the binary exited with {status}; see {name}.stderr.log")
    output = os.path.join(folder, name)
    return {"run": systems.read_json(os.path.join(run_dir, "run.json")), "summary": systems.read_json(os.path.join(output, "summary.json")),
            "metrics": systems.read_jsonl(os.path.join(output, "metrics.jsonl")), "wall_seconds": time.perf_counter() - start}


def figures(result, rows, length, skip):
    """The per-run figures of the module docstring; `rows` x `length` is one micro batch."""
    steps = [m for m in result["metrics"] if "loss" in m]
    evals = [m for m in result["metrics"] if "eval_loss" in m]
    seconds = result["summary"]["step_seconds"][skip:]
    tokens = [m["tokens"] for m in steps][skip:]
    all_tokens = sum(m["tokens"] for m in steps)
    return {"steps": len(steps), "tokens": all_tokens, "real_tokens_per_s": sum(tokens) / sum(seconds),
            "slot_fill": all_tokens / (len(steps) * result["run"]["accumulation"] * rows * length), "mean_step_ms": 1e3 * sum(seconds) / len(seconds),
            "eval_loss_start": evals[0]["eval_loss"], "eval_loss_end": evals[-1]["eval_loss"],
            "eval_steps": [e["step"] for e in evals], "train_loss_last10": sum(s["loss"] for s in steps[-10:]) / 10,
            "wall_seconds": result["wall_seconds"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--folder", default="out/packing", help="the folder make-data.ts wrote, with both run folders")
    p.add_argument("--out", required=True, help="where results.json and the logs go")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip", type=int, default=5, help="steps left out of the throughput (warm-up)")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    params = write_weights(a.folder, a.seed)
    cublaslt = systems.find_cublaslt()
    shapes = {"unpacked": (4, 2048), "packed": (1, 8192)}
    results = {name: figures(run(a.folder, name, a.out, cublaslt), *shapes[name], a.skip) for name in RUNS}
    u, k = results["unpacked"], results["packed"]
    print(f"model: {params:,} parameters; cuBLASLt: {cublaslt or 'none'}")
    print("| run | steps | real tokens | real tokens/s | batch slots holding tokens | mean step (ms) | eval loss at start | "
          "eval loss at end | train loss, last 10 steps |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['steps']} | {r['tokens']:,} | {r['real_tokens_per_s']:,.0f} | {100 * r['slot_fill']:.1f}% | "
              f"{r['mean_step_ms']:.2f} | {r['eval_loss_start']:.6f} | {r['eval_loss_end']:.4f} | {r['train_loss_last10']:.4f} |")
    print(f"packed / unpacked real tokens/s: {k['real_tokens_per_s'] / u['real_tokens_per_s']:.2f}x; eval loss at start: "
          f"relative difference {abs(k['eval_loss_start'] - u['eval_loss_start']) / u['eval_loss_start']:.2e}; at end: "
          f"{abs(k['eval_loss_end'] - u['eval_loss_end']) / u['eval_loss_end']:.2e}")
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"parameters": params, "cublaslt": cublaslt, "runs": results}, f, indent=1)


if __name__ == "__main__":
    main()
