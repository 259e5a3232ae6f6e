ALTER TABLE "deployments" ADD COLUMN "instruction" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "instructed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "running_version" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "committed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rollouts" ADD COLUMN "excluded" jsonb;--> statement-breakpoint
ALTER TABLE "rollouts" ADD COLUMN "failures_counted_since" timestamp with time zone;