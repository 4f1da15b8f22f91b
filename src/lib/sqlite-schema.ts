/**
 * Brings a Durable Object's SQLite schema up to date, once per wake: `migrations[n]` takes it
 * from version n to n + 1, and the version reached is kept in a one-row table, so a column
 * added in a later migration reaches objects created before it. Each run of migrations and its
 * version bump commit together. Append to the list; never edit a migration that has shipped.
 */
export function migrateSqlite(storage: DurableObjectStorage, migrations: readonly string[]): void {
  storage.transactionSync(() => {
    const { sql } = storage;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
    );
    const current = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0]?.version ?? 0;
    if (current >= migrations.length) return;
    for (const migration of migrations.slice(current)) sql.exec(migration);
    sql.exec(
      "INSERT INTO schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
      migrations.length,
    );
  });
}
