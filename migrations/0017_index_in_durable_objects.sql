-- The instance index moves to Durable Objects (src/index/): each workflow's index is its own
-- segments, with their own schema and triggers. D1 keeps what is account-wide and small. No
-- deployment existed with the old tables, so they are dropped, not copied. The trigger that
-- seeded status counts for each new workflow goes first: it lives on `workflows`, which stays.
DROP TRIGGER IF EXISTS `workflows_seed_status_counts`;--> statement-breakpoint
CREATE TABLE `index_segments` (
	`workflow_id` text NOT NULL,
	`seq` integer NOT NULL,
	`starts_on` integer NOT NULL,
	`dropped_on` integer,
	PRIMARY KEY(`workflow_id`, `seq`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
DROP TABLE `error_metrics`;--> statement-breakpoint
DROP TABLE `instance_label_counts`;--> statement-breakpoint
DROP TABLE `instance_labels`;--> statement-breakpoint
DROP TABLE `instance_metrics`;--> statement-breakpoint
DROP TABLE `instance_status_counts`;--> statement-breakpoint
DROP TABLE `instances`;--> statement-breakpoint
DROP TABLE `label_metrics`;--> statement-breakpoint
DROP TABLE `step_metrics`;--> statement-breakpoint
ALTER TABLE `workflows` ADD `jurisdiction` text;