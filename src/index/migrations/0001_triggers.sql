-- Rendered by src/index/triggers.ts (npm run index:generate): edit that, not this file.
-- A drizzle-kit custom migration, as triggers cannot be declared in the Drizzle schema. They keep
-- the segment's counts, labels, expiry and metrics equal to its instances, inside the statement
-- that changes an instance, as the D1 index's triggers did.
INSERT INTO instance_status_counts (status, count) VALUES
  ('queued', 0),
  ('running', 0),
  ('paused', 0),
  ('errored', 0),
  ('terminated', 0),
  ('complete', 0),
  ('waiting', 0),
  ('waitingForPause', 0),
  ('rollingBack', 0);
--> statement-breakpoint
-- `instance_status_counts` stays equal to a GROUP BY over `instances`, so reading a count never
-- scans. Its rows are seeded at zero (above), so these only ever UPDATE.
CREATE TRIGGER instances_count_insert AFTER INSERT ON instances BEGIN
  UPDATE instance_status_counts SET count = count + 1 WHERE status = NEW.status;
END;
--> statement-breakpoint
CREATE TRIGGER instances_count_update AFTER UPDATE OF status ON instances
WHEN OLD.status IS NOT NEW.status BEGIN
  UPDATE instance_status_counts SET count = count - 1 WHERE status = OLD.status;
  UPDATE instance_status_counts SET count = count + 1 WHERE status = NEW.status;
END;
--> statement-breakpoint
CREATE TRIGGER instances_count_delete AFTER DELETE ON instances BEGIN
  UPDATE instance_status_counts SET count = count - 1 WHERE status = OLD.status;
END;
--> statement-breakpoint
-- `expires_on` is when the engine forgets a finished instance, so the expiry pass only reads an index.
-- The retention is the engine's rule: the row's own (`retention`: the instance's, else its version's
-- default, as the writer put it), else the account's (`index_config.account_retention`), else the
-- plan's. Errored instances keep `error_retention`; complete and terminated `success_retention`.
-- An expiry is fixed when the instance ends (or restarts): later rewrites of the same summary, and
-- later settings, leave it as it is.
CREATE TRIGGER instances_expiry_insert AFTER INSERT ON instances BEGIN
  UPDATE instances SET expires_on = CASE
    WHEN NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL THEN NEW.ended_on + coalesce(
      json_extract(NEW.retention, CASE NEW.status WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END),
      json_extract((SELECT account_retention FROM index_config WHERE id = 1), CASE NEW.status WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END),
      604800000)
    END
  WHERE id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER instances_expiry_update AFTER UPDATE OF status, ended_on ON instances
WHEN OLD.status IS NOT NEW.status OR OLD.ended_on IS NOT NEW.ended_on BEGIN
  UPDATE instances SET expires_on = CASE
    WHEN NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL THEN NEW.ended_on + coalesce(
      json_extract(NEW.retention, CASE NEW.status WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END),
      json_extract((SELECT account_retention FROM index_config WHERE id = 1), CASE NEW.status WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END),
      604800000)
    END
  WHERE id = NEW.id;
END;
--> statement-breakpoint
-- `instances.labels` is what writers set; `instance_labels` (for selectors) and `instance_label_counts`
-- (per label value and status; rows that fall to zero are removed, so high-cardinality labels leave
-- nothing behind) follow it. On insert the caller's labels are indexed first; then, when the
-- workflow declares label paths, the row's labels become the caller's plus what the paths find in
-- its params (at most 16 labels of at most 256 characters), and the update triggers move
-- the index from the one to the other. Every writer of new rows gets the same labels this way.
CREATE TRIGGER instances_labels_insert AFTER INSERT ON instances
WHEN NEW.labels IS NOT NULL OR (SELECT label_paths FROM index_config WHERE id = 1) IS NOT NULL BEGIN
  INSERT INTO instance_labels (instance_id, key, value, created_on)
  SELECT NEW.id, key, value, NEW.created_on FROM json_each(NEW.labels);
  INSERT INTO instance_label_counts (key, value, status, count)
  SELECT key, value, NEW.status, 1 FROM json_each(NEW.labels) WHERE true
  ON CONFLICT DO UPDATE SET count = count + 1;
  UPDATE instances SET labels = (
    SELECT nullif(json_group_object(key, value), '{}') FROM (
      SELECT key, value, 0 AS origin FROM json_each(NEW.labels)
      UNION ALL
      SELECT path.key,
        CASE json_type(NEW.params, path.value)
          WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
          ELSE CAST(json_extract(NEW.params, path.value) AS TEXT) END,
        1
      FROM index_config, json_each(index_config.label_paths) AS path
      WHERE index_config.id = 1
        AND json_type(NEW.params, path.value) IN ('text', 'integer', 'real', 'true', 'false')
        AND length(CAST(json_extract(NEW.params, path.value) AS TEXT)) <= 256
        AND path.key NOT IN (SELECT key FROM json_each(NEW.labels))
      ORDER BY origin, key LIMIT 16
    )
  )
  WHERE id = NEW.id AND (SELECT label_paths FROM index_config WHERE id = 1) IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER instances_label_counts_update AFTER UPDATE OF status, labels ON instances
