// The plain C++17 half of the runtime that generated CUDA training programs include (one include for the host
// emitter): errors, safetensors, checkpoints, the batch file, progress and metrics, the profile and summary files,
// the arena tables and the startup messages. Everything here builds and is tested with g++ alone; cuda-runtime.h
// adds the CUDA parts.

#pragma once

#include "arena-table.h"
#include "batch-file.h"
#include "checkpoint.h"
#include "device-messages.h"
#include "error.h"
#include "report.h"
#include "run-summary.h"
#include "safetensors-read.h"
#include "safetensors-write.h"
