-- Custom migration (drizzle-kit generate --custom): triggers cannot be declared in the Drizzle schema.
-- They keep `instances.expires_on` equal to when the engine forgets a finished instance, inside
-- the statement that finishes (or restarts) it, so the expiry pass only reads an index.
--
-- The retention is the engine's rule: the instance's own (`retention`, given at creation), else
-- its version's `default_retention`, else the account's (`account_settings`), else the plan's,
-- 7 days. Errored instances keep `error_retention`; complete and terminated `success_retention`.
-- The two triggers repeat one expression: SQLite has no functions to share it, and a generated
-- column cannot read other tables.
CREATE TRIGGER `instances_expiry_insert` AFTER INSERT ON `instances` BEGIN
  UPDATE `instances` SET `expires_on` = CASE
    WHEN NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL THEN NEW.`ended_on` + coalesce(
      json_extract(NEW.`retention`, CASE NEW.`status` WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END),
      (SELECT json_extract(`default_retention`, CASE NEW.`status` WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END)
         FROM `workflow_versions` WHERE `id` = NEW.`version_id`),
      (SELECT CASE NEW.`status` WHEN 'errored' THEN `error_retention` ELSE `success_retention` END
         FROM `account_settings` WHERE `id` = 1),
      604800000)
    END
  WHERE `workflow_id` = NEW.`workflow_id` AND `id` = NEW.`id`;
END;
--> statement-breakpoint
-- Only when the instance finishes or restarts: an expiry is fixed when the instance ends, so later
-- rewrites of the same summary (and later settings) leave it as it is.
CREATE TRIGGER `instances_expiry_update` AFTER UPDATE OF `status`, `ended_on` ON `instances`
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`ended_on` IS NOT NEW.`ended_on` BEGIN
  UPDATE `instances` SET `expires_on` = CASE
    WHEN NEW.`status` IN ('complete', 'errored', 'terminated') AND NEW.`ended_on` IS NOT NULL THEN NEW.`ended_on` + coalesce(
      json_extract(NEW.`retention`, CASE NEW.`status` WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END),
      (SELECT json_extract(`default_retention`, CASE NEW.`status` WHEN 'errored' THEN '$.error_retention' ELSE '$.success_retention' END)
         FROM `workflow_versions` WHERE `id` = NEW.`version_id`),
      (SELECT CASE NEW.`status` WHEN 'errored' THEN `error_retention` ELSE `success_retention` END
         FROM `account_settings` WHERE `id` = 1),
      604800000)
    END
  WHERE `workflow_id` = NEW.`workflow_id` AND `id` = NEW.`id`;
END;
