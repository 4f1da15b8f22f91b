import { runInDurableObject } from "cloudflare:test";
import type { IndexAddress } from "../../src/index/config";
import { readTargets } from "../../src/index/workflow-index";
import type { Deps } from "../../src/services/deps";

/** The address of a workflow's index, as D1's directory has it now. */
export async function addressOf(deps: Deps, name: string): Promise<IndexAddress> {
  const target = (await readTargets(deps.db, [name])).get(name);
  if (!target) throw new Error(`no workflow ${name}`);
  return target.address;
}

/** Runs SQL in each live segment of a workflow's index; answers the rows of all, oldest segment first. */
export async function inEachSegment<Row extends Record<string, SqlStorageValue>>(
  deps: Deps,
  name: string,
  query: string,
): Promise<Row[]> {
  const address = await addressOf(deps, name);
  const rows: Row[] = [];
  for (const { seq } of address.segments) {
    const stub = deps.index.segment(address, seq);
    rows.push(...(await runInDurableObject(stub, (_, state) => state.storage.sql.exec<Row>(query).toArray())));
  }
  return rows;
}

/** Deps whose index writes start a new segment every `size` instances. */
export function withSegmentSize(deps: Deps, size: number): Deps {
  return { ...deps, index: { segment: deps.index.segment, segmentSize: size } };
}
