ALTER TABLE `instances` ADD `error_name` text;--> statement-breakpoint
ALTER TABLE `instances` ADD `checked_on` integer;--> statement-breakpoint
ALTER TABLE `instances` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `instances_by_version` ON `instances` (`workflow_id`,`version_id`,`created_on`,`id`);--> statement-breakpoint
CREATE INDEX `instances_by_trigger` ON `instances` (`workflow_id`,`trigger_source`,`created_on`,`id`);--> statement-breakpoint
CREATE INDEX `instances_by_error` ON `instances` (`workflow_id`,`error_name`,`created_on`,`id`) WHERE "instances"."error_name" is not null;--> statement-breakpoint
CREATE INDEX `instances_to_reconcile` ON `instances` (`checked_on`) WHERE "instances"."status" not in ('complete', 'errored', 'terminated');