DROP INDEX `instances_to_reconcile`;--> statement-breakpoint
CREATE INDEX `instances_unfinished` ON `instances` (`workflow_id`,`created_on`,`id`) WHERE "instances"."status" not in ('complete', 'errored', 'terminated');--> statement-breakpoint
ALTER TABLE `instances` DROP COLUMN `checked_on`;