import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { migrateSqlite } from "../../src/lib/sqlite-schema";
import { uniqueId } from "../helpers/api";

const V1 = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)";
// Not idempotent on purpose: running it twice would throw "duplicate column name".
const V2 = "ALTER TABLE notes ADD COLUMN author TEXT";

/** An object of ours whose own schema bookkeeping is set aside, so the test's schema starts at 0. */
function freshObject() {
  return env.INDEX_WRITER.getByName(uniqueId("schema"));
}

function setAside(storage: DurableObjectStorage) {
  storage.sql.exec("DROP TABLE schema_version");
}

describe("migrateSqlite", () => {
  it("brings an object created at an older version up to date, once", async ({ expect }) => {
    await runInDurableObject(freshObject(), (_object, state) => {
      setAside(state.storage);
      migrateSqlite(state.storage, [V1]);
      state.storage.sql.exec("INSERT INTO notes (body) VALUES ('kept')");

      migrateSqlite(state.storage, [V1, V2]);
      migrateSqlite(state.storage, [V1, V2]);

      const row = state.storage.sql
        .exec<{ body: string; author: string | null }>("SELECT body, author FROM notes")
        .one();
      expect(row).toEqual({ body: "kept", author: null });
      const { version } = state.storage.sql.exec<{ version: number }>("SELECT version FROM schema_version").one();
      expect(version).toBe(2);
    });
  });

  it("applies nothing when a migration fails, so the next wake tries again", async ({ expect }) => {
    await runInDurableObject(freshObject(), (_object, state) => {
      setAside(state.storage);
      migrateSqlite(state.storage, [V1]);
      expect(() => migrateSqlite(state.storage, [V1, V2, "NOT SQL"])).toThrow();
      const { version } = state.storage.sql.exec<{ version: number }>("SELECT version FROM schema_version").one();
      expect(version).toBe(1);
      const columns = state.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('notes')").toArray();
      expect(columns.map((column) => column.name)).toEqual(["id", "body"]);
    });
  });
});
