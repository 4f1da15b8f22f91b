CREATE TABLE `control_plane_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `instance_status_counts` (
	`workflow_id` text NOT NULL,
	`status` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`workflow_id`, `status`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `instances` (
	`workflow_id` text NOT NULL,
	`id` text NOT NULL,
	`version_id` text NOT NULL,
	`status` text NOT NULL,
	`trigger_source` text NOT NULL,
	`params` text,
	`created_on` integer NOT NULL,
	`started_on` integer,
	`ended_on` integer,
	`modified_on` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `id`),
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `instances_by_created` ON `instances` (`workflow_id`,`created_on`,`id`);--> statement-breakpoint
CREATE INDEX `instances_by_status` ON `instances` (`workflow_id`,`status`,`created_on`,`id`);--> statement-breakpoint
CREATE TABLE `workflow_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`class_name` text NOT NULL,
	`script_name` text NOT NULL,
	`limits` text,
	`default_retention` text,
	`created_on` integer NOT NULL,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `workflow_versions_by_workflow` ON `workflow_versions` (`workflow_id`,`created_on`);--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`class_name` text NOT NULL,
	`script_name` text NOT NULL,
	`version_id` text NOT NULL,
	`created_on` integer NOT NULL,
	`modified_on` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workflows_name_unique` ON `workflows` (`name`);