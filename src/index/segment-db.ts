import { type DrizzleSqliteDODatabase, drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import migrations from "./migrations/migrations.js";
import * as schema from "./schema";

/** A segment's own SQLite through Drizzle: every query runs in the object, synchronously. */
export type SegmentDb = DrizzleSqliteDODatabase<typeof schema>;

/**
 * Opens the segment's database and, before the object takes any request, brings its schema
 * (tables and triggers, `drizzle-kit` migrations) up to date.
 */
export function openSegmentDb(ctx: DurableObjectState): SegmentDb {
  const db = drizzle(ctx.storage, { schema });
  void ctx.blockConcurrencyWhile(async () => {
    await migrateSegmentDb(db);
  });
  return db;
}

/** Lays the segment's schema (tables and triggers) up to date: at wake, and again after a drop erased it. */
export async function migrateSegmentDb(db: SegmentDb): Promise<void> {
  await migrate(db, migrations);
}
