import { chunk } from "../../db/client";
import type { InstanceStatus } from "../../domain/instance-status";
import type { Jurisdiction } from "../../domain/jurisdiction";
import { readAddress } from "../../index/directory";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { resolveRunnable } from "../instances/runnable";
import { indexedStatuses, type Verdict, verdictOf } from "./apply";
import { type BulkRequest, matching } from "./jobs";

/** Targets listed with their status and verdict in a preview. */
const SAMPLE_SIZE = 20;

/** Restart targets whose logs are read for the step estimate; beyond, it is extrapolated. */
const STEP_SAMPLE_SIZE = 1_000;

/** Listed ids looked up in the index per step of the walk. */
const LISTED_CHUNK = 1_000;

/** Journals read at once for the step estimate. */
const STEP_READ_CONCURRENCY = 25;

/**
 * Cloudflare's Workflows price per step beyond the included quota (Workers Paid: 500,000 steps
 * a month included, then $0.80 per 100,000 steps; changelog 2026-07-07).
 */
export const PRICE_PER_STEP_USD = 0.8 / 100_000;

export type BulkPreview = {
  /** The targets the job would freeze now. */
  total: number;
  sample: ({ id: string; status: InstanceStatus | null } & Verdict)[];
  would_act: number;
  would_skip: number;
  /** Restart only: the steps the targets acted on would run again. */
  steps_estimate?: number;
  /** Restart only: `steps_estimate` at the price per step beyond the included quota. */
  cost_estimate_usd?: number;
};

/**
 * What a bulk job would do, without doing it: the targets it would freeze now, each judged by
 * the skip rules from the status the index has for it, and for a restart the steps it would
 * run again (read from the targets' logs, the first thousand of them, the rest in proportion).
 * Nothing is stored.
 */
export async function previewBulkJob(deps: Deps, workflowName: string, request: BulkRequest): Promise<BulkPreview> {
  const { workflow } = await resolveRunnable(deps, workflowName);
  const preview: BulkPreview = { total: 0, sample: [], would_act: 0, would_skip: 0 };
  const toRestart: string[] = [];
  const targets = request.instance_ids
    ? listed(deps, workflow, request.instance_ids)
    : matching(deps, workflow, request.filter, new Date());
  for await (const rows of targets) {
    for (const { id, status } of rows) {
      const verdict = verdictOf(request.action, status);
      preview.total++;
      if (verdict.outcome === "act") preview.would_act++;
      else preview.would_skip++;
      if (preview.sample.length < SAMPLE_SIZE) preview.sample.push({ id, status, ...verdict });
      if (request.action === "restart" && verdict.outcome === "act" && toRestart.length < STEP_SAMPLE_SIZE) {
        toRestart.push(id);
      }
    }
  }
  if (request.action !== "restart") return preview;

  let steps = 0;
  await forEachConcurrently(toRestart, STEP_READ_CONCURRENCY, async (id) => {
    const run = await deps.journal(workflowName, id).stepsFrom(request.options?.from);
    steps += run;
  });
  const estimate = toRestart.length === 0 ? 0 : Math.round((steps * preview.would_act) / toRestart.length);
  return {
    ...preview,
    steps_estimate: estimate,
    cost_estimate_usd: Math.round(estimate * PRICE_PER_STEP_USD * 100) / 100,
  };
}

/** Listed ids with the status the index has for each (null: not indexed), a repeated id once. */
async function* listed(
  deps: Pick<Deps, "db" | "index">,
  workflow: { id: string; jurisdiction: Jurisdiction | null },
  ids: string[],
) {
  const address = await readAddress(deps.db, workflow);
  for (const part of chunk([...new Set(ids)], LISTED_CHUNK)) {
    const statusOf = await indexedStatuses(deps.index, address, part);
    yield part.map((id) => ({ id, status: statusOf.get(id) ?? null }));
  }
}
