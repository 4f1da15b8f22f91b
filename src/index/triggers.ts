/**
 * The triggers that keep a segment's read model (src/index/schema.ts) equal to its `instances`,
 * inside the statement that changes an instance: status and label counts, the label index,
 * expiry, and the metrics of what happened. They behave as the D1 index's triggers did
 * (migrations 0001, 0007, 0010, 0012, 0014, 0016), less the workflow column: a segment holds one
 * workflow, and what those triggers read of the workflow and the account is in `index_config`.
 *
 * They are rendered here rather than written out because SQLite has no functions: the same
 * fragment (the events of a write, the histogram merge, the bucket sizes) recurs in several
 * triggers, and the constants are the domain's. `npm run index:generate` writes the result as a
 * drizzle-kit custom migration; `--check` (in `npm run typecheck`) keeps the file in step.
 *
 * A Node script imports this module, so it imports only import-free domain modules, by `.ts` path.
 */
import { FINISHED_STATUSES, INSTANCE_STATUSES, type InstanceStatus } from "../domain/instance-status.ts";
import { MAX_LABEL_VALUE_LENGTH, MAX_LABELS } from "../domain/labels.ts";
import { BIN_GROWTH, METRIC_BUCKET_MS } from "../domain/metrics.ts";
import { PLAN_RETENTION_MS } from "../domain/retention.ts";

type Row = "NEW" | "OLD";

