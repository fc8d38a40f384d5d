// main() of a generated CUDA program, per mode (trainMain, gradsMain). `train <run.json> [--profile <file.json>]` reads
// run.json (written by `trainc train --target cuda`), loads the parameters, picks the backend of every GEMM
// (runtime/gemm-choice.h: TRAINC_GEMM, TRAINC_CUBLASLT), captures @micro_step and @optimizer_step (and @eval_step, with
// a validation split) as CUDA graphs, replays them for every step with the batches of the batch file (evaluating the
// eval batch file before the first step, every eval_every steps and after the last), reports progress and metrics, writes Hugging Face
// checkpoints and, at the end, <output_dir>/summary.json. With --profile, the first optimizer step (its first
// micro_step and its optimizer_step) runs uncaptured with an event around every launch, and the per-kernel times go
// to the file named; it is a real training step, so profiling changes no result. The formats of both files are in
// runtime/run-summary.h. `grads` runs @grads once on one batch and writes loss, logits and every gradient (what
// `trainc grads --target cuda` returns), with the same GEMM choice.
// Messages on stderr: one line at start saying whether cuBLASLt loaded (and from which file), one after the GEMM
// choice counting the GEMMs on each backend, then the progress lines.
// Invariants: the host touches only the state slots named here (parameters, batch, scalars, accumulators); every
// step ends with a check of the device error flag; every GEMM's backend is chosen before the first capture, and the
// GEMM timing writes only the GEMMs' own outputs (activations, or a graph's output slots), which every run of their
// graph writes again before anything reads them, so it changes no result.

import type { DType } from "../../ir/dtype.ts";
import { findGraph, type Graph } from "../../ir/graph.ts";
import { bytesOf, type Placement } from "../schedule/memory.ts";
import { cString, graphFunction, programBody, programKernels } from "./host.ts";
import type { CudaProgram } from "./program.ts";
import { SCALER_STATE } from "../../ir/train-step/loss-scale.ts";

function hostType(dtype: DType): string {
  switch (dtype) {
    case "f32": return "trainc::Host::F32";
    case "bf16": return "trainc::Host::BF16";
    case "f16": return "trainc::Host::F16";
    default: throw new Error(`parameters of dtype ${dtype} cannot be loaded by the CUDA runtime`);
  }
}

function shapeOf(graph: Graph, name: string): number[] {
  return graph.types[graph.inputs.find((i) => i.name === name)!.id]!.shape as number[];
}

/** `{"name", offset, Host, {shape}}` rows for tensors the host loads or saves. */
function tensorTable(name: string, graph: Graph, names: readonly string[], slot: (n: string) => Placement): string {
  const rows = names.map((n) => {
    const dtype = graph.types[graph.inputs.find((i) => i.name === n)!.id]!.dtype;
    return `  {${cString(n)}, ${slot(n).offset}ULL, ${hostType(dtype)}, {${shapeOf(graph, n).join(", ")}}},`;
  });
  return `static const HostTensor ${name}[] = {\n${rows.join("\n")}\n};`;
}

const COMMON_HEAD = String.raw`#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>
#include "cuda-runtime.h"

struct HostTensor {
  const char* name;
  uint64_t offset;
  trainc::Host host;
  std::vector<uint64_t> shape;
  uint64_t count() const { uint64_t n = 1; for (uint64_t d : shape) n *= d; return n; }
  size_t bytes() const { return count() * trainc::host_bytes(host); }
};

static const trainc::json::Value& member(const trainc::json::Value& run, const char* key) {
  const trainc::json::Value* v = run.find(key);
  if (v == nullptr) trainc::fail(6540, std::string("run file: missing '") + key + "'", "run the program through trainc, which writes the run file");
  return *v;
}

static std::string read_text(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) trainc::fail(6540, "cannot read '" + path + "'", "run the program through trainc, which writes this file");
  std::string text;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
  std::fclose(f);
  return text;
}

// A path named in run.json: relative paths are relative to run.json's folder.
static std::string run_path(const std::string& run_file, const std::string& p) {
  const std::string base = std::filesystem::path(run_file).parent_path().string();
  return p.empty() || p[0] == '/' || base.empty() ? p : base + "/" + p;
}

static void load_tensors(const std::string& file, const HostTensor* tensors, size_t count, char* state, cudaStream_t stream) {
  trainc::SafetensorsReader reader(file);
  std::vector<unsigned char> host;
  for (size_t i = 0; i < count; i++) {
    host.resize(tensors[i].bytes());
    reader.read(tensors[i].name, tensors[i].host, host.data(), tensors[i].shape);
    TRAINC_CUDA_CHECK(cudaMemcpyAsync(state + tensors[i].offset, host.data(), host.size(), cudaMemcpyHostToDevice, stream));
    TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
}
`;