WHEN OLD.status IS NOT NEW.status OR OLD.labels IS NOT NEW.labels BEGIN
  UPDATE instance_label_counts SET count = count - 1
  WHERE status = OLD.status AND (key, value) IN (SELECT key, value FROM json_each(OLD.labels));
  DELETE FROM instance_label_counts
  WHERE status = OLD.status AND count <= 0 AND (key, value) IN (SELECT key, value FROM json_each(OLD.labels));
  INSERT INTO instance_label_counts (key, value, status, count)
  SELECT key, value, NEW.status, 1 FROM json_each(NEW.labels) WHERE true
  ON CONFLICT DO UPDATE SET count = count + 1;
END;
--> statement-breakpoint
CREATE TRIGGER instances_labels_update AFTER UPDATE OF labels ON instances
WHEN OLD.labels IS NOT NEW.labels BEGIN
  DELETE FROM instance_labels WHERE instance_id = OLD.id;
  INSERT INTO instance_labels (instance_id, key, value, created_on)
  SELECT NEW.id, key, value, NEW.created_on FROM json_each(NEW.labels);
END;
--> statement-breakpoint
CREATE TRIGGER instances_labels_delete AFTER DELETE ON instances
WHEN OLD.labels IS NOT NULL BEGIN
  UPDATE instance_label_counts SET count = count - 1
  WHERE status = OLD.status AND (key, value) IN (SELECT key, value FROM json_each(OLD.labels));
  DELETE FROM instance_label_counts
  WHERE status = OLD.status AND count <= 0 AND (key, value) IN (SELECT key, value FROM json_each(OLD.labels));
  DELETE FROM instance_labels WHERE instance_id = OLD.id;
