// Bad data found on the device. Where the interpreter fails a node (an id outside the vocabulary, a label outside the
// classes, a gather index out of range, an AdamW step below 1), a template kernel clamps nothing: it records the first
// such error of the step in the device variables below, leaves the offending element unread, and carries on. The host
// reads the flag after each step and stops with the interpreter's error code and a message naming the kernel.
// Contract (device): `int trainc_error_code` (0: none) and `long long trainc_error_info[4]` = {kernel site, flat
// position, offending value, bound}; the first error wins (atomicCAS). A kernel's site is its name's hash prefix
// (errorSite), so the host maps a site back to the kernel name it emitted.
// Contract (host): after the step, hostErrorCheckSource()'s function reads both with cudaMemcpyFromSymbol, throws
// trainc::Error (backends/cuda/runtime/error.h) for a non-zero code, and otherwise returns.
// Invariant: every kernel source that raises includes DEVICE_ERROR_SOURCE; its include guard defines the variables
// once per translation unit, so all kernels of a program must share one translation unit (or the emitter defines the
// variables once and compiles with -rdc).

/** One device-side error: the interpreter's code, and the host's message and fix. */
export interface DeviceError {
  readonly code: number;
  /** C++ expression of a std::string, over `position`, `value` and `bound` (long long). */
  readonly message: string;
  readonly fix: string;
}

const str = (name: string) => `std::to_string(${name})`;

/** The errors kernels raise, with the interpreter's codes (ir/interpret/context.ts). */
export const DEVICE_ERRORS: readonly DeviceError[] = [
  {
    code: 6110,
    message: `"id " + ${str("value")} + " at flat position " + ${str("position")} + " is outside [0, " + ${str("bound")} + ")"`,
    fix: "token ids must be below the vocabulary size; check the tokenizer and the model's vocab_size",
  },
  {
    code: 6111,
    message: `"target " + ${str("value")} + " at flat position " + ${str("position")} + " is outside [0, " + ` +
      `${str("bound")} + ") and is not the ignore_index"`,
    fix: "labels must be token ids below the vocabulary size, or the ignore index (-100)",
  },
  {
    code: 6120,
    message: `"adamw step is " + ${str("value")} + "; steps count updates from " + ${str("bound")}`,
    fix: "start the step counter at 1",
  },
  {
    code: 6121,
    message: `"index " + ${str("value")} + " at flat position " + ${str("position")} + " is outside [0, " + ` +
      `${str("bound")} + ")"`,
    fix: "gather indices must lie in [0, size); negative indices are not wrapped, so add the axis size to them first",
  },
];

/** Device side of the contract; every raising kernel's source starts with it. */
export const DEVICE_ERROR_SOURCE = String.raw`#ifndef TRAINC_DEVICE_ERROR
#define TRAINC_DEVICE_ERROR
// The first bad-data error of the step (0: none) and {kernel site, flat position, offending value, bound}; the host
// reads them after the step (backends/cuda/templates/device-error.ts).
__device__ int trainc_error_code;
__device__ long long trainc_error_info[4];
static __device__ __forceinline__ void trainc_raise(int code, long long site, long long position, long long value,
                                                    long long bound) {
  if (atomicCAS(&trainc_error_code, 0, code) == 0) {
    trainc_error_info[0] = site;
    trainc_error_info[1] = position;
    trainc_error_info[2] = value;
    trainc_error_info[3] = bound;
  }
}
#endif`;

/** The site number a kernel named `<op>_<hex>` reports: the first 7 hex digits of its name's hash. */
export function errorSite(kernelName: string): number {
  const hex = /_([0-9a-f]{7})[0-9a-f]*$/.exec(kernelName);
  if (!hex) throw new Error(`kernel name ${kernelName} does not end in a hash`);
  return parseInt(hex[1]!, 16);
}

function cString(text: string): string {
  return JSON.stringify(text);
}

/**
 * Host side of the contract (C++17, after DEVICE_ERROR_SOURCE and backends/cuda/runtime/error.h): a function that
 * reads the flag and throws trainc::Error; `kernel_of_site` names the kernel for a site. Returns false if the CUDA
 * reads failed (the caller reports the CUDA error), true otherwise.
 */
export function hostErrorCheckSource(): string {
  const cases = DEVICE_ERRORS.map((e) => `    case ${e.code}:
      trainc::fail(${e.code}, where + ${e.message}, ${cString(e.fix)});`).join("\n");
  return `// Throws trainc::Error for the first bad-data error a kernel recorded in this step, naming the kernel.
template <typename SiteName>
bool trainc_check_device_error(SiteName&& kernel_of_site) {
  int code = 0;
  long long info[4] = {0, 0, 0, 0};
  if (cudaMemcpyFromSymbol(&code, trainc_error_code, sizeof code) != cudaSuccess) return false;
  if (code == 0) return true;
  if (cudaMemcpyFromSymbol(info, trainc_error_info, sizeof info) != cudaSuccess) return false;
  const long long position = info[1], value = info[2], bound = info[3];
  const std::string where = std::string("kernel ") + kernel_of_site(info[0]) + ": ";
  switch (code) {
${cases}
    default:
      trainc::internal_error(where + "unknown device error code " + std::to_string(code));
  }
}`;
}
