/**
 * The fixtures the fuzz points at, and snapshots of what must not change: the guarded workflow
 * (hello-world) with its instances, versions and a finished bulk job, a guarded token, and the
 * kept order-approval instances with their labels. Refused requests must leave all of it as it
 * was; the random traffic never names any of it validly, so it must survive that too.
 */
import { type Client, resultOf } from "./client.ts";
import { type Fixtures, GUARDED_WORKFLOW, LIVE_WORKFLOW } from "./operations.ts";

const ACCOUNT = "/client/v4/accounts/{account_id}";
const WORKFLOW = `${ACCOUNT}/workflows/{workflow_name}`;
const INSTANCES = `${WORKFLOW}/instances`;

type Listed = { id: string; status: string; labels: Record<string, string> };

/** Every instance of a workflow whose id starts with `prefix`, through the list's cursor. */
export async function listAll(client: Client, workflow: string, prefix: string): Promise<Listed[]> {
  const all: Listed[] = [];
  let cursor: string | undefined;
  do {
    const answer = await client.send(`GET ${INSTANCES}`, {
      params: { workflow_name: workflow },
      query: { ...(prefix ? { id_prefix: prefix } : {}), per_page: "100", ...(cursor ? { cursor } : {}) },
    });
    const page = answer.json as { result?: Listed[]; result_info?: { cursor?: string } } | undefined;
    if (answer.status !== 200 || !page?.result) throw new Error(`listing ${workflow} answered ${answer.status}`);
    all.push(...page.result);
    cursor = page.result.length > 0 ? page.result_info?.cursor : undefined;
  } while (cursor);
  return all;
}

export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not after ${ms} ms (last: ${JSON.stringify(value).slice(0, 300)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function createFixtures(client: Client, accountId: string, liveCount: number): Promise<Fixtures> {
  const live = { workflow_name: LIVE_WORKFLOW };
  const create = async (workflow: string, id: string, labels: Record<string, string>) => {
    const answer = await client.send(`POST ${INSTANCES}`, {
      params: { workflow_name: workflow },
      body: { instance_id: id, params: { orderId: id, amount: 1 }, labels },
    });
    if (answer.status !== 200) throw new Error(`creating ${workflow}/${id} answered ${answer.status} ${answer.text}`);
    return id;
  };
  const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
  const fixtures: Fixtures = {
    accountId,
    live: [],
    disposable: [],
    kept: [],
    guarded: [],
    versionId: "",
    guardedJobId: "",
    guardedTokenId: "",
    readToken: "",
    eventsToken: "",
    jobIds: [],
    tokenIds: [],
  };
  for (const id of ids("fuzz", liveCount)) fixtures.live.push(await create(LIVE_WORKFLOW, id, { tier: "live" }));
  for (const id of ids("drop", liveCount)) fixtures.disposable.push(await create(LIVE_WORKFLOW, id, { tier: "drop" }));
  for (const id of ids("keep", 5)) fixtures.kept.push(await create(LIVE_WORKFLOW, id, { tier: "keep", kind: "k" }));
  for (const id of ids("guard", 5)) fixtures.guarded.push(await create(GUARDED_WORKFLOW, id, { tier: "guard" }));

  const versions = resultOf<{ id: string }[]>(await client.send(`GET ${WORKFLOW}/versions`, { params: live }));
  fixtures.versionId = versions?.[0]?.id ?? "";
  if (!fixtures.versionId) throw new Error("order-approval has no version");

  const token = async (body: unknown) => {
    const made = resultOf<{ id: string; value: string }>(await client.send(`POST ${ACCOUNT}/tokens`, { body }));
    if (!made) throw new Error("could not create a token");
    return made;
  };
  fixtures.guardedTokenId = (await token({ name: "fuzz guarded", permissions: ["read"] })).id;
  fixtures.readToken = (await token({ name: "fuzz read", permissions: ["read", "metrics"] })).value;
  fixtures.eventsToken = (
    await token({ name: "fuzz events", permissions: ["events"], workflows: [LIVE_WORKFLOW], event_types: ["other"] })
  ).value;

  // A finished job on the guarded workflow: its record and ledger must outlive everything.
  await until(
    () => listAll(client, GUARDED_WORKFLOW, "guard-"),
    (listed) => listed.length === 5 && listed.every((instance) => instance.status === "complete"),
    "the guarded instances complete",
  );
  const job = resultOf<{ id: string }>(
    await client.send(`POST ${INSTANCES}/bulk`, {
      params: { workflow_name: GUARDED_WORKFLOW },
      body: { action: "terminate", instance_ids: fixtures.guarded },
    }),
  );
  if (!job) throw new Error("could not create the guarded bulk job");
  fixtures.guardedJobId = job.id;
  await until(
    async () =>
      resultOf<{ status: string }>(
        await client.send(`GET ${WORKFLOW}/bulk/{job_id}`, {
          params: { workflow_name: GUARDED_WORKFLOW, job_id: job.id },
        }),
      )?.status,
    (status) => status === "complete",
    "the guarded bulk job completes",
  );
  return fixtures;
}

/**
 * What must not change, as JSON text per part. `withSettings`: the account's settings too (the
 * random traffic changes them validly, so they are compared only around the refusals).
 */
export async function snapshot(
  client: Client,
  fixtures: Fixtures,
  withSettings: boolean,
): Promise<Record<string, string>> {
  const guarded = { workflow_name: GUARDED_WORKFLOW };
  const text = async (operation: string, call: Parameters<Client["send"]>[1]) => {
    const answer = await client.send(operation, call);
    return `${answer.status} ${JSON.stringify(resultOf(answer) ?? answer.json)}`;
  };
  const parts: Record<string, string> = {
    // Without its instance counts (the demo instances `npm run dev` starts move on by themselves)
    // and the account's database size.
    "guarded workflow": await text(`GET ${WORKFLOW}`, { params: guarded }).then((part) =>
      part.replace(/,"instances":\{[^}]*\}/, "").replace(/,"capacity":\{[^}]*\}/, ""),
    ),
    "guarded versions": await text(`GET ${WORKFLOW}/versions`, { params: guarded }),
    "guarded instances": JSON.stringify(await listAll(client, GUARDED_WORKFLOW, "guard-")),
    "guarded job": await text(`GET ${WORKFLOW}/bulk/{job_id}`, {
      params: { ...guarded, job_id: fixtures.guardedJobId },
    }),
    "guarded job ledger": await text(`GET ${WORKFLOW}/bulk/{job_id}/results`, {
      params: { ...guarded, job_id: fixtures.guardedJobId },
    }),
    "guarded token": await text(`GET ${ACCOUNT}/tokens/{token_id}`, { params: { token_id: fixtures.guardedTokenId } }),
    "kept instances": JSON.stringify(
      (await listAll(client, LIVE_WORKFLOW, "keep-")).map(({ id, labels }) => ({ id, labels })),
    ),
  };
  if (withSettings) parts.settings = await text(`GET ${ACCOUNT}/workflows/settings`, {});
  return parts;
}

/** Each part that differs, with both texts. */
export function compareSnapshots(
  before: Record<string, string>,
  after: Record<string, string>,
  when: string,
): string[] {
  return Object.keys(before).flatMap((part) => {
    const [was, is] = [before[part] ?? "", after[part] ?? ""];
    if (was === is) return [];
    let at = 0;
    while (was[at] === is[at]) at++;
    const from = Math.max(0, at - 80);
    return [
      `${part} changed ${when}, from character ${at}:\n    before …${was.slice(from, at + 300)}\n    after  …${is.slice(from, at + 300)}`,
    ];
  });
}
