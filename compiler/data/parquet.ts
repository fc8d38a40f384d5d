// Reads the rows of a Parquet file synchronously, for the dataset loaders (which are synchronous). The Parquet reader
// (hyparquet: pure JavaScript, snappy built in) is asynchronous, so it runs in a worker thread while this thread
// blocks on a shared flag (Atomics.wait) and then takes the worker's one message off its port (receiveMessageOnPort).
// Values come back as the reader decodes them, except that 64-bit integers (BigInt) become numbers.
// Invariants: the worker is terminated before this returns or throws; a file the reader cannot decode (bad magic,
// a codec other than snappy or none, a cut file), or a table too large to hand over, throws 6220 naming the file;
// rows keep file order. The worker answers in every case it can catch; if its thread dies outright (out of memory),
// the wait ends after TIMEOUT_MS with 6220 saying so.

import { receiveMessageOnPort, MessageChannel, Worker } from "node:worker_threads";
import { fail } from "../diagnostics.ts";
import { DataError } from "./codes.ts";

/** Longest a Parquet file may take to decode before the read is abandoned. */
const TIMEOUT_MS = 10 * 60 * 1000;

/**
 * The worker: reads every row of workerData.path as objects and posts { rows }, or { error } when reading or posting
 * fails (posting a table too large to copy throws), and in every case then raises the flag.
 */
const WORKER = `
const { workerData } = require("node:worker_threads");
(async () => {
  const { path, port, flag, reader } = workerData;
  const say = (error) => port.postMessage({ error: String((error && error.message) || error) });
  try {
    const { asyncBufferFromFile, parquetReadObjects } = await import(reader);
    port.postMessage({ rows: await parquetReadObjects({ file: await asyncBufferFromFile(path) }) });
  } catch (error) {
    try { say(error); } catch {}
  } finally {
    const state = new Int32Array(flag);
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
  }
})();
`;

/** Every row of the Parquet file `file`, as column name -> value objects. */
export function readParquetObjects(file: string): Record<string, unknown>[] {
  const flag = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER, {
    eval: true, workerData: { path: file, port: port2, flag, reader: import.meta.resolve("hyparquet") },
    transferList: [port2],
  });
  try {
    if (Atomics.wait(new Int32Array(flag), 0, 0, TIMEOUT_MS) === "timed-out") {
      fail(DataError.badParquetFile, `${file}: the Parquet reader gave no answer within ${TIMEOUT_MS / 60000} minutes ` +
        "(it stops without one when its thread runs out of memory)",
        "split the file into smaller Parquet files, or convert it to JSON Lines (.jsonl)");
    }
    const message = receiveMessageOnPort(port1)?.message as { rows?: Record<string, unknown>[]; error?: string };
    if (message?.rows === undefined) {
      fail(DataError.badParquetFile, `${file}: the Parquet reader failed on it (${message?.error ?? "no answer"})`,
        "check that it is a Parquet file written with snappy compression or none (pandas and pyarrow's default is " +
          "snappy), split a very large one, or convert it to JSON Lines (.jsonl)");
    }
    return message.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v, file, k)])));
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/** A decoded value with BigInts as numbers (throws 6220 for one beyond 2^53), lists and structs alike. */
function plain(value: unknown, file: string, column: string): unknown {
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      fail(DataError.badParquetFile, `${file}: column ${column} holds ${value}, beyond what a JSON number holds exactly`,
        "store token ids and other integers below 2^53");
    }
    return Number(value);
  }
  if (Array.isArray(value)) return value.map((v) => plain(v, file, column));
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, file, column)]));
  }
  return value;
}
