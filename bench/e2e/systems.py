"""The three systems of the end-to-end benchmark, each run in its own process by llama_1b.py (--only <system>), so
their device memory peaks never mix. Each returns a JSON-able dict; a failure raises and the caller records it.

- trainc: builds LlamaForCausalLM(config) on the CPU in float32 under the seed (the CUDA device is never touched in
  this process), writes the run folder (run_folder.py) with its parameters and the benchmark's token batches, then
  starts the trainc binary with --profile, stdout and stderr captured to log files, and reads the summary.json and
  profile the binary writes.
- eager / compile: the same model and tokens in PyTorch: bf16 weights on the GPU, attn_implementation="sdpa",
  fused AdamW (lr 1e-5), labels = input_ids; compile wraps the model in torch.compile. Every step is timed between
  two torch.cuda.synchronize calls; the peak is max_memory_allocated (and max_memory_reserved) after
  reset_peak_memory_stats, taken once the model and optimizer exist.
Invariants: all systems draw the same initial weights (same seed, same CPU init) and the same token batches
(run_folder.token_batches with the seed); step times are lists in seconds, first step first.
"""
import ctypes
import gc
import glob
import json
import os
import site
import subprocess
import sys
import sysconfig
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

import report
import run_folder

LEARNING_RATE = 1e-5


def build_model(model_dir, seed):
    """LlamaForCausalLM from model_dir/config.json, random init on the CPU under seed, float32, sdpa attention."""
    config = AutoConfig.from_pretrained(model_dir)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")
    return model.to(torch.float32)


def check_names(model, config):
    """The model's parameters must be exactly run_folder.llama_parameters(config) (the names the binary loads)."""
    have = {name: list(p.shape) for name, p in model.named_parameters()}
    want = dict(run_folder.llama_parameters(config))
    if have != want:
        extra = sorted(set(have) - set(want))[:5]
        missing = sorted(set(want) - set(have))[:5]
        shapes = sorted(n for n in set(have) & set(want) if have[n] != want[n])[:5]
        raise SystemExit(f"transformers' LlamaForCausalLM and run_folder.llama_parameters disagree: only in the model "
                         f"{extra}, only in the list {missing}, shapes differ {shapes}; fix llama_parameters")


def tensor_bytes(parameters):
    """data_of for write_safetensors: a view of each float32 CPU parameter's memory (no copy)."""
    def data_of(name, shape):
        t = parameters[name].detach()
        if t.dtype != torch.float32 or t.device.type != "cpu" or not t.is_contiguous():
            raise SystemExit(f"parameter {name} is {t.dtype} on {t.device} (contiguous: {t.is_contiguous()}); "
                             "expected contiguous float32 on the CPU")
        return (ctypes.c_char * (4 * run_folder.numel(shape))).from_address(t.data_ptr())
    return data_of


def find_cublaslt():
    """TRAINC_CUBLASLT when set, else the newest libcublasLt.so.* under the nvidia folder of site-packages."""
    if os.environ.get("TRAINC_CUBLASLT"):
        return os.environ["TRAINC_CUBLASLT"]
    roots = {sysconfig.get_paths()["purelib"], *site.getsitepackages(), os.path.dirname(os.path.dirname(torch.__file__))}
    found = sorted({p for r in roots for p in glob.glob(os.path.join(r, "nvidia", "**", "libcublasLt.so*"), recursive=True)})
    return max(found, key=lambda p: [int(x) for x in p.rsplit(".so", 1)[1].split(".") if x.isdigit()], default=None)


def run_trainc(a, paths):
    """Writes the run folder, runs the binary, returns its summary and profile (see the module docstring)."""
    with open(paths.config_json) as f:
        config_text = f.read()
    config = json.loads(config_text)
    start = time.perf_counter()
    model = build_model(paths.model_dir, a.seed)
    check_names(model, config)
    batches = run_folder.token_batches(a.seed, a.warmup + a.steps, a.batch_size, a.seq_len, config["vocab_size"])
    run_json = run_folder.write_run_folder(paths.run_dir, paths.output_dir, config_text,
                                           tensor_bytes(dict(model.named_parameters())), batches,
                                           (a.batch_size, a.seq_len), a.warmup + a.steps)
    del model
    gc.collect()
    print(f"trainc: run folder {paths.run_dir} written in {time.perf_counter() - start:.1f} s", flush=True)
    return run_binary(a, paths, run_json)


def run_binary(a, paths, run_json):
    """Starts the binary with --profile, logs to files; returns summary, profile and the cuBLASLt it was given."""
    env = dict(os.environ)
    cublaslt = find_cublaslt()
    if cublaslt:
        env["TRAINC_CUBLASLT"] = cublaslt
    print(f"trainc: TRAINC_CUBLASLT={cublaslt or '(none found: the binary uses its own GEMMs)'}", flush=True)
    command = [a.binary, run_json, "--profile", paths.profile]
    print(f"trainc: {' '.join(command)}", flush=True)
    start = time.perf_counter()
    with open(paths.stdout_log, "w") as out, open(paths.stderr_log, "w") as err:
        status = subprocess.run(command, stdout=out, stderr=err, env=env, timeout=a.timeout).returncode
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"the binary exited with status {status}: {report.last_line(paths.stderr_log)}")
    summary_file = os.path.join(paths.output_dir, "summary.json")
    return {"summary": read_json(summary_file), "profile": read_json(paths.profile), "cublaslt": cublaslt,
            "wall_seconds": wall, "metrics": read_jsonl(os.path.join(paths.output_dir, "metrics.jsonl"))}


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_jsonl(path):
    """metrics.jsonl as a list (empty when the binary wrote none)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_pytorch(a, paths, compiled):
    """Trains warmup + steps steps in PyTorch (eager, or torch.compile); returns times, losses and peaks."""
    with open(paths.config_json) as f:
        vocab = json.load(f)["vocab_size"]
    model = build_model(paths.model_dir, a.seed).to(device="cuda", dtype=torch.bfloat16).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, fused=True)
    forward = torch.compile(model) if compiled else model
    batches = [torch.frombuffer(ids, dtype=torch.int32).view(a.batch_size, a.seq_len).to("cuda", torch.int64)
               for ids in run_folder.token_batches(a.seed, a.warmup + a.steps, a.batch_size, a.seq_len, vocab)]

    def step(x):
        loss = forward(input_ids=x, labels=x, use_cache=False).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    torch.cuda.reset_peak_memory_stats()
    times, losses = timed_steps(step, batches)
    return {"step_seconds": times, "losses": losses, "peak_allocated_bytes": torch.cuda.max_memory_allocated(),
            "peak_reserved_bytes": torch.cuda.max_memory_reserved(),
            "attention": getattr(model.config, "_attn_implementation", None),
            "torch": torch.__version__, "transformers": transformers.__version__,
            "gpu": torch.cuda.get_device_name(), "python": sys.version.split()[0]}


def timed_steps(step, batches):
    """Runs step on every batch once, each timed between synchronizations; the loss is read outside the timing."""
    times, losses = [], []
    for x in batches:
        torch.cuda.synchronize()
        start = time.perf_counter()
        loss = step(x)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        losses.append(loss.item())
    return times, losses
