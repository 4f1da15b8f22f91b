/**
 * A real D1 database that fails one chosen write: "before" it runs (nothing happens), or
 * "after" it (it commits, and its answer is lost, as when a connection drops). A write is a
 * statement that changes rows, or a batch holding one (D1 runs a batch as one transaction).
 */
export type Fault = { write: number; when: "before" | "after" };

export type FaultyD1 = { database: D1Database; writes: () => number; failed: () => boolean };

const WRITE = /^\s*(insert|update|delete|replace)\b/i;

export class InjectedFault extends Error {
  override readonly name = "InjectedFault";
}

export function faultyD1(real: D1Database, fault: Fault | null): FaultyD1 {
  let writes = 0;
  let failed = false;
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  const realOf = new WeakMap<D1PreparedStatement, D1PreparedStatement>();

  /** Runs `execute`, counting it as a write when `isWrite`, and failing it if it is the one. */
  async function guarded<T>(isWrite: boolean, execute: () => Promise<T>): Promise<T> {
    if (!isWrite) return execute();
    writes++;
    const hit = fault !== null && writes === fault.write;
    if (hit && fault.when === "before") {
      failed = true;
      throw new InjectedFault(`D1_ERROR: injected fault before write ${writes}`);
    }
    const result = await execute();
    if (hit) {
      failed = true;
      throw new InjectedFault(`D1_ERROR: injected fault after write ${writes}`);
    }
    return result;
  }

  function wrap(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
    const wrapped: D1PreparedStatement = {
      bind: (...values) => wrap(statement.bind(...values), sql),
      first: ((column?: string) =>
        guarded(WRITE.test(sql), () =>
          column === undefined ? statement.first() : statement.first(column),
        )) as D1PreparedStatement["first"],
      run: (() => guarded(WRITE.test(sql), () => statement.run())) as D1PreparedStatement["run"],
      all: (() => guarded(WRITE.test(sql), () => statement.all())) as D1PreparedStatement["all"],
      raw: ((options?: { columnNames?: boolean }) =>
        guarded<unknown>(WRITE.test(sql), () =>
          options?.columnNames ? statement.raw({ columnNames: true }) : statement.raw(),
        )) as D1PreparedStatement["raw"],
    };
    sqlOf.set(wrapped, sql);
    realOf.set(wrapped, statement);
    return wrapped;
  }

  const database: D1Database = {
    prepare: (sql) => wrap(real.prepare(sql), sql),
    batch: (statements) =>
      guarded(
        statements.some((statement) => WRITE.test(sqlOf.get(statement) ?? "")),
        () => real.batch(statements.map((statement) => realOf.get(statement) ?? statement)),
      ),
    exec: (sql) => guarded(WRITE.test(sql), () => real.exec(sql)),
    withSession: (constraint) => real.withSession(constraint),
    dump: () => real.dump(),
  };
  return { database, writes: () => writes, failed: () => failed };
}
