CREATE TABLE `error_metrics` (
	`start` integer NOT NULL,
	`name` text NOT NULL,
	`shape` text NOT NULL,
	`version_id` text NOT NULL,
	`count` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`example_instance_id` text NOT NULL,
	PRIMARY KEY(`start`, `name`, `shape`, `version_id`)
);
--> statement-breakpoint
CREATE INDEX `error_metrics_by_age` ON `error_metrics` (`start`);--> statement-breakpoint
CREATE TABLE `index_config` (
	`id` integer PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`version_id` text NOT NULL,
	`version_retention` text,
	`account_retention` text,
	`label_paths` text,
	`metric_labels` text,
	`ends_on` integer
);
--> statement-breakpoint
CREATE TABLE `instance_label_counts` (
	`key` text NOT NULL,
	`value` text NOT NULL,
	`status` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`key`, `value`, `status`)
);
--> statement-breakpoint
CREATE TABLE `instance_labels` (
	`instance_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created_on` integer NOT NULL,
	PRIMARY KEY(`instance_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `instance_labels_by_value` ON `instance_labels` (`key`,`value`,`created_on`,`instance_id`);--> statement-breakpoint
CREATE TABLE `instance_metrics` (
	`bucket` text NOT NULL,
	`start` integer NOT NULL,
	`version_id` text NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`started` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`errored` integer DEFAULT 0 NOT NULL,
	`terminated` integer DEFAULT 0 NOT NULL,
	`durations` text,
	PRIMARY KEY(`bucket`, `start`, `version_id`)
);
--> statement-breakpoint
CREATE INDEX `instance_metrics_by_age` ON `instance_metrics` (`bucket`,`start`);--> statement-breakpoint
CREATE TABLE `instance_status_counts` (
	`status` text PRIMARY KEY NOT NULL,
	`count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`version_id` text NOT NULL,
	`status` text NOT NULL,
	`trigger_source` text NOT NULL,
	`params` text,
	`created_on` integer NOT NULL,
	`started_on` integer,
	`ended_on` integer,
	`modified_on` integer NOT NULL,
	`error_name` text,
	`revision` integer DEFAULT 0 NOT NULL,
	`retention` text,
	`expires_on` integer,
	`labels` text,
	`error_shape` text,
	`failed_step` text,
	`attempt_facts` text,
	`attempts_mark` text
);
--> statement-breakpoint
CREATE INDEX `instances_by_created` ON `instances` (`created_on`,`id`);--> statement-breakpoint
CREATE INDEX `instances_by_status` ON `instances` (`status`,`created_on`,`id`);--> statement-breakpoint
CREATE INDEX `instances_by_version` ON `instances` (`version_id`,`created_on`,`id`);--> statement-breakpoint
CREATE INDEX `instances_by_trigger` ON `instances` (`trigger_source`,`created_on`,`id`);--> statement-breakpoint
CREATE INDEX `instances_by_error` ON `instances` (`error_name`,`created_on`,`id`) WHERE "instances"."error_name" is not null;--> statement-breakpoint
CREATE INDEX `instances_by_expiry` ON `instances` (`expires_on`) WHERE "instances"."expires_on" is not null;--> statement-breakpoint
CREATE INDEX `instances_unfinished` ON `instances` (`created_on`,`id`) WHERE "instances"."status" not in ('complete', 'errored', 'terminated');--> statement-breakpoint
CREATE TABLE `label_metrics` (
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
	PRIMARY KEY(`bucket`, `start`, `key`, `value`)
);
--> statement-breakpoint
CREATE INDEX `label_metrics_by_age` ON `label_metrics` (`bucket`,`start`);--> statement-breakpoint
CREATE TABLE `step_metrics` (
	`bucket` text NOT NULL,
	`start` integer NOT NULL,
	`version_id` text NOT NULL,
	`step` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`instances_failed` integer DEFAULT 0 NOT NULL,
	`durations` text,
	PRIMARY KEY(`bucket`, `start`, `version_id`, `step`)
);
--> statement-breakpoint
CREATE INDEX `step_metrics_by_age` ON `step_metrics` (`bucket`,`start`);