// Reading a row's fields for the text formats: a string field, an optional string field, or a list, each failing
// with 6206 naming the file:line, the field and the fields the row does have.
import { fail } from "../../diagnostics.ts";
import { DataError } from "../codes.ts";
import { where } from "../read-rows.ts";
import type { ObjectRow } from "../types.ts";

/**
 * The row's string field `key`; 6206 when it is missing or not a string. `format` names the format in the error;
 * `entryKey` is the dataset entry's key that names the field, when there is one.
 */
export function stringField(row: ObjectRow, key: string, format: string, entryKey?: string): string {
  const value = row.value[key];
  if (typeof value !== "string") missing(row, key, format, "a string", entryKey);
  return value;
}

/** The row's string field `key`, or "" when it is absent or null; 6206 when it is something else. */
export function optionalString(row: ObjectRow, key: string, format: string): string {
  const value = row.value[key];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") missing(row, key, format, "a string");
  return value;
}

/** The row's list field `key`; 6206 when it is missing or not a list. */
export function listField(row: ObjectRow, key: string, format: string): unknown[] {
  const value = row.value[key];
  if (!Array.isArray(value)) missing(row, key, format, "a list");
  return value;
}

/** Fails with 6206 for field `key` of `row`, which should hold `what`; the fix names `entryKey` when given. */
function missing(row: ObjectRow, key: string, format: string, what: string, entryKey?: string): never {
  const value = row.value[key];
  const found = value === undefined ? `no "${key}" field (fields: ${fieldList(row.value)})` : `"${key}" is not ${what}`;
  return fail(
    DataError.missingField,
    `${where(row)}: ${format} row has ${found}`,
    `give every row ${what} "${key}" field` +
      (entryKey === undefined ? "" : `, or set datasets[].${entryKey} to the field that holds it`),
  );
}

function fieldList(value: Record<string, unknown>): string {
  const keys = Object.keys(value);
  return keys.length === 0 ? "none" : keys.map((k) => JSON.stringify(k)).join(", ");
}
