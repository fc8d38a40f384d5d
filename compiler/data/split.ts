// The validation split of val_set_size, as Axolotl makes it: the rows are shuffled once by seed (unless
// shuffle_merged_datasets is false or curriculum_sampling is on), then the LAST ceil(val_set_size x rows) rows are held
// out for evaluation; the train rows keep their order.
// Invariants: train and eval partition the rows; the same rows, size and seed give the same split.
import { makeRandom, shuffledIndices } from "../random.ts";

/** The random stream of the split's shuffle (apart from the epochs' streams, which start at 0). */
const SPLIT_STREAM = 0x5eed;

/** A split's two parts. */
export interface Split<T> {
  readonly train: readonly T[];
  readonly eval: readonly T[];
}

/** The split a config asks for: val_set_size, seed, shuffled unless shuffle_merged_datasets is false or curriculum_sampling. */
export function configSplit<T>(rows: readonly T[], config: {
  readonly val_set_size: number; readonly seed: number; readonly shuffle_merged_datasets: boolean; readonly curriculum_sampling?: boolean;
}): Split<T> {
  return splitValidation(rows, config.val_set_size, config.seed, config.shuffle_merged_datasets && config.curriculum_sampling !== true);
}

/** Splits `rows` by `size` (a fraction in [0, 1]); `shuffle` first when set. */
export function splitValidation<T>(rows: readonly T[], size: number, seed: number, shuffle: boolean): Split<T> {
  if (size <= 0) return { train: rows, eval: [] };
  const order = shuffle ? shuffledIndices(rows.length, makeRandom(seed, SPLIT_STREAM)).map((i) => rows[i]!) : rows;
  const held = Math.min(order.length, Math.ceil(size * order.length));
  return { train: order.slice(0, order.length - held), eval: order.slice(order.length - held) };
}
