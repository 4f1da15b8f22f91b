CREATE TABLE `instance_label_counts` (
	`workflow_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`status` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `key`, `value`, `status`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `instance_labels` (
	`workflow_id` text NOT NULL,
	`instance_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created_on` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `instance_id`, `key`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `instance_labels_by_value` ON `instance_labels` (`workflow_id`,`key`,`value`,`created_on`,`instance_id`);--> statement-breakpoint
ALTER TABLE `instances` ADD `labels` text;--> statement-breakpoint
ALTER TABLE `workflows` ADD `label_paths` text;