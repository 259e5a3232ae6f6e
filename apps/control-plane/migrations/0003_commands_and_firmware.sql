CREATE TABLE "command_executions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"command_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"gateway_id" uuid NOT NULL,
	"device_id" uuid NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"result" jsonb,
	"error_code" text,
	"error_message" text
);
--> statement-breakpoint
CREATE TABLE "commands" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"created_by_user_id" uuid,
	"created_by_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"command" text NOT NULL,
	"params" jsonb NOT NULL,
	"target" jsonb NOT NULL,
	"priority" integer DEFAULT 50 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"idempotency_key" text,
	"state" text DEFAULT 'active' NOT NULL,
	"device_count" integer NOT NULL,
	"request_id" text,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"rollout_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"gateway_id" uuid NOT NULL,
	"wave" integer NOT NULL,
	"state" text DEFAULT 'scheduled' NOT NULL,
	"from_version" text,
	"to_version" text NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"phase_started_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"error_code" text,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "firmware_releases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"version" text NOT NULL,
	"kind" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"key_id" text NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"storage_key" text NOT NULL,
	"release_notes" text,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"recalled_at" timestamp with time zone,
	"recall_reason" text
);
--> statement-breakpoint
CREATE TABLE "release_keys" (
	"tenant_id" text NOT NULL,
	"key_id" text NOT NULL,
	"name" text NOT NULL,
	"public_key_pem" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "release_keys_tenant_id_key_id_pk" PRIMARY KEY("tenant_id","key_id")
);
--> statement-breakpoint
CREATE TABLE "rollouts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"release_id" uuid NOT NULL,
	"name" text NOT NULL,
	"selector" text NOT NULL,
	"waves" jsonb NOT NULL,
	"success_threshold" jsonb NOT NULL,
	"failure_threshold" jsonb NOT NULL,
	"max_concurrent" integer NOT NULL,
	"start_rate_per_minute" integer NOT NULL,
	"maintenance_window" jsonb,
	"phase_timeouts" jsonb NOT NULL,
	"include_late_joiners" boolean DEFAULT false NOT NULL,
	"allow_downgrade" boolean DEFAULT false NOT NULL,
	"state" text DEFAULT 'scheduled' NOT NULL,
	"current_wave" integer DEFAULT 0 NOT NULL,
	"state_reason" text,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "command_executions" ADD CONSTRAINT "command_executions_command_id_commands_id_fk" FOREIGN KEY ("command_id") REFERENCES "public"."commands"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "command_executions" ADD CONSTRAINT "command_executions_gateway_id_gateways_id_fk" FOREIGN KEY ("gateway_id") REFERENCES "public"."gateways"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "command_executions" ADD CONSTRAINT "command_executions_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_gateway_id_gateways_id_fk" FOREIGN KEY ("gateway_id") REFERENCES "public"."gateways"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_keys" ADD CONSTRAINT "release_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_release_id_firmware_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."firmware_releases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "command_executions_command_state_idx" ON "command_executions" USING btree ("command_id","state");--> statement-breakpoint
CREATE INDEX "command_executions_gateway_state_idx" ON "command_executions" USING btree ("gateway_id","state");--> statement-breakpoint
CREATE INDEX "command_executions_device_idx" ON "command_executions" USING btree ("device_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "commands_tenant_idempotency_key" ON "commands" USING btree ("tenant_id","idempotency_key") WHERE "commands"."idempotency_key" is not null;--> statement-breakpoint
CREATE INDEX "commands_tenant_created_idx" ON "commands" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "commands_active_idx" ON "commands" USING btree ("state") WHERE "commands"."state" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "deployments_rollout_gateway" ON "deployments" USING btree ("rollout_id","gateway_id");--> statement-breakpoint
CREATE INDEX "deployments_rollout_wave_state_idx" ON "deployments" USING btree ("rollout_id","wave","state");--> statement-breakpoint
CREATE INDEX "deployments_gateway_idx" ON "deployments" USING btree ("gateway_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "firmware_releases_tenant_version_kind" ON "firmware_releases" USING btree ("tenant_id","version","kind");--> statement-breakpoint
CREATE INDEX "rollouts_tenant_idx" ON "rollouts" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "rollouts_running_idx" ON "rollouts" USING btree ("state") WHERE "rollouts"."state" in ('scheduled', 'running');