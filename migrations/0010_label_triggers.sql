-- Custom migration (drizzle-kit generate --custom): triggers cannot be declared in the Drizzle schema.
-- `instances.labels` (a JSON object) is what writers set; these triggers keep `instance_labels`
-- (one row per label, for selectors) and `instance_label_counts` (instances per label value and
-- status, for grouped counts) equal to it, inside the statement that changes an instance.
--
-- On insert, the caller's labels are indexed first; then, when the workflow declares label
-- paths, the row's labels become the caller's plus what the paths find in its params (the
-- caller's win a key both give; strings, numbers and booleans only, as text of at most 256
-- characters; at most 16 labels in all, the caller's first), and the update triggers below move
-- the index from the one to the other. Every writer of new rows (creates, the journals' first
-- sight of an instance made behind the API's back) gets the same labels this way.
CREATE TRIGGER `instances_labels_insert` AFTER INSERT ON `instances`
WHEN NEW.`labels` IS NOT NULL
  OR (SELECT `label_paths` FROM `workflows` WHERE `id` = NEW.`workflow_id`) IS NOT NULL BEGIN
  INSERT INTO `instance_labels` (`workflow_id`, `instance_id`, `key`, `value`, `created_on`)
  SELECT NEW.`workflow_id`, NEW.`id`, `key`, `value`, NEW.`created_on` FROM json_each(NEW.`labels`);
  INSERT INTO `instance_label_counts` (`workflow_id`, `key`, `value`, `status`, `count`)
  SELECT NEW.`workflow_id`, `key`, `value`, NEW.`status`, 1 FROM json_each(NEW.`labels`) WHERE true
  ON CONFLICT DO UPDATE SET `count` = `count` + 1;
  UPDATE `instances` SET `labels` = (
    SELECT nullif(json_group_object(`key`, `value`), '{}') FROM (
      SELECT `key`, `value`, 0 AS `origin` FROM json_each(NEW.`labels`)
      UNION ALL
      SELECT `path`.`key`,
        CASE json_type(NEW.`params`, `path`.`value`)
          WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
          ELSE CAST(json_extract(NEW.`params`, `path`.`value`) AS TEXT) END,
        1
      FROM `workflows`, json_each(`workflows`.`label_paths`) AS `path`
      WHERE `workflows`.`id` = NEW.`workflow_id`
        AND json_type(NEW.`params`, `path`.`value`) IN ('text', 'integer', 'real', 'true', 'false')
        AND length(CAST(json_extract(NEW.`params`, `path`.`value`) AS TEXT)) <= 256
        AND `path`.`key` NOT IN (SELECT `key` FROM json_each(NEW.`labels`))
      ORDER BY `origin`, `key` LIMIT 16
    )
  )
  WHERE `workflow_id` = NEW.`workflow_id` AND `id` = NEW.`id`
    AND (SELECT `label_paths` FROM `workflows` WHERE `id` = NEW.`workflow_id`) IS NOT NULL;
END;
--> statement-breakpoint
-- A change of status or of labels moves the instance from its old (label, status) counts to its
-- new ones; counts that fall to zero are removed, so high-cardinality labels leave nothing behind.
CREATE TRIGGER `instances_label_counts_update` AFTER UPDATE OF `status`, `labels` ON `instances`
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`labels` IS NOT NEW.`labels` BEGIN
  UPDATE `instance_label_counts` SET `count` = `count` - 1
  WHERE `workflow_id` = OLD.`workflow_id` AND `status` = OLD.`status`
    AND (`key`, `value`) IN (SELECT `key`, `value` FROM json_each(OLD.`labels`));
  DELETE FROM `instance_label_counts`
  WHERE `workflow_id` = OLD.`workflow_id` AND `status` = OLD.`status` AND `count` <= 0
    AND (`key`, `value`) IN (SELECT `key`, `value` FROM json_each(OLD.`labels`));
  INSERT INTO `instance_label_counts` (`workflow_id`, `key`, `value`, `status`, `count`)
  SELECT NEW.`workflow_id`, `key`, `value`, NEW.`status`, 1 FROM json_each(NEW.`labels`) WHERE true
  ON CONFLICT DO UPDATE SET `count` = `count` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `instances_labels_update` AFTER UPDATE OF `labels` ON `instances`
WHEN OLD.`labels` IS NOT NEW.`labels` BEGIN
  DELETE FROM `instance_labels` WHERE `workflow_id` = OLD.`workflow_id` AND `instance_id` = OLD.`id`;
  INSERT INTO `instance_labels` (`workflow_id`, `instance_id`, `key`, `value`, `created_on`)
  SELECT NEW.`workflow_id`, NEW.`id`, `key`, `value`, NEW.`created_on` FROM json_each(NEW.`labels`);
END;
--> statement-breakpoint
CREATE TRIGGER `instances_labels_delete` AFTER DELETE ON `instances`
WHEN OLD.`labels` IS NOT NULL BEGIN
  UPDATE `instance_label_counts` SET `count` = `count` - 1
  WHERE `workflow_id` = OLD.`workflow_id` AND `status` = OLD.`status`
    AND (`key`, `value`) IN (SELECT `key`, `value` FROM json_each(OLD.`labels`));
  DELETE FROM `instance_label_counts`
  WHERE `workflow_id` = OLD.`workflow_id` AND `status` = OLD.`status` AND `count` <= 0
    AND (`key`, `value`) IN (SELECT `key`, `value` FROM json_each(OLD.`labels`));
  DELETE FROM `instance_labels` WHERE `workflow_id` = OLD.`workflow_id` AND `instance_id` = OLD.`id`;
END;
