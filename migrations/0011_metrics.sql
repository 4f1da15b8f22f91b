CREATE TABLE `error_metrics` (
	`workflow_id` text NOT NULL,
	`start` integer NOT NULL,
	`name` text NOT NULL,
	`shape` text NOT NULL,
	`version_id` text NOT NULL,
	`count` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`example_instance_id` text NOT NULL,
	PRIMARY KEY(`workflow_id`, `start`, `name`, `shape`, `version_id`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `error_metrics_by_age` ON `error_metrics` (`start`);--> statement-breakpoint
CREATE TABLE `instance_metrics` (
	`workflow_id` text NOT NULL,
	`bucket` text NOT NULL,
	`start` integer NOT NULL,
	`version_id` text NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`started` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`errored` integer DEFAULT 0 NOT NULL,
	`terminated` integer DEFAULT 0 NOT NULL,
	`durations` text,
	PRIMARY KEY(`workflow_id`, `bucket`, `start`, `version_id`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `instance_metrics_by_age` ON `instance_metrics` (`bucket`,`start`);--> statement-breakpoint
ALTER TABLE `instances` ADD `error_shape` text;