END;
--> statement-breakpoint
-- `instance_metrics` (per minute and hour) and `error_metrics` (per hour) count what happened to
-- instances: created once the engine first confirms one, started at each start, finished at each
-- end (with the run's duration in the histogram). Nothing is taken back when an instance
-- restarts, is deleted or expires: these are events, kept for the buckets' own retention.
CREATE TRIGGER instances_metrics_insert AFTER INSERT ON instances
WHEN NEW.revision > 0 BEGIN
  INSERT INTO instance_metrics (bucket, start, version_id, created, started, completed, errored, terminated, durations)
  SELECT size.bucket, (event.at / size.ms) * size.ms, NEW.version_id, event.kind = 'created', event.kind = 'started', event.kind = 'complete', event.kind = 'errored', event.kind = 'terminated',
    CASE WHEN event.kind IN ('complete', 'errored', 'terminated') THEN
      json_object(CAST(CAST(ceil(ln(max(NEW.ended_on - coalesce(NEW.started_on, NEW.created_on), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS kind, NEW.created_on AS at WHERE true
    UNION ALL SELECT 'started', NEW.started_on WHERE NEW.started_on IS NOT NULL
    UNION ALL SELECT NEW.status, NEW.ended_on WHERE NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL
  ) AS event, (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size
  WHERE true
  ON CONFLICT DO UPDATE SET
    created = created + excluded.created,
    started = started + excluded.started,
    completed = completed + excluded.completed,
    errored = errored + excluded.errored,
    terminated = terminated + excluded.terminated,
    durations = CASE WHEN excluded.durations IS NULL THEN durations ELSE (
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    ) END;
  INSERT INTO error_metrics (start, name, shape, version_id, count, first_seen, last_seen, example_instance_id)
  SELECT (NEW.ended_on / 3600000) * 3600000, coalesce(NEW.error_name, 'Error'), coalesce(NEW.error_shape, ''),
    NEW.version_id, 1, NEW.ended_on, NEW.ended_on, NEW.id
  WHERE NEW.status = 'errored' AND NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL
  ON CONFLICT DO UPDATE SET
    count = count + 1,
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen),
    example_instance_id = excluded.example_instance_id;
END;
--> statement-breakpoint
CREATE TRIGGER instances_metrics_update AFTER UPDATE OF revision, status, started_on, ended_on ON instances
WHEN NEW.revision > 0 AND (OLD.revision = 0 OR OLD.started_on IS NOT NEW.started_on OR OLD.status IS NOT NEW.status OR OLD.ended_on IS NOT NEW.ended_on) BEGIN
  INSERT INTO instance_metrics (bucket, start, version_id, created, started, completed, errored, terminated, durations)
  SELECT size.bucket, (event.at / size.ms) * size.ms, NEW.version_id, event.kind = 'created', event.kind = 'started', event.kind = 'complete', event.kind = 'errored', event.kind = 'terminated',
    CASE WHEN event.kind IN ('complete', 'errored', 'terminated') THEN
      json_object(CAST(CAST(ceil(ln(max(NEW.ended_on - coalesce(NEW.started_on, NEW.created_on), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS kind, NEW.created_on AS at WHERE OLD.revision = 0
    UNION ALL SELECT 'started', NEW.started_on WHERE NEW.started_on IS NOT NULL AND OLD.started_on IS NOT NEW.started_on
    UNION ALL SELECT NEW.status, NEW.ended_on WHERE NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL AND (OLD.status NOT IN ('complete', 'errored', 'terminated') OR OLD.ended_on IS NOT NEW.ended_on)
  ) AS event, (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size
  WHERE true
  ON CONFLICT DO UPDATE SET
    created = created + excluded.created,
    started = started + excluded.started,
    completed = completed + excluded.completed,
    errored = errored + excluded.errored,
    terminated = terminated + excluded.terminated,
    durations = CASE WHEN excluded.durations IS NULL THEN durations ELSE (
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    ) END;
  INSERT INTO error_metrics (start, name, shape, version_id, count, first_seen, last_seen, example_instance_id)
  SELECT (NEW.ended_on / 3600000) * 3600000, coalesce(NEW.error_name, 'Error'), coalesce(NEW.error_shape, ''),
    NEW.version_id, 1, NEW.ended_on, NEW.ended_on, NEW.id
  WHERE NEW.status = 'errored' AND NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL AND (OLD.status NOT IN ('complete', 'errored', 'terminated') OR OLD.ended_on IS NOT NEW.ended_on)
  ON CONFLICT DO UPDATE SET
    count = count + 1,
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen),
    example_instance_id = excluded.example_instance_id;
END;
--> statement-breakpoint
-- Each write carries the step attempts that ended lately (`attempt_facts`, each with a mark that
-- orders them by their end) and keeps the mark of the latest counted (`attempts_mark`): only facts
-- past the row's mark are added, so a fact carried by several writes is counted once. A run that
-- ended errored counts against the step whose failure ended it.
CREATE TRIGGER instances_step_metrics_insert AFTER INSERT ON instances
WHEN NEW.revision > 0 AND NEW.attempt_facts IS NOT NULL BEGIN
  INSERT INTO step_metrics (bucket, start, version_id, step, attempts, failed, instances_failed, durations)
  SELECT size.bucket, (json_extract(fact.value, '$.end') / size.ms) * size.ms, NEW.version_id, json_extract(fact.value, '$.step'), 1,
    json_extract(fact.value, '$.ok') = 0, 0, json_object(CAST(CAST(ceil(ln(max(json_extract(fact.value, '$.end') - json_extract(fact.value, '$.start'), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
  FROM json_each(NEW.attempt_facts) AS fact, (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size
  WHERE true
  ON CONFLICT DO UPDATE SET
    attempts = attempts + 1,
    failed = failed + excluded.failed,
    durations = (
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    );
END;
--> statement-breakpoint
CREATE TRIGGER instances_step_metrics_update AFTER UPDATE OF attempt_facts ON instances
WHEN NEW.revision > 0 AND NEW.attempt_facts IS NOT NULL BEGIN
  INSERT INTO step_metrics (bucket, start, version_id, step, attempts, failed, instances_failed, durations)
  SELECT size.bucket, (json_extract(fact.value, '$.end') / size.ms) * size.ms, NEW.version_id, json_extract(fact.value, '$.step'), 1,
    json_extract(fact.value, '$.ok') = 0, 0, json_object(CAST(CAST(ceil(ln(max(json_extract(fact.value, '$.end') - json_extract(fact.value, '$.start'), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
  FROM json_each(NEW.attempt_facts) AS fact, (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size
  WHERE json_extract(fact.value, '$.mark') > coalesce(OLD.attempts_mark, '')
  ON CONFLICT DO UPDATE SET
    attempts = attempts + 1,
    failed = failed + excluded.failed,
    durations = (
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    );
END;
--> statement-breakpoint
CREATE TRIGGER instances_failed_step_insert AFTER INSERT ON instances
WHEN NEW.revision > 0 AND NEW.status = 'errored' AND NEW.ended_on IS NOT NULL AND NEW.failed_step IS NOT NULL BEGIN
  INSERT INTO step_metrics (bucket, start, version_id, step, instances_failed)
  SELECT size.bucket, (NEW.ended_on / size.ms) * size.ms, NEW.version_id, NEW.failed_step, 1
  FROM (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size
  WHERE true
  ON CONFLICT DO UPDATE SET instances_failed = instances_failed + 1;
END;
--> statement-breakpoint
CREATE TRIGGER instances_failed_step_update AFTER UPDATE OF revision, status, ended_on ON instances
WHEN NEW.revision > 0 AND NEW.status = 'errored' AND NEW.ended_on IS NOT NULL AND NEW.failed_step IS NOT NULL
  AND (OLD.status NOT IN ('complete', 'errored', 'terminated') OR OLD.ended_on IS NOT NEW.ended_on) BEGIN
  INSERT INTO step_metrics (bucket, start, version_id, step, instances_failed)
  SELECT size.bucket, (NEW.ended_on / size.ms) * size.ms, NEW.version_id, NEW.failed_step, 1
  FROM (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size
  WHERE true
  ON CONFLICT DO UPDATE SET instances_failed = instances_failed + 1;
END;
--> statement-breakpoint
-- The instance events once more, per value of each label key the workflow declares in
-- `metric_labels` and the instance has when the event happens, into `label_metrics`: only
-- workflows that declare metric labels pay for them. An instance that gets its first labels after
-- it was indexed (from its label paths, or by a PATCH) is counted under them for what its row says
-- it did.
CREATE TRIGGER instances_label_metrics_insert AFTER INSERT ON instances
WHEN NEW.revision > 0 AND NEW.labels IS NOT NULL AND (SELECT metric_labels FROM index_config WHERE id = 1) IS NOT NULL BEGIN
  INSERT INTO label_metrics (bucket, start, key, value, created, started, completed, errored, terminated, durations)
  SELECT size.bucket, (event.at / size.ms) * size.ms, label.key, label.value, event.kind = 'created', event.kind = 'started', event.kind = 'complete', event.kind = 'errored', event.kind = 'terminated',
    CASE WHEN event.kind IN ('complete', 'errored', 'terminated') THEN
      json_object(CAST(CAST(ceil(ln(max(NEW.ended_on - coalesce(NEW.started_on, NEW.created_on), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS kind, NEW.created_on AS at WHERE true
    UNION ALL SELECT 'started', NEW.started_on WHERE NEW.started_on IS NOT NULL
    UNION ALL SELECT NEW.status, NEW.ended_on WHERE NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL
  ) AS event, (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size, (
    SELECT metric.value AS key, json_extract(NEW.labels, '$."' || metric.value || '"') AS value
    FROM index_config, json_each(index_config.metric_labels) AS metric
    WHERE index_config.id = 1
  ) AS label
  WHERE label.value IS NOT NULL
  ON CONFLICT DO UPDATE SET
    created = created + excluded.created,
    started = started + excluded.started,
    completed = completed + excluded.completed,
    errored = errored + excluded.errored,
    terminated = terminated + excluded.terminated,
    durations = CASE WHEN excluded.durations IS NULL THEN durations ELSE (
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    ) END;
END;
--> statement-breakpoint
CREATE TRIGGER instances_label_metrics_update AFTER UPDATE OF revision, status, started_on, ended_on ON instances
WHEN NEW.revision > 0 AND NEW.labels IS NOT NULL AND (SELECT metric_labels FROM index_config WHERE id = 1) IS NOT NULL
  AND (OLD.revision = 0 OR OLD.started_on IS NOT NEW.started_on OR OLD.status IS NOT NEW.status OR OLD.ended_on IS NOT NEW.ended_on) BEGIN
  INSERT INTO label_metrics (bucket, start, key, value, created, started, completed, errored, terminated, durations)
  SELECT size.bucket, (event.at / size.ms) * size.ms, label.key, label.value, event.kind = 'created', event.kind = 'started', event.kind = 'complete', event.kind = 'errored', event.kind = 'terminated',
    CASE WHEN event.kind IN ('complete', 'errored', 'terminated') THEN
      json_object(CAST(CAST(ceil(ln(max(NEW.ended_on - coalesce(NEW.started_on, NEW.created_on), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS kind, NEW.created_on AS at WHERE OLD.revision = 0
    UNION ALL SELECT 'started', NEW.started_on WHERE NEW.started_on IS NOT NULL AND OLD.started_on IS NOT NEW.started_on
    UNION ALL SELECT NEW.status, NEW.ended_on WHERE NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL AND (OLD.status NOT IN ('complete', 'errored', 'terminated') OR OLD.ended_on IS NOT NEW.ended_on)
  ) AS event, (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size, (
    SELECT metric.value AS key, json_extract(NEW.labels, '$."' || metric.value || '"') AS value
    FROM index_config, json_each(index_config.metric_labels) AS metric
    WHERE index_config.id = 1
  ) AS label
  WHERE label.value IS NOT NULL
  ON CONFLICT DO UPDATE SET
    created = created + excluded.created,
    started = started + excluded.started,
    completed = completed + excluded.completed,
    errored = errored + excluded.errored,
    terminated = terminated + excluded.terminated,
    durations = CASE WHEN excluded.durations IS NULL THEN durations ELSE (
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    ) END;
END;
--> statement-breakpoint
CREATE TRIGGER instances_label_metrics_first_labels AFTER UPDATE OF labels ON instances
WHEN NEW.revision > 0 AND OLD.labels IS NULL AND NEW.labels IS NOT NULL AND (SELECT metric_labels FROM index_config WHERE id = 1) IS NOT NULL BEGIN
  INSERT INTO label_metrics (bucket, start, key, value, created, started, completed, errored, terminated, durations)
  SELECT size.bucket, (event.at / size.ms) * size.ms, label.key, label.value, event.kind = 'created', event.kind = 'started', event.kind = 'complete', event.kind = 'errored', event.kind = 'terminated',
    CASE WHEN event.kind IN ('complete', 'errored', 'terminated') THEN
      json_object(CAST(CAST(ceil(ln(max(NEW.ended_on - coalesce(NEW.started_on, NEW.created_on), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS kind, NEW.created_on AS at WHERE true
    UNION ALL SELECT 'started', NEW.started_on WHERE NEW.started_on IS NOT NULL
    UNION ALL SELECT NEW.status, NEW.ended_on WHERE NEW.status IN ('complete', 'errored', 'terminated') AND NEW.ended_on IS NOT NULL
  ) AS event, (SELECT 'm' AS bucket, 60000 AS ms UNION ALL SELECT 'h', 3600000) AS size, (
    SELECT metric.value AS key, json_extract(NEW.labels, '$."' || metric.value || '"') AS value
    FROM index_config, json_each(index_config.metric_labels) AS metric
    WHERE index_config.id = 1
  ) AS label
  WHERE label.value IS NOT NULL
  ON CONFLICT DO UPDATE SET
    created = created + excluded.created,
    started = started + excluded.started,
    completed = completed + excluded.completed,
    errored = errored + excluded.errored,
    terminated = terminated + excluded.terminated,
    durations = CASE WHEN excluded.durations IS NULL THEN durations ELSE (
      SELECT json_set(coalesce(durations, '{}'), '$."' || bin.key || '"',
        coalesce(json_extract(durations, '$."' || bin.key || '"'), 0) + 1)
      FROM json_each(excluded.durations) AS bin
    ) END;
END;
