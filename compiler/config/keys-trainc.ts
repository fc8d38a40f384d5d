// Keys trainc adds to Axolotl's: features Axolotl users reach through Python (a FlexAttention mask_mod, say) that a
// config without code needs a key for. Invariant: no name here is an Axolotl key, and each is off by default, so an
// Axolotl config trains the same with trainc as without these keys.

import { bool } from "./kinds.ts";

export const TRAINC_KEYS = {
  /**
   * Prefix-LM attention: each sample's prompt (its leading tokens whose labels are masked, as train_on_inputs: false
   * masks them) is attended bidirectionally, the rest causally (compiler/import/hf/forward.ts).
   */
  prefix_lm: bool().default(false),
};
