-- Custom migration (drizzle-kit generate --custom): triggers cannot be declared in the Drizzle schema.
-- The events of `instances_metrics_*` (migration 0012) once more, per value of each label key the
-- workflow declares in `metric_labels` and the instance has when the event happens, into
-- `label_metrics`. Only workflows that declare metric labels pay for them. An instance that gets
-- its first labels after it was indexed (from its label paths, as one first seen through the
-- engine's events does, or by a PATCH) is counted under them for what its row says it did.
CREATE TRIGGER `instances_label_metrics_insert` AFTER INSERT ON `instances`
WHEN NEW.`revision` > 0 AND NEW.`labels` IS NOT NULL AND (SELECT `metric_labels` FROM `workflows` WHERE `id` = NEW.`workflow_id`) IS NOT NULL BEGIN
  INSERT INTO `label_metrics` (`workflow_id`, `bucket`, `start`, `key`, `value`, `created`, `started`,
    `completed`, `errored`, `terminated`, `durations`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (`event`.`at` / `size`.`ms`) * `size`.`ms`, `label`.`key`, `label`.`value`,
    `event`.`kind` = 'created', `event`.`kind` = 'started', `event`.`kind` = 'complete',
    `event`.`kind` = 'errored', `event`.`kind` = 'terminated',
    CASE WHEN `event`.`kind` IN ('complete', 'errored', 'terminated') THEN json_object(
      CAST(CAST(ceil(ln(max(NEW.`ended_on` - coalesce(NEW.`started_on`, NEW.`created_on`), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS `kind`, NEW.`created_on` AS `at` WHERE true
    UNION ALL SELECT 'started', NEW.`started_on` WHERE NEW.`started_on` IS NOT NULL
    UNION ALL SELECT NEW.`status`, NEW.`ended_on` WHERE NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL
  ) AS `event`,
  (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`,
  (
    SELECT `metric`.`value` AS `key`, json_extract(NEW.`labels`, '$."' || `metric`.`value` || '"') AS `value`
    FROM `workflows`, json_each(`workflows`.`metric_labels`) AS `metric`
    WHERE `workflows`.`id` = NEW.`workflow_id`
  ) AS `label`
  WHERE `label`.`value` IS NOT NULL
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
END;
--> statement-breakpoint
CREATE TRIGGER `instances_label_metrics_update` AFTER UPDATE OF `revision`, `status`, `started_on`, `ended_on` ON `instances`
WHEN NEW.`revision` > 0 AND NEW.`labels` IS NOT NULL AND (SELECT `metric_labels` FROM `workflows` WHERE `id` = NEW.`workflow_id`) IS NOT NULL
  AND (OLD.`revision` = 0 OR OLD.`started_on` IS NOT NEW.`started_on`
    OR OLD.`status` IS NOT NEW.`status` OR OLD.`ended_on` IS NOT NEW.`ended_on`) BEGIN
  INSERT INTO `label_metrics` (`workflow_id`, `bucket`, `start`, `key`, `value`, `created`, `started`,
    `completed`, `errored`, `terminated`, `durations`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (`event`.`at` / `size`.`ms`) * `size`.`ms`, `label`.`key`, `label`.`value`,
    `event`.`kind` = 'created', `event`.`kind` = 'started', `event`.`kind` = 'complete',
    `event`.`kind` = 'errored', `event`.`kind` = 'terminated',
    CASE WHEN `event`.`kind` IN ('complete', 'errored', 'terminated') THEN json_object(
      CAST(CAST(ceil(ln(max(NEW.`ended_on` - coalesce(NEW.`started_on`, NEW.`created_on`), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS `kind`, NEW.`created_on` AS `at` WHERE OLD.`revision` = 0
    UNION ALL SELECT 'started', NEW.`started_on` WHERE NEW.`started_on` IS NOT NULL AND OLD.`started_on` IS NOT NEW.`started_on`
    UNION ALL SELECT NEW.`status`, NEW.`ended_on` WHERE NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL AND (OLD.`status` NOT IN ('complete', 'errored', 'terminated') OR OLD.`ended_on` IS NOT NEW.`ended_on`)
  ) AS `event`,
  (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`,
  (
    SELECT `metric`.`value` AS `key`, json_extract(NEW.`labels`, '$."' || `metric`.`value` || '"') AS `value`
    FROM `workflows`, json_each(`workflows`.`metric_labels`) AS `metric`
    WHERE `workflows`.`id` = NEW.`workflow_id`
  ) AS `label`
  WHERE `label`.`value` IS NOT NULL
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
END;
--> statement-breakpoint
CREATE TRIGGER `instances_label_metrics_first_labels` AFTER UPDATE OF `labels` ON `instances`
WHEN NEW.`revision` > 0 AND OLD.`labels` IS NULL AND NEW.`labels` IS NOT NULL
  AND (SELECT `metric_labels` FROM `workflows` WHERE `id` = NEW.`workflow_id`) IS NOT NULL BEGIN
  INSERT INTO `label_metrics` (`workflow_id`, `bucket`, `start`, `key`, `value`, `created`, `started`,
    `completed`, `errored`, `terminated`, `durations`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (`event`.`at` / `size`.`ms`) * `size`.`ms`, `label`.`key`, `label`.`value`,
    `event`.`kind` = 'created', `event`.`kind` = 'started', `event`.`kind` = 'complete',
    `event`.`kind` = 'errored', `event`.`kind` = 'terminated',
    CASE WHEN `event`.`kind` IN ('complete', 'errored', 'terminated') THEN json_object(
      CAST(CAST(ceil(ln(max(NEW.`ended_on` - coalesce(NEW.`started_on`, NEW.`created_on`), 1)) / ln(1.1)) AS INTEGER) AS TEXT), 1)
    END
  FROM (
    SELECT 'created' AS `kind`, NEW.`created_on` AS `at` WHERE true
    UNION ALL SELECT 'started', NEW.`started_on` WHERE NEW.`started_on` IS NOT NULL
    UNION ALL SELECT NEW.`status`, NEW.`ended_on` WHERE NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL
  ) AS `event`,
  (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`,
  (
    SELECT `metric`.`value` AS `key`, json_extract(NEW.`labels`, '$."' || `metric`.`value` || '"') AS `value`
    FROM `workflows`, json_each(`workflows`.`metric_labels`) AS `metric`
    WHERE `workflows`.`id` = NEW.`workflow_id`
  ) AS `label`
  WHERE `label`.`value` IS NOT NULL
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
END;
