-- Custom migration (drizzle-kit generate --custom): triggers cannot be declared in the Drizzle schema.
-- They keep `instance_metrics` (per minute and per hour) and `error_metrics` (per hour) as what
-- happened to the workflow's instances, inside the statement that records it: an instance is
-- counted created once the engine's events first confirm it (revision > 0: a reservation the
-- engine then refused is never counted), started at each `started_on` (a restart starts again),
-- and finished at each end (`complete`, `errored`, `terminated`, with the run's duration from
-- its start in the histogram). Nothing is taken back when an instance restarts, is deleted or
-- expires: these are events, kept for the buckets' own retention. The two triggers repeat one
-- statement with different conditions: SQLite has no functions to share it.
CREATE TRIGGER `instances_metrics_insert` AFTER INSERT ON `instances`
WHEN NEW.`revision` > 0 BEGIN
  INSERT INTO `instance_metrics` (`workflow_id`, `bucket`, `start`, `version_id`, `created`, `started`,
    `completed`, `errored`, `terminated`, `durations`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (`event`.`at` / `size`.`ms`) * `size`.`ms`, NEW.`version_id`,
    `event`.`kind` = 'created', `event`.`kind` = 'started', `event`.`kind` = 'complete',
    `event`.`kind` = 'errored', `event`.`kind` = 'terminated',
    CASE WHEN `event`.`kind` IN ('complete', 'errored', 'terminated') THEN json_object(
      CAST(CAST(ceil(ln(max(NEW.`ended_on` - coalesce(NEW.`started_on`, NEW.`created_on`), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS `kind`, NEW.`created_on` AS `at` WHERE true
    UNION ALL SELECT 'started', NEW.`started_on` WHERE NEW.`started_on` IS NOT NULL
    UNION ALL SELECT NEW.`status`, NEW.`ended_on` WHERE NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL
  ) AS `event`, (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`
  WHERE true
  ON CONFLICT DO UPDATE SET
    `created` = `created` + excluded.`created`,
    `started` = `started` + excluded.`started`,
    `completed` = `completed` + excluded.`completed`,
    `errored` = `errored` + excluded.`errored`,
    `terminated` = `terminated` + excluded.`terminated`,
    `durations` = CASE WHEN excluded.`durations` IS NULL THEN `durations` ELSE (
      SELECT json_set(coalesce(`durations`, '{}'), '$."' || `bin`.`key` || '"',
        coalesce(json_extract(`durations`, '$."' || `bin`.`key` || '"'), 0) + 1)
      FROM json_each(excluded.`durations`) AS `bin`
    ) END;
  INSERT INTO `error_metrics` (`workflow_id`, `start`, `name`, `shape`, `version_id`, `count`, `first_seen`,
    `last_seen`, `example_instance_id`)
  SELECT NEW.`workflow_id`, (NEW.`ended_on` / 3600000) * 3600000, coalesce(NEW.`error_name`, 'Error'),
    coalesce(NEW.`error_shape`, ''), NEW.`version_id`, 1, NEW.`ended_on`, NEW.`ended_on`, NEW.`id`
  WHERE NEW.`status` = 'errored' AND NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL
  ON CONFLICT DO UPDATE SET
    `count` = `count` + 1,
    `first_seen` = min(`first_seen`, excluded.`first_seen`),
    `last_seen` = max(`last_seen`, excluded.`last_seen`),
    `example_instance_id` = excluded.`example_instance_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `instances_metrics_update` AFTER UPDATE OF `revision`, `status`, `started_on`, `ended_on` ON `instances`
WHEN NEW.`revision` > 0 AND (OLD.`revision` = 0 OR OLD.`started_on` IS NOT NEW.`started_on`
  OR OLD.`status` IS NOT NEW.`status` OR OLD.`ended_on` IS NOT NEW.`ended_on`) BEGIN
  INSERT INTO `instance_metrics` (`workflow_id`, `bucket`, `start`, `version_id`, `created`, `started`,
    `completed`, `errored`, `terminated`, `durations`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (`event`.`at` / `size`.`ms`) * `size`.`ms`, NEW.`version_id`,
    `event`.`kind` = 'created', `event`.`kind` = 'started', `event`.`kind` = 'complete',
    `event`.`kind` = 'errored', `event`.`kind` = 'terminated',
    CASE WHEN `event`.`kind` IN ('complete', 'errored', 'terminated') THEN json_object(
      CAST(CAST(ceil(ln(max(NEW.`ended_on` - coalesce(NEW.`started_on`, NEW.`created_on`), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS `kind`, NEW.`created_on` AS `at` WHERE OLD.`revision` = 0
    UNION ALL SELECT 'started', NEW.`started_on` WHERE NEW.`started_on` IS NOT NULL AND OLD.`started_on` IS NOT NEW.`started_on`
    UNION ALL SELECT NEW.`status`, NEW.`ended_on` WHERE NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL AND (OLD.`status` NOT IN ('complete', 'errored', 'terminated') OR OLD.`ended_on` IS NOT NEW.`ended_on`)
  ) AS `event`, (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`
  WHERE true
  ON CONFLICT DO UPDATE SET
    `created` = `created` + excluded.`created`,
    `started` = `started` + excluded.`started`,
    `completed` = `completed` + excluded.`completed`,
    `errored` = `errored` + excluded.`errored`,
    `terminated` = `terminated` + excluded.`terminated`,
    `durations` = CASE WHEN excluded.`durations` IS NULL THEN `durations` ELSE (
      SELECT json_set(coalesce(`durations`, '{}'), '$."' || `bin`.`key` || '"',
        coalesce(json_extract(`durations`, '$."' || `bin`.`key` || '"'), 0) + 1)
      FROM json_each(excluded.`durations`) AS `bin`
    ) END;
  INSERT INTO `error_metrics` (`workflow_id`, `start`, `name`, `shape`, `version_id`, `count`, `first_seen`,
    `last_seen`, `example_instance_id`)
  SELECT NEW.`workflow_id`, (NEW.`ended_on` / 3600000) * 3600000, coalesce(NEW.`error_name`, 'Error'),
    coalesce(NEW.`error_shape`, ''), NEW.`version_id`, 1, NEW.`ended_on`, NEW.`ended_on`, NEW.`id`
  WHERE NEW.`status` = 'errored' AND NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL AND (OLD.`status` NOT IN ('complete', 'errored', 'terminated') OR OLD.`ended_on` IS NOT NEW.`ended_on`)
  ON CONFLICT DO UPDATE SET
    `count` = `count` + 1,
    `first_seen` = min(`first_seen`, excluded.`first_seen`),
    `last_seen` = max(`last_seen`, excluded.`last_seen`),
    `example_instance_id` = excluded.`example_instance_id`;
END;
