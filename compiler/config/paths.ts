// Resolution of the relative paths a config names (base_model, datasets[].path, output_dir, ...): first against the
// current directory (as Axolotl, run from a shell, reads them), then against the folder of the config file (so a
// config next to its data works from anywhere). Reporting a path that exists in neither place is the caller's job
// (the model importer, the data loader), which is why the tried paths are returned.
// Invariant: `tried` lists absolute paths in lookup order; `path` is the first of them that exists.

import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { TrainConfig } from "./schema.ts";

/** The outcome of looking a config path up. */
export interface ResolvedPath {
  /** The first candidate that exists, or undefined when none does. */
  readonly path: string | undefined;
  /** Every candidate, in the order they were tried. */
  readonly tried: readonly string[];
}

/** Looks `name` up relative to `cwd`, then relative to the config's folder (an absolute `name` is tried as is). */
export function resolveConfigPath(
  config: Pick<TrainConfig, "config_dir">,
  name: string,
  cwd: string = process.cwd(),
  exists: (path: string) => boolean = existsSync,
): ResolvedPath {
  const candidates = isAbsolute(name) ? [name] : [resolve(cwd, name), resolve(config.config_dir, name)];
  const tried = [...new Set(candidates)];
  return { path: tried.find((candidate) => exists(candidate)), tried };
}
