import { getTableColumns, type Table } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export function createDb(database: D1Database) {
  return drizzle(database, { schema });
}

export type Db = ReturnType<typeof createDb>;

/**
 * D1 binds at most 100 parameters per statement, and a multi-row INSERT binds every column of
 * every row: the number of rows of `table` that fit in one.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export function rowsPerInsert(table: Table): number {
  return Math.floor(100 / Object.keys(getTableColumns(table)).length);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}
