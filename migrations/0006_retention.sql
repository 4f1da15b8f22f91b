CREATE TABLE `account_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`success_retention` integer,
	`error_retention` integer,
	`bulk_job_retention` integer,
	`audit_retention` integer,
	`modified_on` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `instances` ADD `retention` text;--> statement-breakpoint
ALTER TABLE `instances` ADD `expires_on` integer;--> statement-breakpoint
CREATE INDEX `instances_by_expiry` ON `instances` (`expires_on`) WHERE "instances"."expires_on" is not null;--> statement-breakpoint
CREATE INDEX `bulk_jobs_by_end` ON `bulk_jobs` (`ended_on`) WHERE "bulk_jobs"."ended_on" is not null;