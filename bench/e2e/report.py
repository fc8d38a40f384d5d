"""Figures and tables of the end-to-end benchmark, from the per-system results llama_1b.py collects (standard library
only, so the dry run and the tables never need torch).

Model FLOPs are counted as ../shared/reference/h200-baselines.md counts them: 6·N per token for the weights (N counts
tied embeddings once) plus causal attention, 6·L·T·(heads·head_dim) per token (QKᵀ and PV, 4·T·heads·head_dim per
token and layer forward, halved by the causal mask, times 3 for forward and backward). Throughput is B·T tokens over
the median step time after the warm-up steps. Tables print as Markdown, ready for bench/RESULTS.md.
Invariants: a failed system keeps its row, with the reason instead of figures; ratios are against torch.compile and
are left out when it failed.
"""
import statistics

import run_folder

PEAK_TFLOPS = 989.0
GIB = 2 ** 30
LABELS = {"trainc": "trainc", "eager": "PyTorch eager", "compile": "torch.compile"}
KINDS = ("matmul", "attention", "attention_grad", "fused", "reduce")
FLOPS_FORMULA = "model FLOPs = tokens * (6*N + 6*L*T*heads*head_dim): weights 6*N, causal attention forward+backward"


def flops_per_token(config, seq_len):
    """Model FLOPs per trained token (see the module docstring)."""
    heads = config["num_attention_heads"]
    head_dim = config.get("head_dim") or config["hidden_size"] // heads
    attention = 6 * config["num_hidden_layers"] * seq_len * heads * head_dim
    return 6 * run_folder.parameter_count(config) + attention


def median_after(times, warmup):
    """Median of the step times after the warm-up (of all of them when there are no more)."""
    timed = times[warmup:] or times
    return statistics.median(timed) if timed else None


def system_row(name, result, sizes, warmup, per_token):
    """One system's figures: tokens/s, TFLOP/s, peak memory, losses; or its error."""
    if "error" in result:
        return {"system": name, "error": result["error"]}
    if name == "trainc":
        times = result["summary"].get("step_seconds", [])
        peak = result["summary"].get("device_memory", {}).get("peak_used_bytes")
        losses = [m["loss"] for m in result.get("metrics", [])]
    else:
        times, peak, losses = result["step_seconds"], result["peak_allocated_bytes"], result["losses"]
    median = median_after(times, warmup)
    if median is None:
        return {"system": name, "error": "no step times were recorded"}
    tokens_per_second = sizes[0] * sizes[1] / median
    return {"system": name, "median_step_seconds": median, "tokens_per_second": tokens_per_second,
            "model_tflops": tokens_per_second * per_token / 1e12, "peak_bytes": peak,
            "first_step_seconds": times[0], "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None}


def last_line(path):
    """A failed program's message from its log: the last line that names an error (trainc's `error[E...]`, Python's
    `...Error: ...`), else the last non-empty line; cut to 300 characters."""
    with open(path, errors="replace") as f:
        lines = [line.strip() for line in f if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or [f"(nothing in {path})"])[-1][:300]


def fmt(value, spec, missing="–"):
    return missing if value is None else format(value, spec)


def throughput_table(rows):
    """| system | tokens/s | vs torch.compile | model TFLOP/s | % of 989 | peak GiB | loss first → last |"""
    ref = next((r["tokens_per_second"] for r in rows if r["system"] == "compile" and "error" not in r), None)
    lines = ["| system | tokens/s | vs torch.compile | model TFLOP/s | % of 989 | peak GiB | loss first → last |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {LABELS[r['system']]} | failed: {r['error'].replace('|', '/')} | | | | | |")
            continue
        ratio = r["tokens_per_second"] / ref if ref else None
        peak = r["peak_bytes"] / GIB if r["peak_bytes"] is not None else None
        lines.append(f"| {LABELS[r['system']]} | {r['tokens_per_second']:,.0f} | {fmt(ratio, '.3f')} | "
                     f"{r['model_tflops']:.0f} | "
                     f"{100 * r['model_tflops'] / PEAK_TFLOPS:.1f}% | {fmt(peak, '.1f')} | "
                     f"{fmt(r['loss_first'], '.4f')} → {fmt(r['loss_last'], '.4f')} |")
    return lines


def memory_lines(trainc, pytorch):
    """trainc's predicted against measured peak, and PyTorch's allocated against reserved peaks."""
    lines = []
    memory = trainc.get("summary", {}).get("device_memory") if "error" not in trainc else None
    if memory:
        predicted, measured = memory.get("predicted_bytes"), memory.get("peak_used_bytes")
        ratio = measured / predicted if predicted and measured is not None else None
        lines.append(f"trainc device memory: predicted {fmt(predicted and predicted / GIB, '.2f')} GiB, arenas "
                     f"{fmt(memory.get('arena_bytes') and memory['arena_bytes'] / GIB, '.2f')} GiB, measured peak "
                     f"{fmt(measured and measured / GIB, '.2f')} GiB (measured / predicted = {fmt(ratio, '.3f')})")
    for name, r in pytorch.items():
        if "error" not in r:
            lines.append(f"{LABELS[name]} device memory: peak allocated {r['peak_allocated_bytes'] / GIB:.2f} GiB, "
                         f"peak reserved {r['peak_reserved_bytes'] / GIB:.2f} GiB")
    return lines


def kernel_groups(profile):
    """[(kind group, ms, share of the kernels' total)], the groups of KINDS then 'others', largest first."""
    kernels = profile.get("kernels", [])
    total = sum(k["ms"] for k in kernels) or 1.0
    sums = {}
    for k in kernels:
        group = k["kind"] if k["kind"] in KINDS else "others"
        sums[group] = sums.get(group, 0.0) + k["ms"]
    return sorted(((g, ms, ms / total) for g, ms in sums.items()), key=lambda row: -row[1])


def kernel_lines(profile, top=15):
    """The profiled step's time by kind, then the `top` kernels by time."""
    kernels = sorted(profile.get("kernels", []), key=lambda k: -k["ms"])
    total = sum(k["ms"] for k in kernels)
    lines = [f"profiled step: {fmt(profile.get('step_ms'), '.2f')} ms; kernels sum to {total:.2f} ms",
             "", "| kind | ms | share |", "|---|---|---|"]
    lines += [f"| {g} | {ms:.2f} | {100 * share:.1f}% |" for g, ms, share in kernel_groups(profile)]
    lines += ["", f"| top {top} kernels | graph | kind | backend | ms | share | TFLOP/s |", "|---|---|---|---|---|---|---|"]
    for k in kernels[:top]:
        rate = k["flops"] / (k["ms"] * 1e9) if k.get("flops") and k["ms"] > 0 else None
        lines.append(f"| {k['kernel']} ({k['source']}) | {k['graph']} | {k['kind']} | {k.get('backend', '')} | "
                     f"{k['ms']:.3f} | {100 * k['ms'] / (total or 1.0):.1f}% | {fmt(rate, '.0f')} |")
    return lines


def compile_lines(trainc_seconds, rows):
    """trainc's compile time (measured on the dev box) and the first step of each PyTorch system."""
    first = {r["system"]: r.get("first_step_seconds") for r in rows if "error" not in r}
    return [f"compile times: trainc {fmt(trainc_seconds, '.1f', 'not given')} s (dev box, `trainc compile`); "
            f"torch.compile first step {fmt(first.get('compile'), '.1f')} s "
            f"(eager first step {fmt(first.get('eager'), '.1f')} s)"]
