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

/** How often an idempotent write is tried before its failure is the caller's. */
const WRITE_ATTEMPTS = 3;

/**
 * Runs an idempotent D1 write, again after a failure (D1 asks its callers to retry what may be a
 * transient error), with a short pause between attempts.
 */
export async function retried<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= WRITE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }
}
