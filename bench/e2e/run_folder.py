"""The run folder a trainc CUDA training binary reads, written with the Python standard library alone (no torch), as
compiler/cuda-run.ts's runCuda writes it: parameters.safetensors, batches.bin, config.json and run.json, whose paths
are relative to run.json's folder.

- Parameters: the Hugging Face names and shapes of a LlamaForCausalLM built from a config.json (llama_parameters; with
  tied embeddings there is no lm_head.weight), stored as float32 safetensors: an 8-byte little-endian header length,
  the JSON header (padded with spaces to a multiple of 8), then each tensor's bytes back to back in header order.
- Batches: the layout of backends/cuda/runtime/batch-file.ts: a 24-byte header ("TRNCBTCH", u32 version 1, count, B,
  T), then per batch i32 epoch, i32 tokens and the i32 [B,T] planes input_ids, labels, position_ids. Benchmark batches
  are random tokens with labels = input_ids (trainc's loss shifts them, as transformers does), positions 0..T-1 in
  every row, epoch 0 and B*T real tokens.
Invariants: every value is little-endian (the writer refuses a big-endian host); the same seed gives the same bytes.
"""
import array
import json
import os
import random
import sys

BATCH_MAGIC = b"TRNCBTCH"
BATCH_VERSION = 1
BATCH_HEADER_BYTES = 24
IGNORE_INDEX = -100


def require_little_endian():
    """Both formats are little-endian; array.tobytes writes the host's order."""
    if sys.byteorder != "little":
        raise SystemExit("run_folder: this host is big-endian; write the run folder on an x86-64 or Arm64 machine")


def llama_parameters(config):
    """[(name, shape)] of LlamaForCausalLM(config) in named_parameters order (tied embeddings: no lm_head.weight)."""
    if config.get("model_type") != "llama":
        raise SystemExit(f"run_folder: config.json has model_type {config.get('model_type')!r}; this benchmark builds "
                         "LlamaForCausalLM, so give it a Llama config.json")
    h, inner, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    heads = config["num_attention_heads"]
    kv = config.get("num_key_value_heads") or heads
    hd = config.get("head_dim") or h // heads
    out = [("model.embed_tokens.weight", [vocab, h])]
    for layer in range(config["num_hidden_layers"]):
        out += layer_parameters(f"model.layers.{layer}", h, inner, heads * hd, kv * hd, config)
    out.append(("model.norm.weight", [h]))
    if not config.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", [vocab, h]))
    return out


def layer_parameters(prefix, h, inner, q_width, kv_width, config):
    """One decoder layer's parameters; biases where attention_bias / mlp_bias ask for them."""
    attention_bias, mlp_bias = config.get("attention_bias", False), config.get("mlp_bias", False)
    rows = []
    attention = (("q_proj", [q_width, h]), ("k_proj", [kv_width, h]), ("v_proj", [kv_width, h]), ("o_proj", [h, q_width]))
    for proj, shape in attention:
        rows.append((f"{prefix}.self_attn.{proj}.weight", shape))
        if attention_bias:
            rows.append((f"{prefix}.self_attn.{proj}.bias", shape[:1]))
    for proj, shape in (("gate_proj", [inner, h]), ("up_proj", [inner, h]), ("down_proj", [h, inner])):
        rows.append((f"{prefix}.mlp.{proj}.weight", shape))
        if mlp_bias:
            rows.append((f"{prefix}.mlp.{proj}.bias", shape[:1]))
    rows += [(f"{prefix}.input_layernorm.weight", [h]), (f"{prefix}.post_attention_layernorm.weight", [h])]
    return rows


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def parameter_count(config):
    """N of the model FLOPs: every parameter once (tied embeddings counted once)."""
    return sum(numel(shape) for _, shape in llama_parameters(config))


def safetensors_header(tensors):
    """The padded JSON header of float32 tensors [(name, shape)] stored back to back in this order."""
    entries, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in tensors:
        size = 4 * numel(shape)
        entries[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(entries, separators=(",", ":")).encode()
    return text + b" " * (-len(text) % 8)


def write_safetensors(path, tensors, data_of):
    """Writes float32 tensors [(name, shape)]; data_of(name, shape) returns each one's bytes (any buffer)."""
    require_little_endian()
    header = safetensors_header(tensors)
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for name, shape in tensors:
            data = data_of(name, shape)
            if memoryview(data).nbytes != 4 * numel(shape):
                raise SystemExit(f"run_folder: tensor {name} has {memoryview(data).nbytes} bytes, expected float32 {shape}")
            f.write(data)


def synthetic_parameters(config, seed):
    """data_of for a run without torch: normal(0, initializer_range) matrices from one repeated block of 4096
    seeded draws, norm weights 1, biases 0 (the values only need to be finite and fixed by the seed)."""
    std = config.get("initializer_range", 0.02)
    rng = random.Random(seed)
    block = array.array("f", (rng.gauss(0.0, std) for _ in range(4096))).tobytes()

    def data_of(name, shape):
        n = numel(shape)
        if name.endswith("norm.weight"):
            return array.array("f", [1.0]) * n
        if name.endswith(".bias"):
            return array.array("f", [0.0]) * n
        return (block * (n // 4096 + 1))[: 4 * n]
    return data_of


def token_batches(seed, count, rows, length, vocab):
    """count batches of [rows*length] random token ids in [0, vocab), row-major, from a generator seeded by seed."""
    rng = random.Random(seed)
    return [array.array("i", (rng.randrange(vocab) for _ in range(rows * length))) for _ in range(count)]


def write_batch_file(path, batches, rows, length):
    """batches.bin for [rows, length] batches of random tokens (see the module docstring)."""
    require_little_endian()
    positions = array.array("i", list(range(length)) * rows)
    with open(path, "wb") as f:
        f.write(BATCH_MAGIC + array.array("I", [BATCH_VERSION, len(batches), rows, length]).tobytes())
        for ids in batches:
            if len(ids) != rows * length:
                raise SystemExit(f"run_folder: a batch has {len(ids)} tokens, expected {rows}x{length}")
            f.write(array.array("i", [0, rows * length]).tobytes())
            f.write(ids.tobytes())
            f.write(ids.tobytes())
            f.write(positions.tobytes())


def write_run_json(run_dir, output_dir, steps, logging_steps, vocab, length):
    """run.json with the keys runCuda writes; no checkpoints between steps (the final save still happens)."""
    spec = {
        "output_dir": os.path.relpath(output_dir, run_dir), "parameters": "parameters.safetensors",
        "batches": "batches.bin", "config_json": "config.json", "tokenizer_dir": "", "steps": steps,
        "accumulation": 1, "logging_steps": logging_steps, "save_every": 0, "vocab_size": vocab, "max_position": length,
    }
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        f.write(json.dumps(spec, indent=1) + "\n")
    return os.path.join(run_dir, "run.json")


def write_run_folder(run_dir, output_dir, config_text, data_of, batches, sizes, steps):
    """Writes the whole run folder; sizes = (B, T). Returns the path of run.json."""
    config = json.loads(config_text)
    os.makedirs(run_dir, exist_ok=True)
    os.makedirs(output_dir, exist_ok=True)
    write_safetensors(os.path.join(run_dir, "parameters.safetensors"), llama_parameters(config), data_of)
    write_batch_file(os.path.join(run_dir, "batches.bin"), batches, *sizes)
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        f.write(config_text)
    return write_run_json(run_dir, output_dir, steps, 1, config["vocab_size"], sizes[1])