/**
 * The compute capability a build for `arch` needs, and whether only that exact one runs it: sm_90 needs 90 or newer,
 * sm_90a exactly 90; an AMD arch needs none (the HIP runtime refuses a code object built for another GPU itself).
 */
export function archRequirement(arch: string): { readonly capability: number; readonly specific: boolean } {
  const sm = /^sm_(\d+)(a?)$/.exec(arch);
  return sm ? { capability: Number(sm[1]), specific: sm[2] === "a" } : { capability: 0, specific: false };
}

/** The device check both modes start with (it creates the device context), as C++ statements inside main's body. */
function deviceCheck(arch: string, rows: number, length: number): string {
  const { capability, specific } = archRequirement(arch);
  return String.raw`    const cudaDeviceProp prop = trainc::check_device({${capability}, ${specific}, kStateBytes + kActivationBytes + kWorkspaceBytes, {${rows}, ${length}}});`;
}

/** The arena and GEMM setup both modes share, as C++ statements inside main's body. */
const SETUP = String.raw`    allow_shared_memory(prop);
    trainc::DeviceArena state("state", kStateBytes), activations("activations", kActivationBytes), workspace("workspace", kWorkspaceBytes);
    state.check(kStateSlots, sizeof kStateSlots / sizeof kStateSlots[0]);
    activations.check(kActivationSlots, sizeof kActivationSlots / sizeof kActivationSlots[0]);
    const Arenas A{state.at<char>({"state", 0, 0}), activations.at<char>({"activations", 0, 0}), workspace.at<char>({"workspace", 0, 0})};
    cudaStream_t stream;
    TRAINC_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    if (kStateBytes > 0) TRAINC_CUDA_CHECK(cudaMemsetAsync(A.state, 0, kStateBytes, stream));
    // Zeroed so the GEMM timing reads defined values.
    if (kActivationBytes > 0) TRAINC_CUDA_CHECK(cudaMemsetAsync(A.activations, 0, kActivationBytes, stream));
    trainc::GemmChooser gemms(trainc::gemm_mode(std::getenv("TRAINC_GEMM")), A.workspace);
    std::fprintf(stderr, "%s\n", gemms.library_line().c_str());
    trainc::KernelProfiler profiler(kLaunches);
    trainc::Launches L{gemms, profiler};`;

/** Picks every GEMM's backend (after the parameters are loaded, before any capture), as C++ statements. */
const CHOOSE_GEMMS = String.raw`    gemms.choose(gemm_sites(A), stream, [&](const std::function<void()>& work) { return trainc::time_on_stream(stream, work, 5); }, stderr);
    std::fprintf(stderr, "%s\n", gemms.choice_line().c_str());`;

/** Where the training program's host-visible state sits, and how its capture functions move it. */
interface TrainLayout {
  readonly state: (name: string) => Placement;
  readonly params: readonly string[];
  readonly lossType: string;
  readonly sizes: { readonly B: number; readonly T: number };
  /** The module has @eval_step (run.json then names eval_batches and eval_every). */
  readonly evaluates: boolean;
}

function trainLayout(program: CudaProgram, module: { graphs: readonly Graph[] }, sizes: { B: number; T: number }): TrainLayout {
  const micro = findGraph(module, "micro_step");
  const state = (name: string) => program.memory.state.get(name)!;
  const params = findGraph(module, "optimizer_step").inputs.map((i) => i.name)
    .filter((n) => !/^(acc|m|v)\.|^(step|token_count)$/.test(n) && !SCALER_NAMES.has(n));
  const lossType = micro.types[micro.outputs.find((o) => o.name === "loss_sum")!.id]!.dtype === "f64" ? "double" : "float";
  return { state, params, lossType, sizes, evaluates: module.graphs.some((g) => g.name === "eval_step") };
}

