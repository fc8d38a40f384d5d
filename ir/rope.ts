// The meaning of the rope_tables op: Hugging Face's rotary-embedding frequency rules per rope_type.
export const ROPE_TYPES: readonly string[] = ["default", "linear", "dynamic", "yarn", "llama3", "longrope"];
