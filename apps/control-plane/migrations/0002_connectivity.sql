CREATE TABLE "device_health" (
	"device_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"state" text NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"error" jsonb
);
--> statement-breakpoint
CREATE TABLE "device_state" (
	"tenant_id" text NOT NULL,
	"device_id" uuid NOT NULL,
	"point" text NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"value" jsonb NOT NULL,
	CONSTRAINT "device_state_device_id_point_pk" PRIMARY KEY("device_id","point")
);
--> statement-breakpoint
CREATE TABLE "telemetry" (
	"tenant_id" text NOT NULL,
	"device_id" uuid NOT NULL,
	"point" text NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"num" double precision,
	"val" jsonb,
	CONSTRAINT "telemetry_device_id_point_ts_pk" PRIMARY KEY("device_id","point","ts")
);
--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "presence_boot_id" text;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "presence_seq" integer;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "presence_ts" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "config_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "config_applied_version" integer;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "config_error" text;--> statement-breakpoint
ALTER TABLE "device_health" ADD CONSTRAINT "device_health_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_state" ADD CONSTRAINT "device_state_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "telemetry_ts_idx" ON "telemetry" USING btree ("ts");