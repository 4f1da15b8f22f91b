CREATE TABLE `step_metrics` (
	`workflow_id` text NOT NULL,
	`bucket` text NOT NULL,
	`start` integer NOT NULL,
	`version_id` text NOT NULL,
	`step` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`instances_failed` integer DEFAULT 0 NOT NULL,
	`durations` text,
	PRIMARY KEY(`workflow_id`, `bucket`, `start`, `version_id`, `step`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `step_metrics_by_age` ON `step_metrics` (`bucket`,`start`);--> statement-breakpoint
ALTER TABLE `instances` ADD `failed_step` text;--> statement-breakpoint
ALTER TABLE `instances` ADD `attempt_facts` text;--> statement-breakpoint
ALTER TABLE `instances` ADD `attempts_mark` text;