/**
 * issue_micro and issue_optimizer: one graph's work on a stream with its copies in and out (what is captured, and
 * what the profiled step runs uncaptured), then the capture of both.
 */
function captures(t: TrainLayout): string {
  const { state, sizes } = t;
  const out = (g: string, n: string) => state(`${g}:${n}`);
  const accZero = t.params.map((p) => `      TRAINC_CUDA_CHECK(cudaMemsetAsync(A.state + ${state(`acc.${p}`).offset}ULL, 0, ${state(`acc.${p}`).bytes}ULL, s));`);
  const batchBytes = bytesOf("i64", sizes.B * sizes.T);
  const h2d = (slot: Placement, src: string, bytes: number) =>
    `      TRAINC_CUDA_CHECK(cudaMemcpyAsync(A.state + ${slot.offset}ULL, ${src}, ${bytes}ULL, cudaMemcpyHostToDevice, s));`;
  const d2h = (dst: string, slot: Placement) =>
    `      TRAINC_CUDA_CHECK(cudaMemcpyAsync(${dst}, A.state + ${slot.offset}ULL, ${slot.bytes}ULL, cudaMemcpyDeviceToHost, s));`;
  const uploadBatch = [
    h2d(state("input_ids"), "batch", batchBytes),
    h2d(state("labels"), `batch + ${sizes.B * sizes.T}`, batchBytes),
    h2d(state("position_ids"), `batch + ${2 * sizes.B * sizes.T}`, batchBytes),
  ].join("\n");
  const evaluation = !t.evaluates ? "" : String.raw`
    const auto issue_eval = [&](cudaStream_t s) {
${uploadBatch}
      ${graphFunction("eval_step")}(A, s, L);
${d2h("eval_loss_sum", out("eval_step", "loss_sum"))}
${d2h("eval_count", out("eval_step", "token_count"))}
    };
    trainc::StepGraph evaluator;
    evaluator.capture(stream, issue_eval);`;
  return String.raw`    const auto issue_micro = [&](cudaStream_t s) {
${uploadBatch}
      ${graphFunction("micro_step")}(A, s, L);
${d2h("loss_sum", out("micro_step", "loss_sum"))}
${d2h("scalars", out("micro_step", "token_count"))}
    };
    const auto issue_optimizer = [&](cudaStream_t s) {
${h2d(state("step"), "scalars + 1", 8)}
${h2d(state("token_count"), "scalars + 2", 8)}
      ${graphFunction("optimizer_step")}(A, s, L);
${accZero.join("\n")}
${d2h("results", out("optimizer_step", "grad_norm"))}
${d2h("results + 1", out("optimizer_step", "lr"))}
    };
    trainc::StepGraph micro, optimizer;
    micro.capture(stream, issue_micro);
    optimizer.capture(stream, issue_optimizer);${evaluation}`;
}

/**
 * The held-out batches and the evaluations (its pinned buffers; `start`: the `evaluate` function and the evaluation
 * before the first step; `run`: the one after a step, in the loop): every batch through the captured @eval_step, the
 * mean loss over their target tokens to the reporter.
 */
function evalSetup(t: TrainLayout): { buffers: string; start: string; run: string } {
  if (!t.evaluates) return { buffers: "", start: "", run: "" };
  const buffers = String.raw`
    trainc::BatchFile eval_batches(path("eval_batches"), {${t.sizes.B}u, ${t.sizes.T}u, (int32_t)member(run, "vocab_size").number, (int32_t)member(run, "max_position").number});
    const int64_t eval_every = (int64_t)member(run, "eval_every").number;
    ${t.lossType}* eval_loss_sum = nullptr;
    int64_t* eval_count = nullptr;
    TRAINC_CUDA_CHECK(cudaMallocHost(&eval_loss_sum, sizeof(${t.lossType})));
    TRAINC_CUDA_CHECK(cudaMallocHost(&eval_count, sizeof(int64_t)));`;
  const evaluate = String.raw`
    const auto evaluate = [&](int64_t taken) {
      double eval_loss = 0;
      int64_t eval_targets = 0;
      for (uint32_t e = 0; e < eval_batches.count(); e++) {
        eval_batches.read(e, raw);
        for (uint64_t i = 0; i < eval_batches.elements(); i++) batch[i] = raw[i];
        evaluator.replay(stream);
        TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
        eval_loss += (double)*eval_loss_sum;
        eval_targets += *eval_count;
      }
      if (!trainc_check_device_error(kernel_of_site)) TRAINC_CUDA_CHECK(cudaGetLastError());
      reporter.eval({taken, eval_loss / (double)eval_targets, eval_targets});
    };
    evaluate(0);`;
  const run = String.raw`
      if ((step + 1) % eval_every == 0 || step + 1 == steps) evaluate(step + 1);`;
  return { buffers, start: evaluate, run };
}

