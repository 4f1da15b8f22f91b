CREATE TABLE `bulk_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`kind` text NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`total` integer NOT NULL,
	`idempotency_key` text,
	`request_hash` text,
	`created_on` integer NOT NULL,
	`ended_on` integer,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `bulk_jobs_by_workflow` ON `bulk_jobs` (`workflow_id`,`created_on`);--> statement-breakpoint
CREATE UNIQUE INDEX `bulk_jobs_idempotency` ON `bulk_jobs` (`workflow_id`,`idempotency_key`) WHERE "bulk_jobs"."idempotency_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `bulk_jobs_one_terminate_all` ON `bulk_jobs` (`workflow_id`) WHERE "bulk_jobs"."kind" = 'terminate_all' and "bulk_jobs"."status" in ('queued', 'running');