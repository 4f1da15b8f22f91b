import { eq, sql } from "drizzle-orm";
import { batchAll, type Db } from "../../db/client";
import { instances, workflows } from "../../db/schema";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";

/**
 * An instance's summary as its journal last derived it: what the index row should say. Only the
 * journal writes these, each with a higher revision than the last, so the index can refuse any
 * write that arrives after a newer one.
 */
export type SummaryUpdate = {
  workflowName: string;
  instanceId: string;
  revision: number;
  status: InstanceStatus;
  startedOn: number | null;
  endedOn: number | null;
  errorName: string | null;
  /** The error's message with ids and numbers masked (`errorShape`): its group in the error metrics. */
  errorShape: string | null;
  /** The step whose failure ended an errored run. */
  failedStep?: string | null | undefined;
  /** The step attempts that ended lately (the journal's last `ATTEMPT_FACTS`), for the step metrics. */
  attempts?: AttemptFact[] | undefined;
  /** When the summary last changed: the index's `modified_on`. */
  at: number;
  /** For an instance the index has not seen (created straight through the binding). */
  createdOn: number;
  triggerSource: TriggerSource;
  /** The params as JSON text, or null. */
  params: string | null;
};

/** A step attempt that ended: `mark` orders attempts by their end (zero-padded end, step, attempt). */
export type AttemptFact = { mark: string; step: string; ok: 0 | 1; start: number; end: number };

/** The most attempt facts a summary queued for the index carries. */
export const MAX_QUEUED_FACTS = 256;

/** The attempts of two summaries of one instance, each once, the latest `MAX_QUEUED_FACTS` of them. */
export function mergeAttemptFacts(
  older: AttemptFact[] | undefined,
  newer: AttemptFact[] | undefined,
): AttemptFact[] | undefined {
  if (!older?.length) return newer;
  const byMark = new Map([...older, ...(newer ?? [])].map((fact) => [fact.mark, fact]));
  return [...byMark.values()].sort((a, b) => (a.mark < b.mark ? 1 : -1)).slice(0, MAX_QUEUED_FACTS);
}

/** The mark of the latest fact among `facts`, or null. */
function latestMark(facts: AttemptFact[] | undefined): string | null {
  return (
    facts?.reduce<string | null>(
      (latest, fact) => (latest === null || fact.mark > latest ? fact.mark : latest),
      null,
    ) ?? null
  );
}

/** Statements that write summaries into the index, to run in one D1 batch. */
function summaryWrites(db: Db, updates: SummaryUpdate[]) {
  return updates.map((update) =>
    db
      .insert(instances)
      .select(
        db
          .select({
            workflowId: workflows.id,
            id: sql`${update.instanceId}`.as("id"),
            versionId: workflows.versionId,
            status: sql`${update.status}`.as("status"),
            triggerSource: sql`${update.triggerSource}`.as("trigger_source"),
            params: sql`${update.params}`.as("params"),
            createdOn: sql`${update.createdOn}`.as("created_on"),
            startedOn: sql`${update.startedOn}`.as("started_on"),
            endedOn: sql`${update.endedOn}`.as("ended_on"),
            modifiedOn: sql`${update.at}`.as("modified_on"),
            errorName: sql`${update.errorName}`.as("error_name"),
            revision: sql`${update.revision}`.as("revision"),
            // Unknown for an instance first seen here: its version's or the account's applies.
            retention: sql`null`.as("retention"),
            expiresOn: sql`null`.as("expires_on"),
            // The label paths of the workflow add theirs (migration 0010); the caller's are set at create.
            labels: sql`null`.as("labels"),
            errorShape: sql`${update.errorShape}`.as("error_shape"),
            failedStep: sql`${update.failedStep ?? null}`.as("failed_step"),
            attemptFacts: sql`${facts(update)}`.as("attempt_facts"),
            attemptsMark: sql`${latestMark(update.attempts)}`.as("attempts_mark"),
          })
          .from(workflows)
          .where(eq(workflows.name, update.workflowName)),
      )
      .onConflictDoUpdate({
        target: [instances.workflowId, instances.id],
        set: {
          status: sql`excluded.status`,
          startedOn: sql`excluded.started_on`,
          endedOn: sql`excluded.ended_on`,
          errorName: sql`excluded.error_name`,
          errorShape: sql`excluded.error_shape`,
          failedStep: sql`excluded.failed_step`,
          // The trigger counts the facts past the row's mark (migration 0014), then the mark moves on.
          attemptFacts: sql`excluded.attempt_facts`,
          attemptsMark: sql`max(coalesce(${instances.attemptsMark}, ''), coalesce(excluded.attempts_mark, ''))`,
          modifiedOn: sql`excluded.modified_on`,
          revision: sql`excluded.revision`,
        },
        setWhere: sql`excluded.revision > ${instances.revision}`,
      }),
  );
}

function facts(update: SummaryUpdate): string | null {
  return update.attempts && update.attempts.length > 0 ? JSON.stringify(update.attempts) : null;
}

/** Writes summaries into the index in one batch; older revisions than a row's are ignored. */
export async function writeSummaries(db: Db, updates: SummaryUpdate[]): Promise<void> {
  await batchAll(db, summaryWrites(db, updates));
}