/**
 * The step loop: replays (the first step profiled uncaptured with --profile), evaluations (`evaluate`: evalSetup's
 * run), metrics, checkpoints, summary.json.
 */
const stepLoop = (evaluation: { start: string; run: string }) => String.raw`    trainc::Reporter reporter(steps, logging, out_dir + "/metrics.jsonl", stderr, trainc::is_terminal(stderr));${evaluation.start}
    trainc::RunSummary summary{{}, {}, {kPredictedBytes, kStateBytes + kActivationBytes + kWorkspaceBytes, 0},
                               gemms.count(trainc::GemmBackend::Generated), gemms.count(trainc::GemmBackend::Cublaslt)};
    uint64_t most_used = context_bytes;
    uint32_t next_batch = 0;
    for (int64_t step = 0; step < steps; step++) {
      const auto started = std::chrono::steady_clock::now();
      const bool profiled = !profile_file.empty() && step == 0;
      double loss = 0;
      int64_t targets = 0, inputs = 0, epoch = 0;
      for (int64_t g = 0; g < accumulation; g++) {
        const trainc::BatchInfo info = batches.read(next_batch++ % batches.count(), raw);
        for (uint64_t e = 0; e < batches.elements(); e++) batch[e] = raw[e];
        if (profiled && g == 0) profiler.run(stream, issue_micro);
        else micro.replay(stream);
        TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
        loss += (double)*loss_sum;
        targets += scalars[0];
        inputs += info.tokens;
        epoch = info.epoch;
      }
      scalars[1] = step;
      scalars[2] = targets;
      if (profiled) profiler.run(stream, issue_optimizer);
      else optimizer.replay(stream);
      TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
      if (!trainc_check_device_error(kernel_of_site)) TRAINC_CUDA_CHECK(cudaGetLastError());
      summary.step_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      summary.step_tokens.push_back(inputs);
      if (step < 3) most_used = std::max(most_used, trainc::device_used_bytes());
      if (profiled) trainc::write_report_file(profile_file, profiler.json(gemms), "kernel profile");
      reporter.step({step + 1, epoch, loss / (double)targets, (double)results[1], (double)results[0], targets, inputs});${evaluation.run}
      if (save_every > 0 && (step + 1) % save_every == 0 && step + 1 < steps) save(out_dir + "/checkpoint-" + std::to_string(step + 1), true);
    }
    reporter.done();
    save(out_dir, false);
    summary.memory.peak_used = most_used - context_bytes;
    trainc::write_report_file(out_dir + "/summary.json", trainc::summary_json(summary), "run summary");
    return 0;`;

const SCALER_NAMES: ReadonlySet<string> = new Set(Object.values(SCALER_STATE).map((s) => s.name));

/**
 * Statements that set the fp16 loss scaler's state slots to their first values (`scaler`, compiler/plan.ts
 * scalerStart; empty without loss scaling), on the stream after the state arena was zeroed, waiting for the copies.
 */
