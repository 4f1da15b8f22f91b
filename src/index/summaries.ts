import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { agentLabelsOfJson, withAgentLabels } from "../domain/agent-labels";
import type { InstanceStatus, TriggerSource } from "../domain/instance-status";
import type { Labels } from "../domain/labels";
import type { SegmentConfig } from "./config";
import { instances } from "./schema";
import type { SegmentDb } from "./segment-db";

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

/**
 * Writes summaries into the segment's rows; a write older than a row's revision is ignored. A
 * row first seen here (an instance created straight through the binding) takes the workflow's
 * current version, and that version's retention, from the segment's config.
 */
export function writeSummaries(db: SegmentDb, config: SegmentConfig, updates: SummaryUpdate[]): void {
  const marks = attemptMarks(db, updates);
  const agents = new Map(
    updates.flatMap((update) => {
      const labels = agentLabelsOfJson(update.params);
      return labels ? [[update.instanceId, labels] as const] : [];
    }),
  );
  const lateLabels = labelsArrivingLate(db, agents);
  for (const update of updates) {
    db.insert(instances)
      .values({
        id: update.instanceId,
        versionId: config.versionId,
        status: update.status,
        triggerSource: update.triggerSource,
        params: sql`${update.params}`,
        createdOn: new Date(update.createdOn),
        startedOn: dateOrNull(update.startedOn),
        endedOn: dateOrNull(update.endedOn),
        modifiedOn: new Date(update.at),
        errorName: update.errorName,
        revision: update.revision,
        retention: config.versionRetention,
        // An Agent's labels (started through the binding, so no caller's); the workflow's label
        // paths add theirs (a trigger). The caller's are set at create.
        labels: agents.get(update.instanceId) ?? null,
        errorShape: update.errorShape,
        failedStep: update.failedStep ?? null,
        attemptFacts: newFacts(update, marks.get(update.instanceId)),
        attemptsMark: latestMark(update.attempts),
      })
      .onConflictDoUpdate({
        target: instances.id,
        set: {
          status: sql`excluded.status`,
          startedOn: sql`excluded.started_on`,
          endedOn: sql`excluded.ended_on`,
          errorName: sql`excluded.error_name`,
          errorShape: sql`excluded.error_shape`,
          failedStep: sql`excluded.failed_step`,
          // The trigger counts the facts past the row's mark, then the mark moves on.
          attemptFacts: sql`excluded.attempt_facts`,
          attemptsMark: sql`max(coalesce(${instances.attemptsMark}, ''), coalesce(excluded.attempts_mark, ''))`,
          modifiedOn: sql`excluded.modified_on`,
          revision: sql`excluded.revision`,
          // A row first written while queued learns its params later (and an Agent's labels, below).
          params: sql`coalesce(${instances.params}, excluded.params)`,
        },
        setWhere: sql`excluded.revision > ${instances.revision}`,
      })
      .run();
  }
  // Apart from the status change above: the label triggers then count the run's events so far
  // under its new labels once (both in one statement, two triggers would count them).
  for (const [id, labels] of lateLabels) db.update(instances).set({ labels }).where(eq(instances.id, id)).run();
}

/**
 * The labels of rows stored without params (first written while queued) whose update brings an
 * Agent's params: theirs plus the Agent's, theirs winning a key both give.
 */
function labelsArrivingLate(db: SegmentDb, agents: ReadonlyMap<string, Labels>): Map<string, Labels> {
  if (agents.size === 0) return new Map();
  const rows = db
    .select({ id: instances.id, labels: instances.labels })
    .from(instances)
    .where(
      and(
        inArray(instances.id, sql`(SELECT value FROM json_each(${JSON.stringify([...agents.keys()])}))`),
        isNull(instances.params),
      ),
    )
    .all();
  return new Map(
    rows.flatMap((row) => {
      const labels = withAgentLabels(row.labels, agents.get(row.id) ?? null);
      return labels ? [[row.id, labels] as const] : [];
    }),
  );
}

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** The marks of the latest attempts counted for those of the updates' instances that have one. */
function attemptMarks(db: SegmentDb, updates: SummaryUpdate[]): Map<string, string> {
  const ids = updates.filter((update) => update.attempts?.length).map((update) => update.instanceId);
  if (ids.length === 0) return new Map();
  const rows = db
    .select({ id: instances.id, mark: instances.attemptsMark })
    .from(instances)
    // One bound parameter, however many ids: Durable Object SQLite binds at most 100 a statement.
    .where(inArray(instances.id, sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`))
    .all();
  return new Map(rows.flatMap((row) => (row.mark === null ? [] : [[row.id, row.mark]])));
}

/**
 * The facts past the row's mark, as JSON: those the step metrics trigger has yet to count. A
 * journal carries its latest attempts on every write, most of them counted already; handing the
 * trigger only the new ones spares it parsing the rest, and the row storing them.
 */
function newFacts(update: SummaryUpdate, mark: string | undefined): string | null {
  const facts = mark === undefined ? update.attempts : update.attempts?.filter((fact) => fact.mark > mark);
  return facts && facts.length > 0 ? JSON.stringify(facts) : null;
}
