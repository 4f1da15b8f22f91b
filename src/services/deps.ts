import { createDb, type Db } from "../db/client";
import { createEngines, type Engines } from "./engines";

/** What the services need, built from the Worker's env; REST, RPC and tests all pass one in. */
export type Deps = {
  readonly db: Db;
  readonly engines: Engines;
};

export function createDeps(env: Env): Deps {
  return { db: createDb(env.DB), engines: createEngines(env) };
}
