-- Custom migration (drizzle-kit generate --custom): triggers cannot be declared in the Drizzle schema.
-- Each index write of an instance carries the step attempts that ended lately (`attempt_facts`,
-- the journal's last 32, each with a mark that orders them by their end) and keeps the mark of
-- the latest one counted (`attempts_mark`). These triggers add to `step_metrics` only the facts
-- past the mark the row had, so a fact carried by several writes (or by a rebuilt journal) is
-- counted once; and count a run that ended errored against the step whose failure ended it.
CREATE TRIGGER `instances_step_metrics_insert` AFTER INSERT ON `instances`
WHEN NEW.`revision` > 0 AND NEW.`attempt_facts` IS NOT NULL BEGIN
  INSERT INTO `step_metrics` (`workflow_id`, `bucket`, `start`, `version_id`, `step`, `attempts`, `failed`,
    `instances_failed`, `durations`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (json_extract(`fact`.`value`, '$.end') / `size`.`ms`) * `size`.`ms`,
    NEW.`version_id`, json_extract(`fact`.`value`, '$.step'), 1, json_extract(`fact`.`value`, '$.ok') = 0, 0,
    json_object(CAST(CAST(ceil(ln(max(json_extract(`fact`.`value`, '$.end') - json_extract(`fact`.`value`, '$.start'), 1))
      / ln(1.1)) AS INTEGER) AS TEXT), 1)
  FROM json_each(NEW.`attempt_facts`) AS `fact`, (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`
  WHERE true
  ON CONFLICT DO UPDATE SET
    `attempts` = `attempts` + 1,
    `failed` = `failed` + excluded.`failed`,
    `durations` = (
      SELECT json_set(coalesce(`durations`, '{}'), '$."' || `bin`.`key` || '"',
        coalesce(json_extract(`durations`, '$."' || `bin`.`key` || '"'), 0) + 1)
      FROM json_each(excluded.`durations`) AS `bin`
    );
END;
--> statement-breakpoint
CREATE TRIGGER `instances_step_metrics_update` AFTER UPDATE OF `attempt_facts` ON `instances`
WHEN NEW.`revision` > 0 AND NEW.`attempt_facts` IS NOT NULL BEGIN
  INSERT INTO `step_metrics` (`workflow_id`, `bucket`, `start`, `version_id`, `step`, `attempts`, `failed`,
    `instances_failed`, `durations`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (json_extract(`fact`.`value`, '$.end') / `size`.`ms`) * `size`.`ms`,
    NEW.`version_id`, json_extract(`fact`.`value`, '$.step'), 1, json_extract(`fact`.`value`, '$.ok') = 0, 0,
    json_object(CAST(CAST(ceil(ln(max(json_extract(`fact`.`value`, '$.end') - json_extract(`fact`.`value`, '$.start'), 1))
      / ln(1.1)) AS INTEGER) AS TEXT), 1)
  FROM json_each(NEW.`attempt_facts`) AS `fact`, (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`
  WHERE json_extract(`fact`.`value`, '$.mark') > coalesce(OLD.`attempts_mark`, '')
  ON CONFLICT DO UPDATE SET
    `attempts` = `attempts` + 1,
    `failed` = `failed` + excluded.`failed`,
    `durations` = (
      SELECT json_set(coalesce(`durations`, '{}'), '$."' || `bin`.`key` || '"',
        coalesce(json_extract(`durations`, '$."' || `bin`.`key` || '"'), 0) + 1)
      FROM json_each(excluded.`durations`) AS `bin`
    );
END;
--> statement-breakpoint
CREATE TRIGGER `instances_failed_step_insert` AFTER INSERT ON `instances`
WHEN NEW.`revision` > 0 AND NEW.`status` = 'errored' AND NEW.`ended_on` IS NOT NULL AND NEW.`failed_step` IS NOT NULL BEGIN
  INSERT INTO `step_metrics` (`workflow_id`, `bucket`, `start`, `version_id`, `step`, `instances_failed`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (NEW.`ended_on` / `size`.`ms`) * `size`.`ms`, NEW.`version_id`,
    NEW.`failed_step`, 1
  FROM (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`
  WHERE true
  ON CONFLICT DO UPDATE SET `instances_failed` = `instances_failed` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `instances_failed_step_update` AFTER UPDATE OF `revision`, `status`, `ended_on` ON `instances`
WHEN NEW.`revision` > 0 AND NEW.`status` = 'errored' AND NEW.`ended_on` IS NOT NULL AND NEW.`failed_step` IS NOT NULL
  AND (OLD.`status` NOT IN ('complete', 'errored', 'terminated') OR OLD.`ended_on` IS NOT NEW.`ended_on`) BEGIN
  INSERT INTO `step_metrics` (`workflow_id`, `bucket`, `start`, `version_id`, `step`, `instances_failed`)
  SELECT NEW.`workflow_id`, `size`.`bucket`, (NEW.`ended_on` / `size`.`ms`) * `size`.`ms`, NEW.`version_id`,
    NEW.`failed_step`, 1
  FROM (SELECT 'm' AS `bucket`, 60000 AS `ms` UNION ALL SELECT 'h', 3600000) AS `size`
  WHERE true
  ON CONFLICT DO UPDATE SET `instances_failed` = `instances_failed` + 1;
END;
