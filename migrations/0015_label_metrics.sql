CREATE TABLE `label_metrics` (
	`workflow_id` text NOT NULL,
	`bucket` text NOT NULL,
	`start` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`started` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`errored` integer DEFAULT 0 NOT NULL,
	`terminated` integer DEFAULT 0 NOT NULL,
	`durations` text,
	PRIMARY KEY(`workflow_id`, `bucket`, `start`, `key`, `value`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `label_metrics_by_age` ON `label_metrics` (`bucket`,`start`);--> statement-breakpoint
ALTER TABLE `workflows` ADD `metric_labels` text;