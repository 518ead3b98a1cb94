CREATE TABLE "sagas" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"current_step" text,
	"current_step_state" text,
	"current_attempt" integer,
	"attempts" integer NOT NULL,
	"waiting_for" text,
	"open_waits" jsonb NOT NULL,
	"last_error" jsonb,
	"custom_status" jsonb,
	"parent_id" text,
	"run" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sagas_type_status_idx" ON "sagas" USING btree ("type","status");--> statement-breakpoint
CREATE INDEX "sagas_started_idx" ON "sagas" USING btree ("started_at");