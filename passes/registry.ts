// Every pass trainc has, one line each, by name. `trainc ir --after <name>` and the golden runner look passes up here.

import { attentionLowering } from "./attention-lowering.ts";
import { cse } from "./cse.ts";
import { dce } from "./dce.ts";
import { packingMasks } from "./packing-masks.ts";
import type { Pass } from "./pass.ts";
import { remat } from "./remat.ts";

export const PASSES: readonly Pass[] = [attentionLowering, packingMasks, cse, dce, remat];

export function findPass(name: string): Pass | undefined {
  return PASSES.find((p) => p.name === name);
}
