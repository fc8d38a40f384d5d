// Error codes of the data path (62xx: datasets and batches), one table so they stay unique. Every error names the
// dataset file (and line where there is one) and says what to change.
//
//   6201  dataset file not found (names every path tried)
//   6202  dataset file of a kind not read yet (not .json / .jsonl / .parquet), or a folder
//   6203  a JSON Lines line is not valid JSON (file:line)
//   6204  a .json file is not valid JSON, or not a list of rows (file:line:column)
//   6205  a row is not a JSON object (file:line)
//   6206  a row lacks a field its format reads, or the field has the wrong type (file:line, field)
//   6207  a pre-tokenized row has bad input_ids / labels / attention_mask (file:line)
//   6208  a row has no input_ids and its dataset has no `type` (file:line)
//   6209  dataset `type` not supported yet
//   6210  the tokenizer has no eos token, which completion and alpaca rows end with
//   6211  no pad id (the tokenizer names neither pad_token nor eos_token)
//   6212  a row is longer than sequence_len: excess_length_strategy `raise`, or rows given to batching unfiltered
//   6213  fewer usable rows than micro_batch_size: not one batch per epoch
//   6214  a batching parameter (sequence_len, micro_batch_size) is not a positive integer
//   6215  a dataset entry has no path
//   6216  a prepared dataset in dataset_prepared_path is damaged (names the folder to delete)
//   6217  a chat_template dataset has no usable template, or its .jinja file is missing (names the key and what to set)
//   6218  a chat_template row's messages are malformed, or the template fails to render them (file:line, field)
//   6219  a dataset entry key its format does not read yet (names the entry and the key)
//   6220  a Parquet file the reader fails on (names the file and the reader's message), or an integer past 2^53

/** The data path's error codes by name. */
export const DataError = {
  fileNotFound: 6201,
  unsupportedFile: 6202,
  badJsonLine: 6203,
  badJsonFile: 6204,
  rowNotObject: 6205,
  missingField: 6206,
  badTokenRow: 6207,
  untypedRowWithoutIds: 6208,
  unsupportedType: 6209,
  noEosToken: 6210,
  noPadId: 6211,
  rowTooLong: 6212,
  tooFewRows: 6213,
  badBatchParameter: 6214,
  missingPath: 6215,
  corruptPrepared: 6216,
  noChatTemplate: 6217,
  badChatRow: 6218,
  unreadKey: 6219,
  badParquetFile: 6220,
} as const;
