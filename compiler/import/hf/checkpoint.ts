// Finds a Hugging Face model folder's weights and opens them as one lazy TensorSource: `model.safetensors`, or a
// sharded checkpoint `model.safetensors.index.json` whose `weight_map` names the shard holding each tensor. Every
// shard's header is read and checked on open; tensor data is read only when asked for. A folder without weights is
// not an error here: compile works from config.json alone, and load.ts fails (E2224) only when values are needed.
// Invariant: every name a ShardedCheckpoint lists exists in the shard the index assigns it to.
//
// Error codes (2210-2213):
//   2210  (retired: a folder without weights is E2224 in load.ts, raised only when parameter values are needed)
//   2211  the index file is not JSON or has no weight_map of name -> file
//   2212  a shard the index names is missing
//   2213  a tensor the index assigns to a shard is not in that shard

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fail } from "../../diagnostics.ts";
import type { DType } from "../../../ir/dtype.ts";
import type { Tensor } from "../../../ir/tensor.ts";
import { SafetensorsFile, type TensorInfo, type TensorSource } from "../safetensors.ts";

/** The weights file of an unsharded model folder. */
export const SINGLE_FILE = "model.safetensors";
/** The index of a sharded model folder: {"weight_map": {tensor name: shard file}}. */
export const INDEX_FILE = "model.safetensors.index.json";

/** Opens the weights of model folder `dir`, or returns undefined when it has none; the caller closes the result. */
export function openCheckpoint(dir: string): TensorSource | undefined {
  const isFile = (name: string) => statSync(join(dir, name), { throwIfNoEntry: false })?.isFile() === true;
  if (isFile(SINGLE_FILE)) return SafetensorsFile.open(join(dir, SINGLE_FILE));
  if (isFile(INDEX_FILE)) return ShardedCheckpoint.open(join(dir, INDEX_FILE));
  return undefined;
}

/** For a folder without weights: the weight files it does hold that trainc cannot read, and how to get ones it can. */
export function missingWeights(dir: string): { readonly found: readonly string[]; readonly fix: string } {
  const files = readdirSync(dir);
  const torchFiles = files.filter((f) => f.endsWith(".bin") || f.endsWith(".pt") || f.endsWith(".pth"));
  const found = [...torchFiles, ...files.filter((f) => f.endsWith(".safetensors"))];
  const fix = torchFiles.length > 0
    ? "trainc reads safetensors only: load the model in transformers and save_pretrained it (safetensors is the default)"
    : `copy the model's .safetensors weights into ${dir}, or write random ones with \`trainc init-model ${join(dir, "config.json")} -o ${dir}\``;
  return { found, fix };
}

/** A sharded checkpoint: one view over the shards an index file names. */
export class ShardedCheckpoint implements TensorSource {
  readonly path: string;
  private readonly shards: ReadonlyMap<string, SafetensorsFile>;
  private readonly owner: ReadonlyMap<string, SafetensorsFile>;

  private constructor(indexPath: string, shards: Map<string, SafetensorsFile>, owner: Map<string, SafetensorsFile>) {
    this.path = indexPath;
    this.shards = shards;
    this.owner = owner;
  }

  /** Reads the index at `indexPath`, opens every shard it names and checks each tensor is where it says. */
  static open(indexPath: string): ShardedCheckpoint {
    const weightMap = readWeightMap(indexPath);
    const dir = join(indexPath, "..");
    const shards = new Map<string, SafetensorsFile>();
    const owner = new Map<string, SafetensorsFile>();
    try {
      for (const [name, shardName] of Object.entries(weightMap)) {
        const shard = shards.get(shardName) ?? openShard(indexPath, join(dir, shardName), name);
        shards.set(shardName, shard);
        if (!shard.info(name)) {
          fail(2213, `${indexPath} puts tensor '${name}' in ${shardName}, but that file has no such tensor`, "the checkpoint is incomplete or its index is stale; download or save it again");
        }
        owner.set(name, shard);
      }
    } catch (e) {
      for (const shard of shards.values()) shard.close();
      throw e;
    }
    return new ShardedCheckpoint(indexPath, shards, owner);
  }

  names(): string[] {
    return [...this.owner.keys()];
  }

  info(name: string): TensorInfo | undefined {
    return this.owner.get(name)?.info(name);
  }

  read(name: string, dtype?: DType): Tensor {
    const shard = this.owner.get(name);
    if (!shard) return fail(2213, `${this.path} lists no tensor '${name}'`, "check the tensor name");
    return shard.read(name, dtype);
  }

  close(): void {
    for (const shard of this.shards.values()) shard.close();
  }
}

function readWeightMap(indexPath: string): Record<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexPath, "utf8"));
  } catch (e) {
    fail(2211, `${indexPath} is not valid JSON: ${(e as Error).message}`, "download or save the checkpoint again");
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map) || !Object.values(map).every((v) => typeof v === "string")) {
    fail(2211, `${indexPath} has no weight_map object mapping tensor names to shard files`, "download or save the checkpoint again");
  }
  return map as Record<string, string>;
}

function openShard(indexPath: string, path: string, firstTensor: string): SafetensorsFile {
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
    fail(2212, `${indexPath} puts '${firstTensor}' in ${path}, which does not exist`, "copy every shard listed in the index into the model folder");
  }
  return SafetensorsFile.open(path);
}
