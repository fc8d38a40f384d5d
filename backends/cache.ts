// Where trainc keeps what it builds (compiled programs, prepared device libraries): one folder per user, outside any
// project, so builds are shared across runs and output folders.
// Invariant: the same environment always names the same folder.

import { homedir } from "node:os";
import { join } from "node:path";

/** The folder trainc keeps builds in: $TRAINC_CACHE, else $XDG_CACHE_HOME/trainc, else ~/.cache/trainc. */
export function cacheRoot(): string {
  return process.env["TRAINC_CACHE"] ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "trainc");
}
