import { getTableColumns, type Table } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export function createDb(database: D1Database) {
  return drizzle(database, { schema });
}

export type Db = ReturnType<typeof createDb>;

/**
 * D1 binds at most this many parameters per statement.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const D1_MAX_PARAMETERS = 100;

/** How many rows of `table` fit in one multi-row INSERT, which binds every column of every row. */
export function rowsPerInsert(table: Table): number {
  return Math.floor(D1_MAX_PARAMETERS / Object.keys(getTableColumns(table)).length);
}

/** Splits the values of an `IN (…)` list so each statement also has room for `otherParameters`. */
export function chunkForStatement<T>(values: readonly T[], otherParameters: number): T[][] {
  return chunk(values, D1_MAX_PARAMETERS - otherParameters);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

/** Runs statements as one D1 batch (one transaction); nothing at all when there are none. */
export async function batchAll<Statement extends BatchItem<"sqlite">>(db: Db, statements: readonly Statement[]) {
  const [first, ...rest] = statements;
  return first ? db.batch([first, ...rest]) : [];
}
