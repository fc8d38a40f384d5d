#!/usr/bin/env python3
"""End-to-end training benchmark on the GPU machine (issue 3): trainc's CUDA training binary against PyTorch eager and
torch.compile on the Llama-3.2-1B shape (B=4, T=4096, bf16), one job. See bench/e2e/README.md for the commands.

The script re-invokes itself once per system (--only trainc|eager|compile) so each runs in its own process: device
memory peaks never mix, and a crash or out-of-memory in one is reported in the table while the others still run.
Each child writes <work>/<system>.json ({"error": ...} on failure); this parent only orchestrates, prints the tables
(report.py) and writes <out>/results.json. With --dry-run it writes trainc's run folder with synthetic weights and
runs nothing (no torch needed), to check the folder against the one `trainc train --target cuda` writes
(check_run_folder.py).

Files: <out>/results.json, <out>/<system>.log (each child's output), <out>/trainc.stdout.log and trainc.stderr.log (the
binary's); under <work> (default <out>/work; put it outside a folder that is copied back, the weights are GBs): the
model folder (config.json), trainc's run folder and output_dir (metrics.jsonl, summary.json, the final model save),
the profile and each system's JSON.
Invariants: python3 with the standard library, torch, transformers and safetensors only; the parent never imports
torch, so it holds no device memory while the systems run.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import traceback
from types import SimpleNamespace

import report
import run_folder

SYSTEMS = ("trainc", "eager", "compile")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", help="the trainc train binary (built by `trainc compile --target cuda`)")
    p.add_argument("--model-config", required=True, help="the Hugging Face config.json of the model")
    p.add_argument("--steps", type=int, default=30, help="timed steps after the warm-up (default 30)")
    p.add_argument("--warmup", type=int, default=5, help="steps run before the timed ones (default 5)")
    p.add_argument("--batch-size", type=int, default=4, help="B: micro_batch_size the binary was compiled for")
    p.add_argument("--seq-len", type=int, default=4096, help="T: sequence_len the binary was compiled for")
    p.add_argument("--out", required=True, help="folder for results.json and the logs")
    p.add_argument("--work", help="folder for the run folder, weights and outputs (default <out>/work)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the tokens")
    p.add_argument("--timeout", type=int, default=900, help="seconds each system may take (default 900)")
    p.add_argument("--trainc-compile-seconds", type=float, help="wall time of `trainc compile` on the dev box")
    for system in SYSTEMS:
        p.add_argument(f"--skip-{system}", action="store_true", help=f"do not run {system}")
    p.add_argument("--dry-run", action="store_true", help="write trainc's run folder with synthetic weights only")
    p.add_argument("--only", choices=SYSTEMS, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if not a.dry_run and not a.only and not a.skip_trainc and not a.binary:
        p.error("--binary is required unless --skip-trainc or --dry-run is given")
    if a.steps < 1 or a.warmup < 0 or a.batch_size < 1 or a.seq_len < 1:
        p.error("--steps, --batch-size and --seq-len must be at least 1, --warmup at least 0")
    return a


def layout(a):
    """Every path the parent and the children use, from --out and --work."""
    out = os.path.abspath(a.out)
    work = os.path.abspath(a.work or os.path.join(out, "work"))
    return SimpleNamespace(
        out=out, work=work, model_dir=os.path.join(work, "model"), config_json=os.path.join(work, "model", "config.json"),
        run_dir=os.path.join(work, "trainc", "run"), output_dir=os.path.join(work, "trainc", "output"),
        profile=os.path.join(work, "trainc", "profile.json"), results=os.path.join(out, "results.json"),
        stdout_log=os.path.join(out, "trainc.stdout.log"), stderr_log=os.path.join(out, "trainc.stderr.log"),
        log=lambda system: os.path.join(out, f"{system}.log"), result=lambda system: os.path.join(work, f"{system}.json"))


def prepare(a, paths):
    """Creates the folders and the model folder (a copy of --model-config as config.json)."""
    os.makedirs(paths.model_dir, exist_ok=True)
    os.makedirs(paths.out, exist_ok=True)
    shutil.copyfile(a.model_config, paths.config_json)
    with open(paths.config_json) as f:
        return json.load(f)


def run_only(a, paths):
    """Child process: runs one system and writes its JSON, {"error": reason} when it fails."""
    import systems
    run = {"trainc": lambda: systems.run_trainc(a, paths), "eager": lambda: systems.run_pytorch(a, paths, False),
           "compile": lambda: systems.run_pytorch(a, paths, True)}[a.only]
    try:
        result = run()
    except (Exception, SystemExit) as e:
        traceback.print_exc()
        message = str(e).strip().splitlines()[0] if str(e).strip() else "no message"
        result = {"error": f"{type(e).__name__}: {message}"[:400]}
    with open(paths.result(a.only), "w") as f:
        json.dump(result, f)
    return 1 if "error" in result else 0


def child_command(a, system):
    """This script with the parent's arguments, plus --only system."""
    return [sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--only", system]


def run_child(a, paths, system):
    """Runs one system in its own process (and process group, so a timeout also ends the binary it started)."""
    result_file = paths.result(system)
    if os.path.exists(result_file):
        os.remove(result_file)
    print(f"{system}: running (log {paths.log(system)})", flush=True)
    start = time.perf_counter()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(paths.log(system), "w") as log:
        child = subprocess.Popen(child_command(a, system), stdout=log, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True)
        try:
            child.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return {"error": f"timed out after {a.timeout} s (raise --timeout)"}
    seconds = time.perf_counter() - start
    print(f"{system}: finished in {seconds:.0f} s with status {child.returncode}", flush=True)
    if os.path.exists(result_file):
        with open(result_file) as f:
            return json.load(f)
    return {"error": f"the process exited with status {child.returncode} and no result: "
                     f"{report.last_line(paths.log(system))}"}


def summarize(a, paths, config, results):
    """Prints the tables and writes results.json."""
    sizes = (a.batch_size, a.seq_len)
    per_token = report.flops_per_token(config, a.seq_len)
    rows = [report.system_row(s, results[s], sizes, a.warmup, per_token) for s in SYSTEMS if s in results]
    lines = [f"Llama model from {a.model_config}: N = {run_folder.parameter_count(config):,} parameters, "
             f"B={a.batch_size}, T={a.seq_len}, {a.warmup} warm-up + {a.steps} timed steps (median), seed {a.seed}",
             f"{report.FLOPS_FORMULA}; {per_token / 1e9:.3f} GFLOP per token; % of {report.PEAK_TFLOPS:.0f} TFLOP/s "
             "(H200 dense bf16)", ""]
    lines += report.throughput_table(rows) + [""]
    trainc = results.get("trainc", {"error": "skipped"})
    lines += report.memory_lines(trainc, {s: results[s] for s in ("eager", "compile") if s in results})
    lines += report.compile_lines(a.trainc_compile_seconds, rows)
    if "error" not in trainc:
        lines += [f"trainc: cuBLASLt {trainc.get('cublaslt') or 'not found'}; GEMM backends "
                  f"{json.dumps(trainc['summary'].get('gemm_backends'))}; the binary's own tokens/s "
                  f"{report.fmt(trainc['summary'].get('tokens_per_second'), ',.0f')}", ""]
        lines += report.kernel_lines(trainc["profile"])
    print("\n".join(lines), flush=True)
    document = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "host": platform.node(), "arguments": vars(a) | {"only": None}, "model_config": config,
                "parameters": run_folder.parameter_count(config), "flops_per_token": per_token,
                "flops_formula": report.FLOPS_FORMULA, "peak_tflops": report.PEAK_TFLOPS, "rows": rows,
                "results": results, "trainc_compile_seconds": a.trainc_compile_seconds, "text": lines}
    with open(paths.results, "w") as f:
        json.dump(document, f, indent=1)
    print(f"\nwrote {paths.results}")


def dry_run(a, paths, config):
    """Writes trainc's run folder with synthetic weights and the benchmark's tokens; runs nothing."""
    with open(paths.config_json) as f:
        text = f.read()
    steps = a.warmup + a.steps
    batches = run_folder.token_batches(a.seed, steps, a.batch_size, a.seq_len, config["vocab_size"])
    run_json = run_folder.write_run_folder(paths.run_dir, paths.output_dir, text,
                                           run_folder.synthetic_parameters(config, a.seed), batches,
                                           (a.batch_size, a.seq_len), steps)
    print(f"dry run: wrote {run_json} ({run_folder.parameter_count(config):,} parameters, {steps} batches of "
          f"{a.batch_size}x{a.seq_len}); the binary would run as:\n  {a.binary or '<binary>'} {run_json} "
          f"--profile {paths.profile}")


def main(argv):
    a = parse_args(argv)
    paths = layout(a)
    if a.only:
        return run_only(a, paths)
    config = prepare(a, paths)
    if a.dry_run:
        dry_run(a, paths, config)
        return 0
    results = {s: run_child(a, paths, s) for s in SYSTEMS if not getattr(a, f"skip_{s}")}
    summarize(a, paths, config, results)
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
