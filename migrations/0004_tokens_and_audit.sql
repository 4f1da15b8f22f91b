CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`permissions` text NOT NULL,
	`workflows` text,
	`event_types` text,
	`created_on` integer NOT NULL,
	`expires_on` integer,
	`revoked_on` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_secret_hash_unique` ON `api_tokens` (`secret_hash`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_name` text NOT NULL,
	`action` text NOT NULL,
	`workflow_name` text,
	`instance_id` text,
	`request_id` text NOT NULL,
	`outcome` text NOT NULL,
	`status` integer NOT NULL,
	`error_code` integer,
	`reason` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_by_workflow` ON `audit_log` (`workflow_name`,`id`);--> statement-breakpoint
CREATE INDEX `audit_by_actor` ON `audit_log` (`actor_id`,`id`);