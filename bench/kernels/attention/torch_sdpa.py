"""Times torch's scaled_dot_product_attention backends (FA2, cuDNN, and the memory-efficient one, xformers' kernels) on
the attention lab's h200 cases, measured the way the lab measures (attention_lab's harness): causal, bf16 (--dtype
float16: the lab's f16 set), d = 128, 32 heads, 16,384 tokens per call (B = 16384 / T) at
T = 1k, 4k, 16k; 3 warm-up runs, then --repeats runs each after a write of twice the L2 size, timed with CUDA events,
the median kept; fwd is the forward call, fwd+bwd the forward plus the backward. TFLOP/s as h200-baselines.md counts
them (forward 4*B*T*T*H*D halved for causal; fwd+bwd 3.5 times that). Run it in the same job as attention_lab so the
figures compare like for like:

    python3 bench/kernels/attention/torch_sdpa.py [--repeats 10] [--packed | --scaling] [--dtype float16]

With --scaling it times FA2 and cuDNN on the lab's `scaling` set instead: T = 1k, 2k, 4k, 8k, 16k, causal and full.

With --packed it times instead the lab's `packed` set: 16,384 tokens in rows of T = 1k, 4k or 16k, each row holding
documents of 64 to 2048 tokens (the lab's harness draws them; document_rows below draws the same), causal within each,
through torch's varlen attention (torch.nn.attention.varlen: FlashAttention-2 over cu_seqlens) and FlexAttention
(compiled, with a causal + document block mask built once); TFLOP/s count only the pairs inside a document, as the lab
does.

Needs PyTorch with CUDA (the GPU machine has it). Prints one line per backend and length.
"""
import argparse
import inspect

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.nn.functional import scaled_dot_product_attention

BACKENDS = {"flash (FA2)": SDPBackend.FLASH_ATTENTION, "cuDNN": SDPBackend.CUDNN_ATTENTION,
            "mem-efficient": SDPBackend.EFFICIENT_ATTENTION}
TOKENS, HEADS, HEAD_DIM = 16384, 32, 128


def median_ms(fn, flush, repeats):
    """Median over `repeats` runs of fn in milliseconds, each run after the L2 is flushed."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        flush.add_(1)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return sorted(times)[len(times) // 2]


def document_rows(rows, length, low, high):
    """The lab harness's documents (harness.cuh segment_ids): per row of `length` tokens, lengths from its LCG (one
    sequence over all rows) in [low, high], each row's last one cut at the row's end."""
    state, out = 12345, []
    for _ in range(rows):
        lengths = []
        while sum(lengths) < length:
            state = (state * 1664525 + 1013904223) % 2**32
            lengths.append(min(low + (state >> 8) % (high - low + 1), length - sum(lengths)))
        out.append(lengths)
    return out


def packed(t, flush, repeats):
    """varlen (FA2) and FlexAttention on the lab's packed case of rows of t tokens (TOKENS in all)."""
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    from torch.nn.attention.varlen import varlen_attn
    rows = document_rows(TOKENS // t, t, 64, 2048)
    lengths = [n for row in rows for n in row]
    flops = 4 * HEADS * HEAD_DIM * sum(n * (n + 1) // 2 for n in lengths)
    print(f"packed T={t}: {len(lengths)} documents of {min(lengths)} to {max(lengths)} tokens in {len(rows)} rows")
    q, k, v = (torch.randn(TOKENS, HEADS, HEAD_DIM, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    dout = torch.randn(TOKENS, HEADS, HEAD_DIM, device="cuda", dtype=torch.bfloat16)
    cu = torch.tensor([0] + [sum(lengths[:i + 1]) for i in range(len(lengths))], device="cuda", dtype=torch.int32)
    causal = {"is_causal": True} if "is_causal" in inspect.signature(varlen_attn).parameters else {"window_size": (-1, 0)}
    varlen = lambda: varlen_attn(q, k, v, cu, cu, max(lengths), max(lengths), **causal)
    doc = torch.stack([torch.repeat_interleave(torch.arange(len(row), device="cuda"), torch.tensor(row, device="cuda"))
                       for row in rows])
    mask = create_block_mask(lambda b, h, i, j: (doc[b, i] == doc[b, j]) & (j <= i), len(rows), None, t, t)
    compiled = torch.compile(flex_attention, dynamic=False)  # a fresh static compile per length, not a dynamic one
    qf, kf, vf, df = (x.view(len(rows), t, HEADS, HEAD_DIM).transpose(1, 2) for x in (q, k, v, dout))
    flex = lambda: compiled(qf, kf, vf, block_mask=mask)
    for name, forward, grad_out in (("varlen (FA2)", varlen, dout), ("flex", flex, df)):
        both = lambda: torch.autograd.grad(forward(), (q, k, v), grad_out)
        fwd, fwd_bwd = median_ms(forward, flush, repeats), median_ms(both, flush, repeats)
        print(f"packed T={t:<6d} {name:12s} fwd {fwd:8.3f} ms {flops / fwd / 1e9:6.1f} TFLOP/s | "
              f"fwd+bwd {fwd_bwd:8.3f} ms {3.5 * flops / fwd_bwd / 1e9:6.1f} TFLOP/s (visible pairs)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    cases = parser.add_mutually_exclusive_group()
    cases.add_argument("--packed", action="store_true", help="the lab's packed-documents case instead")
    cases.add_argument("--scaling", action="store_true",
                        help="the lab's scaling set instead: T = 1k to 16k, causal and full, FA2 and cuDNN")
    parser.add_argument("--dtype", choices=["bfloat16", "float16"], default="bfloat16",
                        help="the element type of the h200 cases (the lab's f16 set: float16)")
    args = parser.parse_args()
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    flush = torch.empty(2 * l2 // 4, dtype=torch.float32, device="cuda")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    lengths = (1024, 2048, 4096, 8192, 16384) if args.scaling else (1024, 4096, 16384)
    if args.packed:
        for t in lengths:
            packed(t, flush, args.repeats)
        return
    backends = {n: BACKENDS[n] for n in ("flash (FA2)", "cuDNN")} if args.scaling else BACKENDS
    for causal in ((True, False) if args.scaling else (True,)):
        for t in lengths:
            timed(t, causal, getattr(torch, args.dtype), backends, flush, args.repeats)


def timed(t, causal, dtype, backends, flush, repeats):
    """Prints fwd and fwd+bwd of each backend at length t (16,384 tokens per call)."""
    b = TOKENS // t
    q, k, v = (torch.randn(b, HEADS, t, HEAD_DIM, device="cuda", dtype=dtype, requires_grad=True) for _ in range(3))
    dout = torch.randn(b, HEADS, t, HEAD_DIM, device="cuda", dtype=dtype)
    flops = 4 * b * t * t * HEADS * HEAD_DIM / (2 if causal else 1)
    for name, backend in backends.items():
        with sdpa_kernel(backend):
            forward = lambda: scaled_dot_product_attention(q, k, v, is_causal=causal)
            both = lambda: torch.autograd.grad(forward(), (q, k, v), dout)
            fwd, fwd_bwd = median_ms(forward, flush, repeats), median_ms(both, flush, repeats)
        print(f"T={t:<6d} {'' if causal else 'full '}{name:12s} fwd {fwd:8.3f} ms {flops / fwd / 1e9:6.1f} TFLOP/s | "
              f"fwd+bwd {fwd_bwd:8.3f} ms {3.5 * flops / fwd_bwd / 1e9:6.1f} TFLOP/s")


if __name__ == "__main__":
    main()