/** A string as an SQL literal. */
function text(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A status as an SQL literal; typed, so a misspelt status fails the typecheck. */
function status(value: InstanceStatus): string {
  return text(value);
}

function number(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

/** A parenthesised list of literals, for `IN`. */
function list(values: Iterable<string>): string {
  return `(${Array.from(values, text).join(", ")})`;
}

const FINISHED = list(FINISHED_STATUSES);

/**
 * The counter column of each way a run ends. Checked against FINISHED_STATUSES so that a new
 * finished status fails the render instead of going uncounted.
 */
const ENDINGS: readonly (readonly [InstanceStatus, string])[] = [
  ["complete", "completed"],
  ["errored", "errored"],
  ["terminated", "terminated"],
];
if (ENDINGS.length !== FINISHED_STATUSES.size || !ENDINGS.every(([ending]) => FINISHED_STATUSES.has(ending))) {
  throw new Error("the metrics triggers count each finished status: update ENDINGS in src/index/triggers.ts");
}

/** Whether `row` has ended: a finished status, with its end known. */
function ended(row: Row): string {
  return `${row}.status IN ${FINISHED} AND ${row}.ended_on IS NOT NULL`;
}

/** A setting of the segment's one `index_config` row, as the writer last set it. */
function config(column: "label_paths" | "metric_labels" | "account_retention"): string {
  return `(SELECT ${column} FROM index_config WHERE id = 1)`;
}

/** The buckets the metrics keep, as a table `size (bucket, ms)` to cross every event with. */
function bucketSizes(): string {
  const rows = Object.entries(METRIC_BUCKET_MS).map(([bucket, ms], i) =>
    i === 0 ? `SELECT ${text(bucket)} AS bucket, ${number(ms)} AS ms` : `SELECT ${text(bucket)}, ${number(ms)}`,
  );
  return `(${rows.join(" UNION ALL ")}) AS size`;
}

/** The start of the bucket of `size` that the time `at` falls in. */
function bucketStart(at: string): string {
  return `(${at} / size.ms) * size.ms`;
}

/** A one-bin histogram `{ "<bin>": 1 }` of a duration, binned as `binOf` (src/domain/metrics.ts) does. */
function histogramOf(ms: string): string {
  return `json_object(CAST(CAST(ceil(ln(max(${ms}, 1)) / ln(${number(BIN_GROWTH)})) AS INTEGER) AS TEXT), 1)`;
}

/** The row's `durations` with the one bin of the conflicting insert's histogram added. */
function mergedDurations(): string {
  return `(
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    )`;
}

/** When a write records each event of an instance: its first confirmation, a start, an end. */
type EventRule = { created: string; started: string; ended: string };

/**
 * A new row confirmed by the engine (revision > 0: a reservation the engine then refused is never
 * counted) records all it says happened.
 */
const ON_INSERT: EventRule = { created: "true", started: "NEW.started_on IS NOT NULL", ended: ended("NEW") };

/**
 * An update records what changed: creation when the engine first confirms the row, a start at each
 * new `started_on` (a restart starts again), an end when the row (re)enters a finished status or
 * ends at another time.
 */
const ON_UPDATE: EventRule = {
  created: "OLD.revision = 0",
  started: "NEW.started_on IS NOT NULL AND OLD.started_on IS NOT NEW.started_on",
  ended: `${ended("NEW")} AND (OLD.status NOT IN ${FINISHED} OR OLD.ended_on IS NOT NEW.ended_on)`,
};

/** The events a write records, as a table `event (kind, at)`; an end's kind is its status. */
function events(rule: EventRule): string {
  return `(
    SELECT 'created' AS kind, NEW.created_on AS at WHERE ${rule.created}
    UNION ALL SELECT 'started', NEW.started_on WHERE ${rule.started}
    UNION ALL SELECT NEW.status, NEW.ended_on WHERE ${rule.ended}
  ) AS event`;
}

const EVENT_COLUMNS = ["created", "started", ...ENDINGS.map(([, column]) => column), "durations"];

/** An event's counts (one of them 1) and, for an end, the run's duration from its start. */
function eventValues(): string {
  const kinds = ["'created'", "'started'", ...ENDINGS.map(([ending]) => status(ending))];
  return `${kinds.map((kind) => `event.kind = ${kind}`).join(", ")},
    CASE WHEN event.kind IN ${FINISHED} THEN
      ${histogramOf("NEW.ended_on - coalesce(NEW.started_on, NEW.created_on)")}
    END`;
}

/** Adds an event to the bucket's row already there. */
function addEvents(): string {
  const counts = EVENT_COLUMNS.filter((column) => column !== "durations").map(
    (column) => `${column} = ${column} + excluded.${column}`,
  );
  return `ON CONFLICT DO UPDATE SET
    ${counts.join(",\n    ")},
    durations = CASE WHEN excluded.durations IS NULL THEN durations ELSE ${mergedDurations()} END;`;
}

// `WHERE true` before each `ON CONFLICT` of an INSERT … SELECT … FROM: without a WHERE, SQLite
// would read the `ON` as the join's constraint.

function instanceMetrics(rule: EventRule): string {
  return `INSERT INTO instance_metrics (bucket, start, version_id, ${EVENT_COLUMNS.join(", ")})
  SELECT size.bucket, ${bucketStart("event.at")}, NEW.version_id, ${eventValues()}
  FROM ${events(rule)}, ${bucketSizes()}
  WHERE true
  ${addEvents()}`;
}

/** Errors per hour: an errored end counts once against its name, message shape and version. */
function errorMetrics(rule: EventRule): string {
  const hour = number(METRIC_BUCKET_MS.h);
  return `INSERT INTO error_metrics (start, name, shape, version_id, count, first_seen, last_seen, example_instance_id)
  SELECT (NEW.ended_on / ${hour}) * ${hour}, coalesce(NEW.error_name, 'Error'), coalesce(NEW.error_shape, ''),
    NEW.version_id, 1, NEW.ended_on, NEW.ended_on, NEW.id
  WHERE NEW.status = ${status("errored")} AND ${rule.ended}
  ON CONFLICT DO UPDATE SET
    count = count + 1,
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen),
    example_instance_id = excluded.example_instance_id;`;
}

/** The events once more, per value the instance has of each of the workflow's metric labels. */
function labelMetrics(rule: EventRule): string {
  return `INSERT INTO label_metrics (bucket, start, key, value, ${EVENT_COLUMNS.join(", ")})
  SELECT size.bucket, ${bucketStart("event.at")}, label.key, label.value, ${eventValues()}
  FROM ${events(rule)}, ${bucketSizes()}, (
    SELECT metric.value AS key, json_extract(NEW.labels, '$."' || metric.value || '"') AS value
    FROM index_config, json_each(index_config.metric_labels) AS metric
    WHERE index_config.id = 1
  ) AS label
  WHERE label.value IS NOT NULL
  ${addEvents()}`;
}

/** Step attempts from the facts a write carries, those `filter` lets through. */
function stepMetrics(filter: string): string {
  const end = "json_extract(fact.value, '$.end')";
  return `INSERT INTO step_metrics (bucket, start, version_id, step, attempts, failed, instances_failed, durations)
  SELECT size.bucket, ${bucketStart(end)}, NEW.version_id, json_extract(fact.value, '$.step'), 1,
    json_extract(fact.value, '$.ok') = 0, 0, ${histogramOf(`${end} - json_extract(fact.value, '$.start')`)}
  FROM json_each(NEW.attempt_facts) AS fact, ${bucketSizes()}
  WHERE ${filter}
  ON CONFLICT DO UPDATE SET
    attempts = attempts + 1,
    failed = failed + excluded.failed,
    durations = ${mergedDurations()};`;
}

/** An errored run counted against the step whose failure ended it. */
function failedStep(): string {
  return `INSERT INTO step_metrics (bucket, start, version_id, step, instances_failed)
  SELECT size.bucket, ${bucketStart("NEW.ended_on")}, NEW.version_id, NEW.failed_step, 1
  FROM ${bucketSizes()}
  WHERE true
  ON CONFLICT DO UPDATE SET instances_failed = instances_failed + 1;`;
}

/** `expires_on` of the row as it now is: its end plus its retention, null while unfinished. */
function expiry(): string {
  const field = `CASE NEW.status WHEN ${status("errored")} THEN '$.error_retention' ELSE '$.success_retention' END`;
  return `UPDATE instances SET expires_on = CASE
    WHEN ${ended("NEW")} THEN NEW.ended_on + coalesce(
      json_extract(NEW.retention, ${field}),
      json_extract(${config("account_retention")}, ${field}),
      ${number(PLAN_RETENTION_MS)})
    END
  WHERE id = NEW.id;`;
}

function indexLabels(): string {
  return `INSERT INTO instance_labels (instance_id, key, value, created_on)
  SELECT NEW.id, key, value, NEW.created_on FROM json_each(NEW.labels);`;
}

function unindexLabels(): string {
  return "DELETE FROM instance_labels WHERE instance_id = OLD.id;";
}

function countLabels(): string {
  return `INSERT INTO instance_label_counts (key, value, status, count)
  SELECT key, value, NEW.status, 1 FROM json_each(NEW.labels) WHERE true
  ON CONFLICT DO UPDATE SET count = count + 1;`;
}

function uncountLabels(): string {
  const old = "(key, value) IN (SELECT key, value FROM json_each(OLD.labels))";
  return `UPDATE instance_label_counts SET count = count - 1
  WHERE status = OLD.status AND ${old};
  DELETE FROM instance_label_counts
  WHERE status = OLD.status AND count <= 0 AND ${old};`;
}

/**
 * The row's labels as the caller's plus what the label paths find in its params: the caller's
 * win a key both give; strings, numbers and booleans only, as text; the caller's first.
 */
function labelsWithPaths(): string {
  const found = "json_extract(NEW.params, path.value)";
  return `UPDATE instances SET labels = (
    SELECT nullif(json_group_object(key, value), '{}') FROM (
      SELECT key, value, 0 AS origin FROM json_each(NEW.labels)
      UNION ALL
      SELECT path.key,
        CASE json_type(NEW.params, path.value)
          WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
          ELSE CAST(${found} AS TEXT) END,
        1
      FROM index_config, json_each(index_config.label_paths) AS path
      WHERE index_config.id = 1
        AND json_type(NEW.params, path.value) IN ${list(["text", "integer", "real", "true", "false"])}
        AND length(CAST(${found} AS TEXT)) <= ${number(MAX_LABEL_VALUE_LENGTH)}
        AND path.key NOT IN (SELECT key FROM json_each(NEW.labels))
      ORDER BY origin, key LIMIT ${number(MAX_LABELS)}
    )
  )
  WHERE id = NEW.id AND ${config("label_paths")} IS NOT NULL;`;
}

type Trigger = { name: string; on: string; when?: string; body: string[] };

function render({ name, on, when, body }: Trigger): string {
  const condition = when === undefined ? "" : `\nWHEN ${when}`;
  return `CREATE TRIGGER ${name} ${on}${condition} BEGIN\n${body.map((statement) => `  ${statement}`).join("\n")}\nEND;`;
}

/** Triggers with the reasons for them, which the migration keeps as comments. */
type Group = { why: string; triggers: Trigger[] };

/** An update that may record an event (ON_UPDATE says which): the ones the metrics triggers wake for. */
const METRIC_CHANGES =
  "OLD.revision = 0 OR OLD.started_on IS NOT NEW.started_on OR OLD.status IS NOT NEW.status OR OLD.ended_on IS NOT NEW.ended_on";

const GROUPS: Group[] = [
  {
    why: `\`instance_status_counts\` stays equal to a GROUP BY over \`instances\`, so reading a count never
scans. Its rows are seeded at zero (above), so these only ever UPDATE.`,
    triggers: [
      {
        name: "instances_count_insert",
        on: "AFTER INSERT ON instances",
        body: ["UPDATE instance_status_counts SET count = count + 1 WHERE status = NEW.status;"],
      },
      {
        name: "instances_count_update",
        on: "AFTER UPDATE OF status ON instances",
        when: "OLD.status IS NOT NEW.status",
        body: [
          "UPDATE instance_status_counts SET count = count - 1 WHERE status = OLD.status;",
          "UPDATE instance_status_counts SET count = count + 1 WHERE status = NEW.status;",
        ],
      },
      {
        name: "instances_count_delete",
        on: "AFTER DELETE ON instances",
        body: ["UPDATE instance_status_counts SET count = count - 1 WHERE status = OLD.status;"],
      },
    ],
  },
  {
    why: `\`expires_on\` is when the engine forgets a finished instance, so the expiry pass only reads an index.
The retention is the engine's rule: the row's own (\`retention\`: the instance's, else its version's
default, as the writer put it), else the account's (\`index_config.account_retention\`), else the
plan's. Errored instances keep \`error_retention\`; complete and terminated \`success_retention\`.
An expiry is fixed when the instance ends (or restarts): later rewrites of the same summary, and
later settings, leave it as it is.`,
    triggers: [
      { name: "instances_expiry_insert", on: "AFTER INSERT ON instances", body: [expiry()] },
      {
        name: "instances_expiry_update",
        on: "AFTER UPDATE OF status, ended_on ON instances",
        when: "OLD.status IS NOT NEW.status OR OLD.ended_on IS NOT NEW.ended_on",
        body: [expiry()],
      },
    ],
  },
  {
    why: `\`instances.labels\` is what writers set; \`instance_labels\` (for selectors) and \`instance_label_counts\`
(per label value and status; rows that fall to zero are removed, so high-cardinality labels leave
nothing behind) follow it. On insert the caller's labels are indexed first; then, when the
workflow declares label paths, the row's labels become the caller's plus what the paths find in
its params (at most ${MAX_LABELS} labels of at most ${MAX_LABEL_VALUE_LENGTH} characters), and the update triggers move
the index from the one to the other. Every writer of new rows gets the same labels this way.`,
    triggers: [
      {
        name: "instances_labels_insert",
        on: "AFTER INSERT ON instances",
        when: `NEW.labels IS NOT NULL OR ${config("label_paths")} IS NOT NULL`,
        body: [indexLabels(), countLabels(), labelsWithPaths()],
      },
      {
        name: "instances_label_counts_update",
        on: "AFTER UPDATE OF status, labels ON instances",
        when: "OLD.status IS NOT NEW.status OR OLD.labels IS NOT NEW.labels",
        body: [uncountLabels(), countLabels()],
      },
      {
        name: "instances_labels_update",
        on: "AFTER UPDATE OF labels ON instances",
        when: "OLD.labels IS NOT NEW.labels",
        body: [unindexLabels(), indexLabels()],
      },
      {
        name: "instances_labels_delete",
        on: "AFTER DELETE ON instances",
        when: "OLD.labels IS NOT NULL",
        body: [uncountLabels(), unindexLabels()],
      },
    ],
  },
  {
    why: `\`instance_metrics\` (per minute and hour) and \`error_metrics\` (per hour) count what happened to
instances: created once the engine first confirms one, started at each start, finished at each
end (with the run's duration in the histogram). Nothing is taken back when an instance
restarts, is deleted or expires: these are events, kept for the buckets' own retention.`,
    triggers: [
      {
        name: "instances_metrics_insert",
        on: "AFTER INSERT ON instances",
        when: "NEW.revision > 0",
        body: [instanceMetrics(ON_INSERT), errorMetrics(ON_INSERT)],
      },
      {
        name: "instances_metrics_update",
        on: "AFTER UPDATE OF revision, status, started_on, ended_on ON instances",
        when: `NEW.revision > 0 AND (${METRIC_CHANGES})`,
        body: [instanceMetrics(ON_UPDATE), errorMetrics(ON_UPDATE)],
      },
    ],
  },
  {
    why: `Each write carries the step attempts that ended lately (\`attempt_facts\`, each with a mark that
orders them by their end) and keeps the mark of the latest counted (\`attempts_mark\`): only facts
past the row's mark are added, so a fact carried by several writes is counted once. A run that
ended errored counts against the step whose failure ended it.`,
    triggers: [
      {
        name: "instances_step_metrics_insert",
        on: "AFTER INSERT ON instances",
        when: "NEW.revision > 0 AND NEW.attempt_facts IS NOT NULL",
        body: [stepMetrics("true")],
      },
      {
        name: "instances_step_metrics_update",
        on: "AFTER UPDATE OF attempt_facts ON instances",
        when: "NEW.revision > 0 AND NEW.attempt_facts IS NOT NULL",
        body: [stepMetrics("json_extract(fact.value, '$.mark') > coalesce(OLD.attempts_mark, '')")],
      },
      {
        name: "instances_failed_step_insert",
        on: "AFTER INSERT ON instances",
        when: `NEW.revision > 0 AND NEW.status = ${status("errored")} AND NEW.ended_on IS NOT NULL AND NEW.failed_step IS NOT NULL`,
        body: [failedStep()],
      },
      {
        name: "instances_failed_step_update",
        on: "AFTER UPDATE OF revision, status, ended_on ON instances",
        when: `NEW.revision > 0 AND NEW.status = ${status("errored")} AND NEW.ended_on IS NOT NULL AND NEW.failed_step IS NOT NULL
  AND (OLD.status NOT IN ${FINISHED} OR OLD.ended_on IS NOT NEW.ended_on)`,
        body: [failedStep()],
      },
    ],
  },
  {
    why: `The instance events once more, per value of each label key the workflow declares in
\`metric_labels\` and the instance has when the event happens, into \`label_metrics\`: only
workflows that declare metric labels pay for them. An instance that gets its first labels after
it was indexed (from its label paths, or by a PATCH) is counted under them for what its row says
it did.`,
    triggers: [
      {
        name: "instances_label_metrics_insert",
        on: "AFTER INSERT ON instances",
        when: `NEW.revision > 0 AND NEW.labels IS NOT NULL AND ${config("metric_labels")} IS NOT NULL`,
        body: [labelMetrics(ON_INSERT)],
      },
      {
        name: "instances_label_metrics_update",
        on: "AFTER UPDATE OF revision, status, started_on, ended_on ON instances",
        when: `NEW.revision > 0 AND NEW.labels IS NOT NULL AND ${config("metric_labels")} IS NOT NULL
  AND (${METRIC_CHANGES})`,
        body: [labelMetrics(ON_UPDATE)],
      },
      {
        name: "instances_label_metrics_first_labels",
        on: "AFTER UPDATE OF labels ON instances",
        when: `NEW.revision > 0 AND OLD.labels IS NULL AND NEW.labels IS NOT NULL AND ${config("metric_labels")} IS NOT NULL`,
        body: [labelMetrics(ON_INSERT)],
      },
    ],
  },
];

/** Every status's count starts at zero, so reading a status no instance has yet finds 0. */
export function seedStatusCounts(): string {
  const rows = INSTANCE_STATUSES.map((value) => `(${status(value)}, 0)`);
  return `INSERT INTO instance_status_counts (status, count) VALUES\n  ${rows.join(",\n  ")};`;
}

/** One CREATE TRIGGER statement per trigger, in the order they are created. */
export function indexTriggers(): string[] {
  return GROUPS.flatMap((group) => group.triggers.map(render));
}

function comment(lines: string): string {
  return lines
    .split("\n")
    .map((line) => `-- ${line}`)
    .join("\n");
}

/** The triggers' migration, as `npm run index:generate` writes it. */
export function renderTriggerMigration(): string {
  const header = comment(`Rendered by src/index/triggers.ts (npm run index:generate): edit that, not this file.
A drizzle-kit custom migration, as triggers cannot be declared in the Drizzle schema. They keep
the segment's counts, labels, expiry and metrics equal to its instances, inside the statement
that changes an instance, as the D1 index's triggers did.`);
  const statements = [`${header}\n${seedStatusCounts()}`];
  for (const group of GROUPS) {
    const [first, ...rest] = group.triggers.map(render);
    if (first === undefined) continue;
    statements.push(`${comment(group.why)}\n${first}`, ...rest);
  }
  return `${statements.join("\n--> statement-breakpoint\n")}\n`;
}