function scalerSetup(t: TrainLayout, scaler: Readonly<Record<string, number>>): string {
  const entries = Object.values(SCALER_STATE).filter((s) => s.name in scaler);
  if (entries.length === 0) return "";
  const copies = entries.map((s, i) => {
    const [type, value] = s.dtype === "f32" ? ["float", String(scaler[s.name])] : ["int64_t", `${scaler[s.name]}LL`];
    return `      static const ${type} first${i} = ${value};  // ${s.name}
      TRAINC_CUDA_CHECK(cudaMemcpyAsync(A.state + ${t.state(s.name).offset}ULL, &first${i}, sizeof first${i}, cudaMemcpyHostToDevice, stream));`;
  });
  return `
    {  // the fp16 loss scaler's first state (ir/train-step/loss-scale.ts)
${copies.join("\n")}
      TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
    }`;
}

/**
 * main.cu of a training program (graphs micro_step and optimizer_step, and eval_step when the module has it); `scaler`
 * is the fp16 loss scaler's first state (empty without loss scaling).
 */
export function trainMain(program: CudaProgram, module: { graphs: readonly Graph[] }, sizes: { B: number; T: number },
  arch: string, scaler: Readonly<Record<string, number>>): string {
  const t = trainLayout(program, module, sizes);
  const evaluation = evalSetup(t);
  return [COMMON_HEAD, programKernels(program), programBody(program),
    tensorTable("kParams", findGraph(module, "micro_step"), t.params, t.state),
    String.raw`int main(int argc, char** argv) {
  return trainc::guarded_main([&]() -> int {
    if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--profile")) {
      trainc::fail(6540, "usage: train <run.json> [--profile <file.json>]", "start the program with trainc train --target cuda, which writes run.json");
    }
    const std::string profile_file = argc == 4 ? argv[3] : "";
    const trainc::json::Value run = trainc::json::parse(read_text(argv[1]));
    const auto path = [&](const char* key) { return run_path(argv[1], member(run, key).text); };
    const std::string out_dir = path("output_dir");
    const int64_t steps = (int64_t)member(run, "steps").number, accumulation = (int64_t)member(run, "accumulation").number;
    const int64_t logging = (int64_t)member(run, "logging_steps").number, save_every = (int64_t)member(run, "save_every").number;
` + deviceCheck(arch, sizes.B, sizes.T) + String.raw`
    const uint64_t context_bytes = trainc::device_used_bytes();  // before any allocation (summary.json)
` + SETUP + String.raw`
    const size_t param_count = sizeof kParams / sizeof kParams[0];
    load_tensors(path("parameters"), kParams, param_count, A.state, stream);${scalerSetup(t, scaler)}
` + CHOOSE_GEMMS + String.raw`
    trainc::BatchFile batches(path("batches"), {${sizes.B}u, ${sizes.T}u, (int32_t)member(run, "vocab_size").number, (int32_t)member(run, "max_position").number});
    int32_t* raw = nullptr;
    int64_t* batch = nullptr;
    ${t.lossType}* loss_sum = nullptr;
    int64_t* scalars = nullptr;  // micro token_count, optimizer step, optimizer token_count
    float* results = nullptr;    // grad_norm, lr
    TRAINC_CUDA_CHECK(cudaMallocHost(&raw, batches.elements() * sizeof(int32_t)));
    TRAINC_CUDA_CHECK(cudaMallocHost(&batch, 3 * ${bytesOf("i64", sizes.B * sizes.T)}ULL));
    TRAINC_CUDA_CHECK(cudaMallocHost(&loss_sum, sizeof(${t.lossType})));
    TRAINC_CUDA_CHECK(cudaMallocHost(&scalars, 3 * sizeof(int64_t)));
    TRAINC_CUDA_CHECK(cudaMallocHost(&results, 2 * sizeof(float)));${evaluation.buffers}
` + captures(t) + String.raw`
    const auto save = [&](const std::string& dir, bool whole_folder) {
      std::vector<std::vector<unsigned char>> host(param_count);
      std::vector<trainc::TensorToWrite> tensors;
      for (size_t i = 0; i < param_count; i++) {
        host[i].resize(kParams[i].bytes());
        TRAINC_CUDA_CHECK(cudaMemcpy(host[i].data(), A.state + kParams[i].offset, host[i].size(), cudaMemcpyDeviceToHost));
        tensors.push_back({kParams[i].name, kParams[i].shape, kParams[i].host, host[i].data()});
      }
      const trainc::Checkpoint checkpoint{dir, read_text(path("config_json")), tensors, trainc::Stored::F32, path("tokenizer_dir")};
      if (whole_folder) trainc::save_checkpoint(checkpoint);
      else trainc::save_model_files(checkpoint);
    };
` + stepLoop(evaluation) + String.raw`
  });
}
`].join("\n\n");
}

