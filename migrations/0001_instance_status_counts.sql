-- Custom migration (drizzle-kit generate --custom): triggers cannot be declared in the Drizzle schema.
-- They keep `instance_status_counts` equal to a GROUP BY over `instances`, inside the very
-- statement that changes an instance, so counts are exact and reading them never scans.

-- Every workflow starts with a zero row per status, so the triggers below only ever UPDATE.
CREATE TRIGGER `workflows_seed_status_counts` AFTER INSERT ON `workflows` BEGIN
  INSERT INTO `instance_status_counts` (`workflow_id`, `status`, `count`)
  SELECT NEW.`id`, `column1`, 0 FROM (VALUES
    ('queued'), ('running'), ('paused'), ('errored'), ('terminated'),
    ('complete'), ('waiting'), ('waitingForPause'), ('rollingBack')
  );
END;
--> statement-breakpoint
CREATE TRIGGER `instances_count_insert` AFTER INSERT ON `instances` BEGIN
  UPDATE `instance_status_counts` SET `count` = `count` + 1
  WHERE `workflow_id` = NEW.`workflow_id` AND `status` = NEW.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `instances_count_update` AFTER UPDATE OF `status` ON `instances`
WHEN OLD.`status` IS NOT NEW.`status` BEGIN
  UPDATE `instance_status_counts` SET `count` = `count` - 1
  WHERE `workflow_id` = OLD.`workflow_id` AND `status` = OLD.`status`;
  UPDATE `instance_status_counts` SET `count` = `count` + 1
  WHERE `workflow_id` = NEW.`workflow_id` AND `status` = NEW.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `instances_count_delete` AFTER DELETE ON `instances` BEGIN
  UPDATE `instance_status_counts` SET `count` = `count` - 1
  WHERE `workflow_id` = OLD.`workflow_id` AND `status` = OLD.`status`;
END;
