// Dataset preparation with Axolotl's dataset_prepared_path cache: the rows of a config's datasets, tokenized and
// length-filtered (compiler/data/dataset.ts), read from the cache when an entry with the same key exists and stored
// there after a successful preparation (compiler/data/cache.ts). Without a prepared path nothing is written.
// Invariant: the rows returned are the same with and without the cache, hit or miss.
import { resolve } from "node:path";
import { loadPrepared, preparedKey, storePrepared, sweepPrepared } from "./cache.ts";
import { datasetFiles, loadDatasets, type LoadedDataset, type LoadOptions } from "./dataset.ts";
import type { DataTokenizer, DatasetEntry } from "./types.ts";

export interface PrepareOptions extends LoadOptions {
  /** `dataset_prepared_path`: the cache folder; absent, nothing is cached. */
  readonly preparedPath?: string;
  /** The tokenizer's tokenizer.json (its folder's files are part of the cache key). */
  readonly tokenizerFile: string;
}

/** The prepared dataset and, with a cache, the folder its entry is in and whether it was there already. */
export interface Prepared {
  readonly dataset: LoadedDataset;
  readonly cache?: { readonly dir: string; readonly hit: boolean };
}

/** Prepares the datasets of `entries`, through the cache when `options.preparedPath` is set. */
export function prepareDatasets(entries: readonly DatasetEntry[], tokenizer: DataTokenizer, options: PrepareOptions): Prepared {
  if (options.preparedPath === undefined) return { dataset: loadDatasets(entries, tokenizer, options) };
  const root = resolve(options.preparedPath);
  const { configDir: _dir, cwd: _cwd, preparedPath: _path, tokenizerFile, ...rules } = options;
  const key = preparedKey({ options: { entries, rules }, files: datasetFiles(entries, options), tokenizerFile });
  const dir = `${root}/${key}`;
  const cached = loadPrepared(root, key);
  if (cached) return { dataset: cached, cache: { dir, hit: true } };
  const dataset = loadDatasets(entries, tokenizer, options);
  sweepPrepared(root);
  storePrepared(root, key, dataset);
  return { dataset, cache: { dir, hit: false } };
}