/** main.cu of a grads program (graph `grads`: loss, logits and grad.<name> for one batch). */
export function gradsMain(program: CudaProgram, graph: Graph, sizes: { B: number; T: number }, arch = "sm_90"): string {
  const state = (name: string) => program.memory.state.get(name)!;
  const params = graph.inputs.map((i) => i.name).filter((n) => !["input_ids", "labels", "position_ids"].includes(n));
  const outputs = graph.outputs.map((o) => {
    const t = graph.types[o.id]!;
    const shape = t.shape.length === 0 ? [1] : (t.shape as number[]);
    return `  {${cString(o.name)}, ${state(`grads:${o.name}`).offset}ULL, ${hostType(t.dtype)}, {${shape.join(", ")}}},`;
  });
  const batchBytes = bytesOf("i64", sizes.B * sizes.T);
  const batchRows = ["input_ids", "labels", "position_ids"].map((n) => `  {${cString(n)}, ${state(n).offset}ULL, trainc::Host::I32, {${sizes.B}, ${sizes.T}}},`);
  return [COMMON_HEAD, programKernels(program), programBody(program),
    tensorTable("kParams", graph, params, state),
    `static const HostTensor kOutputs[] = {\n${outputs.join("\n")}\n};`,
    `static const HostTensor kBatch[] = {\n${batchRows.join("\n")}\n};`,
    String.raw`int main(int argc, char** argv) {
  return trainc::guarded_main([&]() -> int {
    if (argc != 2) trainc::fail(6540, "usage: grads <run.json>", "start the program with trainc grads --target cuda, which writes run.json");
    const trainc::json::Value run = trainc::json::parse(read_text(argv[1]));
    const auto path = [&](const char* key) { return run_path(argv[1], member(run, key).text); };
` + deviceCheck(arch, sizes.B, sizes.T) + "\n" + SETUP + String.raw`
    load_tensors(path("parameters"), kParams, sizeof kParams / sizeof kParams[0], A.state, stream);
` + CHOOSE_GEMMS + String.raw`
    trainc::SafetensorsReader batch(path("batch"));
    std::vector<int32_t> raw(${sizes.B * sizes.T});
    std::vector<int64_t> wide(raw.size());
    for (const HostTensor& t : kBatch) {
      if (batch.find(t.name) != nullptr) {
        batch.read(t.name, trainc::Host::I32, raw.data(), t.shape);
        for (size_t i = 0; i < raw.size(); i++) wide[i] = raw[i];
      } else if (std::string(t.name) == "position_ids") {
        for (size_t i = 0; i < raw.size(); i++) wide[i] = (int64_t)(i % ${sizes.T});
      } else {
        batch.info(t.name);
      }
      TRAINC_CUDA_CHECK(cudaMemcpy(A.state + t.offset, wide.data(), ${batchBytes}ULL, cudaMemcpyHostToDevice));
    }
    ${graphFunction("grads")}(A, stream, L);
    TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (!trainc_check_device_error(kernel_of_site)) TRAINC_CUDA_CHECK(cudaGetLastError());
    std::vector<std::vector<unsigned char>> host(sizeof kOutputs / sizeof kOutputs[0]);
    std::vector<trainc::TensorToWrite> tensors;
    for (size_t i = 0; i < host.size(); i++) {
      host[i].resize(kOutputs[i].bytes());
      TRAINC_CUDA_CHECK(cudaMemcpy(host[i].data(), A.state + kOutputs[i].offset, host[i].size(), cudaMemcpyDeviceToHost));
      tensors.push_back({kOutputs[i].name, kOutputs[i].shape, kOutputs[i].host, host[i].data()});
    }
    trainc::write_safetensors(path("out"), tensors, trainc::Stored::F32, {});
    std::printf("wrote loss, logits and %zu gradients to %s\n", tensors.size() - 2, path("out").c_str());
    return 0;
  });
}
`].join("\n\n");
}
